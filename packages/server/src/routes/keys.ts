/** Key operations (admin tokens only). Core audits rotations and rewraps itself, as this request's caller. */
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { TenantParams, toJson } from './schemas.js';

export const keyRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/keys/rotate',
    tag: 'keys',
    summary: "Rotate a tenant's key: new writes use the new version at once",
    access: { kind: 'admin' },
    params: TenantParams,
    response: z.object({ keyId: z.string(), version: z.number() }),
    async handler({ params, coffer }) {
      return coffer.keys.rotateTenantKey(params.tenant);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/keys/rewrap',
    tag: 'keys',
    summary: "Re-encrypt a tenant's data keys under its newest key (resumable)",
    access: { kind: 'admin' },
    params: TenantParams,
    response: z.object({ tenant: z.string(), keyId: z.string(), rewrapped: z.number() }),
    async handler({ params, coffer }) {
      return coffer.keys.rewrapTenant(params.tenant);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/keys',
    tag: 'keys',
    summary: 'Key status: root and tenant keys and what each protects',
    access: { kind: 'admin' },
    response: z.object({
      rootKeyProvider: z.string(),
      root: z.array(z.record(z.string(), z.unknown())),
      tenants: z.array(z.record(z.string(), z.unknown())),
      // Audit key versions (never a key): which one MACs new events, its root key, where keyed events start.
      audit: z.array(z.object({ version: z.number(), current: z.boolean(), rootKeyId: z.string(), firstSeq: z.number(), createdAt: z.string() })),
      // A root rotation running, or interrupted and waiting for the next start; null otherwise.
      rotation: z
        .object({
          state: z.enum(['starting', 'staged', 'switched']),
          owner: z.string().nullable(),
          running: z.boolean(),
          leaseUntil: z.string().nullable(),
          fromKeyId: z.string().nullable(),
          toKeyId: z.string().nullable(),
        })
        .nullable(),
    }),
    async handler({ coffer }) {
      return toJson(await coffer.keys.status()) as never;
    },
  }),
];
