/**
 * Every change is audited in its own transaction: the core writes the event built here
 * together with the change, so a change whose event cannot be written is rolled back and the
 * caller gets AUDIT_UNAVAILABLE (fail closed). A failed attempt is recorded afterwards.
 */
import { CofferError, type AuditDetailValue, type AuditWith } from '@coffer/core';
import type { AuditContext, AuditRecord } from '../audit-context.js';

export type AuditSubject = Omit<AuditRecord, 'outcome' | 'code'>;

export async function audited<T>(
  audit: AuditContext,
  subject: AuditSubject,
  run: (within: AuditWith<T>) => Promise<T>,
  /** Fields known only from the result: a version, a token id. */
  fromResult?: (result: T) => Partial<Pick<AuditRecord, 'tenant' | 'target'>> & { details?: Record<string, AuditDetailValue> },
): Promise<T> {
  const within: AuditWith<T> = (result) => {
    const extra = fromResult?.(result) ?? {};
    return audit.event({ ...subject, ...extra, outcome: 'success', details: { ...subject.details, ...extra.details } });
  };
  try {
    return await run(within);
  } catch (err) {
    await recordFailure(audit, subject, err);
    throw err;
  }
}

/** Records a refused or failed attempt; an unwritable event turns the answer into AUDIT_UNAVAILABLE. */
export async function recordFailure(audit: AuditContext, subject: AuditSubject, err: unknown): Promise<void> {
  const code = err instanceof CofferError ? err.code : 'INTERNAL';
  if (code === 'AUDIT_UNAVAILABLE') return;
  await audit.record({ ...subject, outcome: code === 'FORBIDDEN' ? 'denied' : 'failure', code });
}

/** Reveals change nothing, so their event is appended (group commit) before the value is returned. */
export async function auditedRead<T>(audit: AuditContext, subject: AuditSubject, run: () => Promise<T>, detailsOf: (result: T) => Record<string, AuditDetailValue>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await recordFailure(audit, subject, err);
    throw err;
  }
  await audit.record({ ...subject, outcome: 'success', details: { ...subject.details, ...detailsOf(result) } });
  return result;
}
