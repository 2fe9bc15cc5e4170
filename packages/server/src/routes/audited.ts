/**
 * Runs an operation and records its outcome in the audit log before anything is returned.
 * If the event cannot be written the result is dropped and the caller gets AUDIT_UNAVAILABLE:
 * nothing leaves the server unaudited (fail closed).
 */
import { CofferError, type AuditDetailValue } from '@coffer/core';
import type { AuditContext } from '../audit-context.js';

export interface AuditSubject {
  action: string;
  tenant?: string | null;
  target?: string | null;
  details?: Record<string, AuditDetailValue>;
}

export async function audited<T>(audit: AuditContext, subject: AuditSubject, run: () => Promise<T>, detailsOf?: (result: T) => Record<string, AuditDetailValue>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    const code = err instanceof CofferError ? err.code : 'INTERNAL';
    await audit.record({ ...subject, outcome: code === 'FORBIDDEN' ? 'denied' : 'failure', code });
    throw err;
  }
  await audit.record({ ...subject, outcome: 'success', details: { ...subject.details, ...detailsOf?.(result) } });
  return result;
}
