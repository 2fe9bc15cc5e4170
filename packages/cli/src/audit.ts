/**
 * Audit events for commands run on the data directory directly. The actor is `cli:<os user>`:
 * there is no API token, but a local reveal or change is still recorded, in the same
 * transaction as the change (or, for a reveal, before the value is printed).
 */
import { userInfo } from 'node:os';
import type { AuditAction, AuditDetailValue, AuditEventInput, AuditWith, Coffer } from '@coffer/core';

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}


export interface CliAuditSubject {
  action: AuditAction;
  tenant?: string | null;
  target?: string | null;
  details?: Record<string, AuditDetailValue>;
}

export function cliEvent(subject: CliAuditSubject): AuditEventInput {
  return { actor: actor(), outcome: 'success', ...subject, tenant: subject.tenant ?? null, target: subject.target ?? null };
}

/** An AuditWith for a core change, with fields taken from its result. */
export function cliAudit<T>(subject: CliAuditSubject, fromResult?: (result: T) => Partial<CliAuditSubject>): AuditWith<T> {
  return (result) => {
    const extra = fromResult?.(result) ?? {};
    return cliEvent({ ...subject, ...extra, details: { ...subject.details, ...extra.details } });
  };
}

/** Appends an event and waits until it is durable (for reveals and multi-step operations). */
export async function recordCli(coffer: Coffer, subject: CliAuditSubject): Promise<void> {
  await coffer.audit.append(cliEvent(subject));
}
