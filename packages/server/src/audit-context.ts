/** Audit events for one request: who, from where and which request are filled in once. */
import type { AuditDetailValue, AuditOutcome, Coffer, Principal } from '@coffer/core';
import type { FastifyRequest } from 'fastify';

export interface AuditRecord {
  action: string;
  tenant?: string | null;
  target?: string | null;
  outcome?: AuditOutcome;
  code?: string | null;
  details?: Record<string, AuditDetailValue>;
}

export interface AuditContext {
  /** Appends the event and waits until it is durable; throws AUDIT_UNAVAILABLE if it is not. */
  record(event: AuditRecord): Promise<void>;
}

export function auditContextFor(coffer: Coffer, request: FastifyRequest, principal: Principal | undefined): AuditContext {
  return {
    async record(event) {
      await coffer.audit.append({
        actor: principal?.tokenId ?? 'anonymous',
        action: event.action,
        tenant: event.tenant ?? null,
        target: event.target ?? null,
        outcome: event.outcome ?? 'success',
        code: event.code ?? null,
        ip: request.ip,
        requestId: request.id,
        details: event.details ?? {},
      });
    },
  };
}
