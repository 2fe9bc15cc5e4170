/**
 * The one audited path in core. Whoever calls (the server, the CLI, an application embedding
 * `createCoffer`), core writes the event itself:
 *
 * - a change's event is written inside the change's own transaction (`auditedChange`), so a
 *   change whose event cannot be made durable rolls back (AUDIT_UNAVAILABLE, fail closed);
 * - a call where plaintext leaves core (`auditedRead`) is recorded durably before the value is
 *   returned, and a value whose event cannot be written is never returned.
 *
 * A failed or refused attempt is recorded too. Callers only say who acts (`coffer.as(actor)`);
 * a call without it is audited as actor `library`.
 */
import type { Kysely } from 'kysely';
import { CofferError } from '../errors.js';
import type { Database } from '../store/schema.js';
import type { AuditAction } from './audit-actions.js';
import type { AuditDetailValue, AuditEventInput, AuditLog } from './audit-log.js';

/** Who acts: an API token id, `cli:<user>`, or `library` for an embedding application. */
export interface Actor {
  readonly actor: string;
  readonly ip?: string | null;
  readonly requestId?: string | null;
}

/** The actor of a call made without `coffer.as(actor)`. */
export const LIBRARY_ACTOR: Actor = Object.freeze({ actor: 'library' });

/** Options every audited call accepts: who acts (set by `coffer.as(actor)`). */
export interface Acting {
  /** @internal Set through `coffer.as(actor)`; a call without it is audited as `library`. */
  readonly as?: Actor;
}

export interface AuditSubject {
  action: AuditAction;
  tenant?: string | null;
  target?: string | null;
  details?: Record<string, AuditDetailValue>;
}

/** Facts known only once the change has run: a version, a new id, the tenant of a token. */
export type AuditFacts = Partial<Pick<AuditSubject, 'tenant' | 'target'>> & { details?: Record<string, AuditDetailValue> };

function eventOf(who: Actor, subject: AuditSubject, facts: AuditFacts = {}): AuditEventInput {
  return {
    actor: who.actor,
    ip: who.ip ?? null,
    requestId: who.requestId ?? null,
    action: subject.action,
    tenant: facts.tenant !== undefined ? facts.tenant : (subject.tenant ?? null),
    target: facts.target !== undefined ? facts.target : (subject.target ?? null),
    outcome: 'success',
    details: { ...subject.details, ...facts.details },
  };
}

/** Records a failed attempt; an event that cannot be written makes the answer AUDIT_UNAVAILABLE. */
export async function recordFailure(log: AuditLog, who: Actor, subject: AuditSubject, err: unknown): Promise<void> {
  const code = err instanceof CofferError ? err.code : 'INTERNAL';
  // The log itself failing cannot be recorded in it.
  if (code === 'AUDIT_UNAVAILABLE') return;
  await log.append({ ...eventOf(who, subject), outcome: code === 'FORBIDDEN' ? 'denied' : 'failure', code });
}

/** Runs `read`; appends its event (success or failure) and waits until it is durable. */
export async function auditedRead<T>(log: AuditLog, who: Actor, subject: AuditSubject, read: () => Promise<T>, detailsOf: (result: T) => Record<string, AuditDetailValue>): Promise<T> {
  let result: T;
  try {
    result = await read();
  } catch (err) {
    await recordFailure(log, who, subject, err);
    throw err;
  }
  await log.append({ ...eventOf(who, subject), details: { ...subject.details, ...detailsOf(result) } });
  return result;
}

/** What a change gets from {@link auditedChange}: how to write its event. */
export interface ChangeAudit {
  /**
   * Writes the change's success event inside the change's write transaction `trx`, so the two
   * commit together or not at all. Call it once, after the change's own statements.
   */
  within(trx: Kysely<Database>, facts?: AuditFacts): Promise<void>;
  /** Several events in the change's transaction (a write that also destroys old versions). */
  manyWithin(trx: Kysely<Database>, events: readonly { subject?: Partial<AuditSubject>; facts?: AuditFacts }[]): Promise<void>;
  /** Says the call changed nothing (a first-start step another process did first): no event. */
  nothing(): void;
}

/**
 * Runs a change with its audit event. The change calls `audit.within(trx, facts)` in its write
 * transaction. A change made of several transactions or none (a rewrap in batches, a remote
 * revocation) that never calls it gets its event appended, durably, before it returns. A change
 * that throws is recorded as a failure (or `denied`), and the error is rethrown.
 */
export async function auditedChange<T>(log: AuditLog, who: Actor | undefined, subject: AuditSubject, change: (audit: ChangeAudit) => Promise<T>, factsOf?: (result: T) => AuditFacts): Promise<T> {
  const actor = who ?? LIBRARY_ACTOR;
  let written = false;
  const audit: ChangeAudit = {
    async within(trx, facts) {
      await log.appendWithin(trx, eventOf(actor, subject, facts));
      written = true;
    },
    async manyWithin(trx, events) {
      await log.appendManyWithin(
        trx,
        events.map((e) => eventOf(actor, { ...subject, ...e.subject, details: { ...subject.details, ...e.subject?.details } }, e.facts)),
      );
      written = true;
    },
    nothing() {
      written = true;
    },
  };
  let result: T;
  try {
    result = await change(audit);
  } catch (err) {
    await recordFailure(log, actor, subject, err);
    throw err;
  }
  if (!written) await log.append(eventOf(actor, subject, factsOf?.(result)));
  return result;
}
