/**
 * Connections of a tenant: third-party accounts whose credentials live in the vault. Only
 * `…/credentials` returns plaintext (reveal scope, audited before the answer). Core audits
 * every call here itself, with the request's caller as actor (`coffer` acts as the caller).
 */
import { operations } from '@coffer/contract';
import { implement } from '../route.js';
import { toJson } from './wire.js';

const op = operations.connections;

export const connectionRoutes = [
  implement(
    op.createConnection,
    async ({ params, body, coffer, principal }) => {
      // Referencing an existing secret lets the connection send it to the provider's host (its
      // test request, the proxy): core refuses it (and records the refusal) unless the caller may reveal secrets.
      const canRevealSecrets = principal?.kind === 'admin' || principal?.scopes.has('secrets:reveal') === true;
      return toJson(await coffer.connections.create(params.tenant, body, { canRevealSecrets }));
    },
    { auditAction: 'connection.create' },
  ),
  implement(op.listConnections, async ({ params, query, coffer }) => toJson(await coffer.connections.list(params.tenant, query))),
  implement(op.getConnection, async ({ params, coffer }) => toJson(await coffer.connections.get(params.tenant, params.id))),
  implement(op.updateConnection, async ({ params, body, coffer }) => toJson(await coffer.connections.update(params.tenant, params.id, body)), { auditAction: 'connection.update' }),
  implement(op.deleteConnection, async ({ params, coffer }) => toJson(await coffer.connections.delete(params.tenant, params.id)), { auditAction: 'connection.delete' }),
  implement(op.testConnection, async ({ params, coffer }) => toJson(await coffer.connections.test(params.tenant, params.id)), { auditAction: 'connection.test' }),
  // The attempt is recorded with this caller as actor, in the same transaction as the new token.
  implement(op.refreshConnection, async ({ params, coffer }) => toJson(await coffer.connections.refresh(params.tenant, params.id)), { auditAction: 'connection.refresh' }),
  implement(
    op.getConnectionCredentials,
    async ({ params, coffer, reply }) => {
      // Core records the read (this request's actor, address and id) before it returns the credentials.
      const credentials = await coffer.connections.getCredentials(params.tenant, params.id);
      reply.header('cache-control', 'no-store');
      return toJson(credentials);
    },
    { auditAction: 'connection.credentials' },
  ),
];
