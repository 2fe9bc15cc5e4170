/**
 * The one audited path for calls where plaintext leaves core: whoever calls (the server, the CLI,
 * an application embedding `createCoffer`), the event is made durable before the value is
 * returned, and a value whose event cannot be written is never returned (AUDIT_UNAVAILABLE,
 * fail closed). A failed attempt is recorded too.
 */
import { CofferError } from '../errors.js';
import type { AuditAction } from './audit-actions.js';
import type { AuditDetailValue, AuditLog } from './audit-log.js';

/** Who acts: an API token id, `cli:<user>`, or `library` for an embedding application. */
export interface Actor {
  readonly actor: string;
  readonly ip?: string | null;
  readonly requestId?: string | null;
}

/** The actor of a call made without `coffer.as(actor)`. */
export const LIBRARY_ACTOR: Actor = Object.freeze({ actor: 'library' });

export interface AuditSubject {
  action: AuditAction;
  tenant: string;
  target: string;
  details?: Record<string, AuditDetailValue>;
}

/** Runs `read`; appends its event (success or failure) and waits until it is durable. */
export async function auditedRead<T>(log: AuditLog, who: Actor, subject: AuditSubject, read: () => Promise<T>, detailsOf: (result: T) => Record<string, AuditDetailValue>): Promise<T> {
  const base = { actor: who.actor, ip: who.ip ?? null, requestId: who.requestId ?? null, action: subject.action, tenant: subject.tenant, target: subject.target };
  let result: T;
  try {
    result = await read();
  } catch (err) {
    const code = err instanceof CofferError ? err.code : 'INTERNAL';
    if (code !== 'AUDIT_UNAVAILABLE') {
      await log.append({ ...base, outcome: code === 'FORBIDDEN' ? 'denied' : 'failure', code, details: { ...subject.details } });
    }
    throw err;
  }
  await log.append({ ...base, outcome: 'success', details: { ...subject.details, ...detailsOf(result) } });
  return result;
}
