/**
 * Connections of a tenant: third-party accounts whose credentials live in the vault. Only
 * `…/credentials` returns plaintext (reveal scope, audited before the answer). Core audits
 * every call here itself, with the request's caller as actor (`coffer` acts as the caller).
 */
import { MAX_VALUE_BYTES } from '@coffer/core';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { Connection, ConnectionParams, ProviderId, SecretName, TenantParams, toJson } from './schemas.js';

/** Config fields are short; a credential field may fill its secret's 64 KiB (core checks the whole value). */
const ConfigFields = z.record(z.string().max(64), z.string().max(8192));
const CredentialFields = z.record(z.string().max(64), z.string().max(MAX_VALUE_BYTES));

export const connectionRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/connections',
    tag: 'connections',
    summary: 'Create a connection',
    description:
      'For api_key, basic and custom providers: `credentials` holds the fields the provider declares (stored in a vault secret created in the same transaction), or `secret` names an existing secret that holds them. OAuth providers are connected through a connect session instead.',
    auditAction: 'connection.create',
    access: { kind: 'tenant', scope: 'connections:write' },
    params: TenantParams,
    body: z
      .object({
        provider: ProviderId,
        displayName: z.string().max(200).optional(),
        config: ConfigFields.optional(),
        credentials: CredentialFields.optional(),
        secret: SecretName.optional(),
      })
      .strict(),
    status: 201,
    response: Connection,
    errors: ['PROVIDER_NOT_FOUND', 'CONNECTION_INVALID', 'SECRET_NOT_FOUND', 'FORBIDDEN', 'PROVIDER_HOST_NOT_ALLOWED', 'SECRET_VALUE_TOO_LARGE'],
    async handler({ params, body, coffer, principal }) {
      // Referencing an existing secret lets the connection send it to the provider's host (its
      // test request, the proxy): core refuses it (and records the refusal) unless the caller may reveal secrets.
      const canRevealSecrets = principal?.kind === 'admin' || principal?.scopes.has('secrets:reveal') === true;
      return toJson(await coffer.connections.create(params.tenant, body as never, { canRevealSecrets })) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/connections',
    tag: 'connections',
    summary: 'List connections with status and masked credentials',
    description: 'Newest first. Pass `nextCursor` as `cursor` for the next page.',
    access: { kind: 'tenant', scope: 'connections:read' },
    params: TenantParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), cursor: z.string().max(200).optional() }).strict(),
    response: z.object({ items: z.array(Connection), nextCursor: z.string().nullable() }),
    async handler({ params, query, coffer }) {
      return toJson(await coffer.connections.list(params.tenant, query)) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/connections/:id',
    tag: 'connections',
    summary: 'One connection',
    access: { kind: 'tenant', scope: 'connections:read' },
    params: ConnectionParams,
    response: Connection,
    errors: ['CONNECTION_NOT_FOUND'],
    async handler({ params, coffer }) {
      return toJson(await coffer.connections.get(params.tenant, params.id)) as never;
    },
  }),
  defineRoute({
    method: 'PATCH',
    url: '/v1/tenants/:tenant/connections/:id',
    tag: 'connections',
    summary: 'Rename, change config or replace credentials',
    description:
      'New `credentials` become a new version of the connection\'s secret; the old version stays (masked) in its history. Config fields that form a URL (a host, a shop domain) are fixed once the connection exists (409 CONNECTION_FIELD_IMMUTABLE): create a new connection to point elsewhere.',
    auditAction: 'connection.update',
    access: { kind: 'tenant', scope: 'connections:write' },
    params: ConnectionParams,
    body: z.object({ displayName: z.string().max(200).optional(), config: ConfigFields.optional(), credentials: CredentialFields.optional() }).strict(),
    response: Connection,
    errors: ['CONNECTION_NOT_FOUND', 'CONNECTION_INVALID', 'CONNECTION_FIELD_IMMUTABLE', 'SECRET_VALUE_TOO_LARGE'],
    async handler({ params, body, coffer }) {
      return toJson(await coffer.connections.update(params.tenant, params.id, body as never)) as never;
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/tenants/:tenant/connections/:id',
    tag: 'connections',
    summary: 'Delete a connection and erase the secret it owns',
    description: 'A secret the connection only referenced is left in place.',
    auditAction: 'connection.delete',
    access: { kind: 'tenant', scope: 'connections:write' },
    params: ConnectionParams,
    response: Connection,
    errors: ['CONNECTION_NOT_FOUND'],
    async handler({ params, coffer }) {
      return toJson(await coffer.connections.delete(params.tenant, params.id)) as never;
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/connections/:id/test',
    tag: 'connections',
    summary: "Run the provider's test request with the connection's credentials",
    description: 'The credentials never leave the server. The answer says whether the provider accepted them (status, remote account id); the connection\'s status and last error are updated.',
    auditAction: 'connection.test',
    access: { kind: 'tenant', scope: 'connections:write' },
    params: ConnectionParams,
    response: z.object({
      ok: z.boolean(),
      status: z.number().nullable(),
      identifier: z.string().nullable(),
      error: z.string().nullable(),
      durationMs: z.number(),
      connection: Connection,
    }),
    errors: ['CONNECTION_NOT_FOUND', 'CONNECTION_UNUSABLE'],
    async handler({ params, coffer }) {
      return toJson(await coffer.connections.test(params.tenant, params.id)) as never;
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/connections/:id/refresh',
    tag: 'connections',
    summary: "Refresh an OAuth connection's token now",
    description:
      "Asks the provider for a new token now, whatever the current token's expiry or a back-off after failures. Concurrent calls for one connection, in any replica, send one request and all get its result (a failure included). Answers with the connection and its new expiresAt; recorded as connection.refresh with the caller as actor.",
    auditAction: 'connection.refresh',
    access: { kind: 'tenant', scope: 'connections:write' },
    params: ConnectionParams,
    response: Connection,
    errors: ['CONNECTION_NOT_FOUND', 'CONNECTION_INVALID', 'CONNECTION_UNUSABLE', 'PROVIDER_REQUEST_FAILED'],
    async handler({ params, coffer }) {
      // The attempt is recorded with this caller as actor, in the same transaction as the new token.
      return toJson(await coffer.connections.refresh(params.tenant, params.id)) as never;
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/connections/:id/credentials',
    tag: 'connections',
    summary: 'Credentials valid now, and how to use them (plaintext)',
    description:
      'Needs `secrets:reveal`. Refreshes first when a token is about to expire. Recorded in the audit log before the answer; if the event cannot be written, nothing is returned (503 AUDIT_UNAVAILABLE).',
    auditAction: 'connection.credentials',
    access: { kind: 'tenant', scope: 'secrets:reveal' },
    params: ConnectionParams,
    body: z.object({}).strict(),
    response: z.object({
      connectionId: z.string(),
      provider: z.string(),
      authMode: z.string(),
      values: z.record(z.string(), z.string()),
      baseUrl: z.string(),
      headers: z.record(z.string(), z.string()),
      query: z.record(z.string(), z.string()),
      expiresAt: z.string().nullable(),
    }),
    errors: ['CONNECTION_NOT_FOUND', 'CONNECTION_UNUSABLE', 'AUDIT_UNAVAILABLE'],
    async handler({ params, coffer, reply }) {
      // Core records the read (this request's actor, address and id) before it returns the credentials.
      const credentials = await coffer.connections.getCredentials(params.tenant, params.id);
      reply.header('cache-control', 'no-store');
      return toJson(credentials) as never;
    },
  }),
];
