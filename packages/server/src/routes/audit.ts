/** The audit log: a tenant's events (audit:read) and verification of the whole chain (admin). */
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { AuditEvent, TenantParams, toJson } from './schemas.js';

export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/audit',
    tag: 'audit',
    summary: "A tenant's audit events, newest first",
    description: 'Filters combine. Pages by sequence number: pass `nextCursor` as `cursor`.',
    access: { kind: 'tenant', scope: 'audit:read' },
    params: TenantParams,
    query: z
      .object({
        action: z.string().max(100).optional(),
        actor: z.string().max(100).optional(),
        target: z.string().max(200).optional(),
        outcome: z.enum(['success', 'failure', 'denied']).optional(),
        since: z.iso.datetime().optional(),
        until: z.iso.datetime().optional(),
        cursor: z.coerce.number().int().min(1).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    response: z.object({ items: z.array(AuditEvent), nextCursor: z.number().nullable() }),
    async handler({ params, query, coffer }) {
      const { since, until, cursor, ...rest } = query;
      const page = await coffer.audit.list({
        ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
        tenant: params.tenant,
        ...(since ? { since: new Date(since) } : {}),
        ...(until ? { until: new Date(until) } : {}),
        ...(cursor ? { before: cursor } : {}),
      });
      return toJson(page) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/audit/verify',
    tag: 'audit',
    summary: 'Verify the whole hash chain; names the first broken event',
    access: { kind: 'admin' },
    response: z.object({
      ok: z.boolean(),
      checked: z.number(),
      firstBroken: z.object({ seq: z.number(), reason: z.string() }).nullable(),
      // Runs of plain SHA-256 events (from before audit keys) and of events MACed under an audit key version.
      segments: z.array(z.object({ from: z.number(), to: z.number(), keyed: z.boolean(), keyVersion: z.number().optional() })),
    }),
    async handler({ coffer }) {
      return coffer.audit.verify();
    },
  }),
];
