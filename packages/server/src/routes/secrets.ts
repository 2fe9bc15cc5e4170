/**
 * Secrets of a tenant: write, read metadata, reveal (the only plaintext route), versions, delete.
 * Core audits every change and reveal itself, as this request's caller (`coffer` acts as it).
 */
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { QueryVersion, SecretInfo, SecretName, SecretParams, SecretType, SecretValue, SecretVersionInfo, TenantParams, toJson, VersionNumber } from './schemas.js';

const VersionsBody = z.object({ versions: z.array(VersionNumber).min(1).max(1000) }).strict();
const VersionsResult = z.object({ name: z.string(), versions: z.array(z.number()) });

/** POST …/undelete and …/destroy: the same shape, a different state change. */
function versionChangeRoute(verb: 'undelete' | 'destroy', summary: string) {
  return defineRoute({
    method: 'POST',
    url: `/v1/tenants/:tenant/secrets/:name/${verb}`,
    tag: 'secrets',
    summary,
    auditAction: `secret.${verb}`,
    access: { kind: 'tenant', scope: 'secrets:write' },
    params: SecretParams,
    body: VersionsBody,
    response: VersionsResult,
    async handler({ params, body, coffer }) {
      const versions = await coffer.secrets[verb](params.tenant, params.name, { versions: body.versions });
      return { name: params.name, versions };
    },
  });
}

export const secretRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/secrets',
    tag: 'secrets',
    summary: 'List secrets with masked values',
    description: 'Never returns plaintext. Pages by name: pass `nextCursor` as `cursor`.',
    access: { kind: 'tenant', scope: 'secrets:read' },
    params: TenantParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), cursor: SecretName.optional() }).strict(),
    response: z.object({ items: z.array(SecretInfo), nextCursor: z.string().nullable() }),
    async handler({ params, query, coffer }) {
      const page = await coffer.secrets.list(params.tenant, { ...(query.limit ? { limit: query.limit } : {}), ...(query.cursor ? { after: query.cursor } : {}) });
      return toJson(page) as never;
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/tenants/:tenant/secrets/:name',
    tag: 'secrets',
    summary: 'Write a new version of a secret',
    auditAction: 'secret.write',
    description: 'Creates the secret if needed. `cas`: 0 creates only; N writes only if the current version is N (409 CAS_MISMATCH otherwise).',
    access: { kind: 'tenant', scope: 'secrets:write' },
    params: SecretParams,
    body: z
      .object({
        value: SecretValue,
        type: SecretType.optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
        cas: z.number().int().min(0).max(0x7fffffff).optional(),
        maxVersions: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    // destroyedVersions: versions destroyed because the write (or a lowered maxVersions) went past the number kept; each is audited.
    response: z.object({ name: z.string(), version: z.number(), createdAt: z.string(), destroyedVersions: z.array(z.number()).optional() }),
    errors: ['CAS_MISMATCH', 'SECRET_VALUE_TOO_LARGE', 'SECRET_VALUE_INVALID'],
    async handler({ params, body, coffer }) {
      const { value, ...options } = body;
      return toJson(await coffer.secrets.put(params.tenant, params.name, value, options)) as never;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/secrets/:name',
    tag: 'secrets',
    summary: 'Secret metadata and masked current value',
    access: { kind: 'tenant', scope: 'secrets:read' },
    params: SecretParams,
    response: SecretInfo,
    async handler({ params, coffer }) {
      return toJson(await coffer.secrets.get(params.tenant, params.name)) as never;
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/tenants/:tenant/secrets/:name/reveal',
    auditAction: 'secret.reveal',
    tag: 'secrets',
    summary: 'Reveal the plaintext of the current or a given version',
    description: 'Needs `secrets:reveal`. The reveal is recorded in the audit log before the value is returned; if the event cannot be written, nothing is returned (503 AUDIT_UNAVAILABLE).',
    access: { kind: 'tenant', scope: 'secrets:reveal' },
    params: SecretParams,
    body: z.object({ version: VersionNumber.optional() }).strict(),
    response: z.object({ name: z.string(), type: SecretType, version: z.number(), value: SecretValue }),
    errors: ['SECRET_VERSION_DELETED', 'SECRET_VERSION_DESTROYED', 'AUDIT_UNAVAILABLE'],
    async handler({ params, body, coffer, reply }) {
      // Core records the reveal (this request's actor, address and id) before it returns the value.
      const revealed = await coffer.secrets.reveal(params.tenant, params.name, body.version ? { version: body.version } : {});
      reply.header('cache-control', 'no-store');
      return revealed;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/tenants/:tenant/secrets/:name/versions',
    tag: 'secrets',
    summary: 'List kept versions, newest first, with masked values',
    access: { kind: 'tenant', scope: 'secrets:read' },
    params: SecretParams,
    response: z.object({ items: z.array(SecretVersionInfo) }),
    async handler({ params, coffer }) {
      return { items: toJson(await coffer.secrets.versions(params.tenant, params.name)) } as never;
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/tenants/:tenant/secrets/:name',
    tag: 'secrets',
    summary: 'Soft-delete every version, or one (?version=N)',
    auditAction: 'secret.delete',
    access: { kind: 'tenant', scope: 'secrets:write' },
    params: SecretParams,
    query: z.object({ version: QueryVersion.optional() }).strict(),
    response: VersionsResult,
    async handler({ params, query, coffer }) {
      const versions = await coffer.secrets.delete(params.tenant, params.name, query.version ? { versions: [query.version] } : {});
      return { name: params.name, versions };
    },
  }),
  versionChangeRoute('undelete', 'Restore soft-deleted versions'),
  versionChangeRoute('destroy', 'Wipe versions for good'),
];
