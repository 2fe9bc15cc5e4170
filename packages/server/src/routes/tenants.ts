/** Tenants (admin tokens only). */
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { Tenant, TenantId, TenantParams, toJson } from './schemas.js';

export const tenantRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/tenants',
    tag: 'tenants',
    summary: 'Create a tenant and its first key',
    access: { kind: 'admin' },
    body: z.object({ id: TenantId, name: z.string().min(1).max(200).optional() }).strict(),
    status: 201,
    response: Tenant,
    errors: ['TENANT_EXISTS'],
    async handler({ body, coffer }) {
      const t = await coffer.tenants.create(body.id, body.name ? { name: body.name } : {});
      return toJson(t) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tenants',
    tag: 'tenants',
    summary: 'List tenants',
    access: { kind: 'admin' },
    response: z.object({ items: z.array(Tenant) }),
    async handler({ coffer }) {
      return { items: toJson(await coffer.tenants.list()) } as never;
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/tenants/:tenant',
    tag: 'tenants',
    summary: 'Delete a tenant: its keys are destroyed first (crypto-shredding), then its rows and tokens',
    access: { kind: 'admin' },
    params: TenantParams,
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
    async handler({ params, coffer }) {
      await coffer.tenants.delete(params.tenant);
      return { id: params.tenant, deleted: true as const };
    },
  }),
];
