/** Tenants (admin tokens only). */
import { operations } from '@coffer/contract';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const op = operations.tenants;

export const tenantRoutes = [
  implement(op.createTenant, async ({ body, coffer }) => toJson(await coffer.tenants.create(body.id, body.name ? { name: body.name } : {}))),
  implement(op.listTenants, async ({ coffer }) => ({ items: toJson(await coffer.tenants.list()) })),
  implement(op.deleteTenant, async ({ params, coffer }) => {
    await coffer.tenants.delete(params.tenant);
    return { id: params.tenant, deleted: true as const };
  }),
];
