/**
 * Who acts in one request, filled in once: the token id (never the token), the client address
 * and the request id. Handlers get the vault acting as this actor, so core audits what they do;
 * the server itself records only what happens before a handler runs (a refused caller).
 */
import type { Actor, AuditAction, AuditOutcome, Coffer, Principal } from '@coffer/core';
import type { FastifyRequest } from 'fastify';

/** An event the server records itself: a caller refused or unauthenticated before any handler ran. */
export interface AuditRecord {
  action: AuditAction;
  tenant?: string | null;
  target?: string | null;
  outcome: AuditOutcome;
  code?: string | null;
}

export interface AuditContext {
  /** Who acts in this request (`coffer.as(actor)` for the handler). */
  readonly actor: Actor;
  /** Appends the event and waits until it is durable; throws AUDIT_UNAVAILABLE if it is not. */
  record(record: AuditRecord): Promise<void>;
}

export function auditContextFor(coffer: Coffer, request: FastifyRequest, principal: Principal | undefined): AuditContext {
  const actor: Actor = { actor: principal?.tokenId ?? 'anonymous', ip: request.ip, requestId: request.id };
  return {
    actor,
    async record(r) {
      await coffer.audit.append({ ...actor, action: r.action, tenant: r.tenant ?? null, target: r.target ?? null, outcome: r.outcome, code: r.code ?? null, details: {} });
    },
  };
}
