/** Audit events for one request: who, from where and which request are filled in once. */
import type { Actor, AuditAction, AuditDetailValue, AuditEventInput, AuditOutcome, Coffer, Principal } from '@coffer/core';
import type { FastifyRequest } from 'fastify';

export interface AuditRecord {
  action: AuditAction;
  tenant?: string | null;
  target?: string | null;
  outcome?: AuditOutcome;
  code?: string | null;
  details?: Record<string, AuditDetailValue>;
}

export interface AuditContext {
  /** Who acts in this request, for core calls that audit themselves (`coffer.as(actor)`). */
  readonly actor: Actor;
  /** The full event for this request, to be written by the core in a change's own transaction. */
  event(record: AuditRecord): AuditEventInput;
  /** Appends the event and waits until it is durable; throws AUDIT_UNAVAILABLE if it is not. */
  record(record: AuditRecord): Promise<void>;
}

export function auditContextFor(coffer: Coffer, request: FastifyRequest, principal: Principal | undefined): AuditContext {
  const event = (r: AuditRecord): AuditEventInput => ({
    actor: principal?.tokenId ?? 'anonymous',
    action: r.action,
    tenant: r.tenant ?? null,
    target: r.target ?? null,
    outcome: r.outcome ?? 'success',
    code: r.code ?? null,
    ip: request.ip,
    requestId: request.id,
    details: r.details ?? {},
  });
  return {
    actor: { actor: principal?.tokenId ?? 'anonymous', ip: request.ip, requestId: request.id },
    event,
    async record(r) {
      await coffer.audit.append(event(r));
    },
  };
}
