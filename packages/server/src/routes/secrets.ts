/**
 * Secrets of a tenant: write, read metadata, reveal (the only plaintext route), versions, delete.
 * Core audits every change and reveal itself, as this request's caller (`coffer` acts as it).
 */
import { operations } from '@coffer/contract';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const op = operations.secrets;

export const secretRoutes = [
  implement(op.listSecrets, async ({ params, query, coffer }) =>
    toJson(await coffer.secrets.list(params.tenant, { ...(query.limit ? { limit: query.limit } : {}), ...(query.cursor ? { after: query.cursor } : {}) })),
  ),
  implement(
    op.putSecret,
    async ({ params, body, coffer }) => {
      const { value, ...options } = body;
      return toJson(await coffer.secrets.put(params.tenant, params.name, value, options));
    },
    { auditAction: 'secret.write' },
  ),
  implement(op.getSecret, async ({ params, coffer }) => toJson(await coffer.secrets.get(params.tenant, params.name))),
  implement(
    op.revealSecret,
    async ({ params, body, coffer, reply }) => {
      // Core records the reveal (this request's actor, address and id) before it returns the value.
      const revealed = await coffer.secrets.reveal(params.tenant, params.name, body.version ? { version: body.version } : {});
      reply.header('cache-control', 'no-store');
      return revealed;
    },
    { auditAction: 'secret.reveal' },
  ),
  implement(op.listSecretVersions, async ({ params, coffer }) => ({ items: toJson(await coffer.secrets.versions(params.tenant, params.name)) })),
  implement(
    op.deleteSecret,
    async ({ params, query, coffer }) => ({
      name: params.name,
      versions: await coffer.secrets.delete(params.tenant, params.name, query.version ? { versions: [query.version] } : {}),
    }),
    { auditAction: 'secret.delete' },
  ),
  implement(
    op.undeleteSecretVersions,
    async ({ params, body, coffer }) => ({ name: params.name, versions: await coffer.secrets.undelete(params.tenant, params.name, { versions: body.versions }) }),
    { auditAction: 'secret.undelete' },
  ),
  implement(
    op.destroySecretVersions,
    async ({ params, body, coffer }) => ({ name: params.name, versions: await coffer.secrets.destroy(params.tenant, params.name, { versions: body.versions }) }),
    { auditAction: 'secret.destroy' },
  ),
];
