/** Tenants, API tokens and secrets. */
import { z } from 'zod';
import { defineOperation } from '../define.js';
import { KEY_ERRORS } from '../errors.js';
import { QueryLimit, QueryVersion, SecretName, SecretParams, TenantId, TenantParams, TokenId } from '../schemas/common.js';
import { ApiToken, CreatedToken, CreateTokenRequest, PutSecretRequest, PutSecretResult, RevealedSecret, RevealRequest, SecretInfo, SecretVersionInfo, Tenant, VersionsRequest, VersionsResult } from '../schemas/vault.js';

const TenantList = z.object({ items: z.array(Tenant) }).meta({ id: 'TenantList' });
const DeletedTenant = z.object({ id: z.string(), deleted: z.literal(true) }).meta({ id: 'DeletedTenant' });
const TokenList = z.object({ items: z.array(ApiToken) }).meta({ id: 'TokenList' });
const SecretPage = z.object({ items: z.array(SecretInfo), nextCursor: z.string().nullable() }).meta({ id: 'SecretPage' });
const SecretVersionList = z.object({ items: z.array(SecretVersionInfo) }).meta({ id: 'SecretVersionList' });

export const tenantOperations = {
  createTenant: defineOperation({
    operationId: 'createTenant',
    method: 'POST',
    path: '/v1/tenants',
    tag: 'tenants',
    summary: 'Create a tenant and its first key',
    access: { kind: 'admin' },
    body: z.object({ id: TenantId, name: z.string().min(1).max(200).optional() }).strict().meta({ id: 'CreateTenantRequest', examples: [{ id: 'acme', name: 'Acme Ltd' }] }),
    success: { kind: 'json', status: 201, schema: Tenant },
    errors: ['TENANT_EXISTS', 'TENANT_ID_INVALID', ...KEY_ERRORS],
    audited: true,
  }),
  listTenants: defineOperation({
    operationId: 'listTenants',
    method: 'GET',
    path: '/v1/tenants',
    tag: 'tenants',
    summary: 'List tenants',
    access: { kind: 'admin' },
    success: { kind: 'json', status: 200, schema: TenantList },
  }),
  deleteTenant: defineOperation({
    operationId: 'deleteTenant',
    method: 'DELETE',
    path: '/v1/tenants/{tenant}',
    tag: 'tenants',
    summary: 'Delete a tenant: its keys are destroyed first (crypto-shredding), then its rows and tokens',
    access: { kind: 'admin' },
    params: TenantParams,
    success: { kind: 'json', status: 200, schema: DeletedTenant },
    errors: ['TENANT_ID_INVALID'],
    audited: true,
  }),
};

export const tokenOperations = {
  createToken: defineOperation({
    operationId: 'createToken',
    method: 'POST',
    path: '/v1/tokens',
    tag: 'tokens',
    summary: 'Create an API token',
    description:
      'Admin tokens take no tenant or scopes. Tenant tokens need a tenant and at least one scope. Metrics tokens (for a Prometheus scraper) take no tenant and hold `metrics:read` only: they read /metrics and nothing else. `ttlSeconds` bounds the lifetime. The token is shown once.',
    access: { kind: 'admin' },
    body: CreateTokenRequest,
    success: { kind: 'json', status: 201, schema: CreatedToken },
    errors: ['SCOPE_INVALID', 'TENANT_NOT_FOUND', 'TENANT_ID_INVALID', 'INVALID_ARGUMENT'],
    responseHeaders: { 'cache-control': 'no-store' },
    audited: true,
  }),
  listTokens: defineOperation({
    operationId: 'listTokens',
    method: 'GET',
    path: '/v1/tokens',
    tag: 'tokens',
    summary: 'List API tokens (never the tokens themselves)',
    access: { kind: 'admin' },
    query: z.object({ tenant: TenantId.optional() }).strict(),
    success: { kind: 'json', status: 200, schema: TokenList },
  }),
  revokeToken: defineOperation({
    operationId: 'revokeToken',
    method: 'DELETE',
    path: '/v1/tokens/{id}',
    tag: 'tokens',
    summary: 'Revoke an API token at once',
    access: { kind: 'admin' },
    params: z.object({ id: TokenId }),
    success: { kind: 'json', status: 200, schema: ApiToken },
    errors: ['TOKEN_NOT_FOUND'],
    audited: true,
  }),
};

/** POST …/undelete and …/destroy: the same shape, a different state change. */
function versionChange(verb: 'undelete' | 'destroy', operationId: string, summary: string) {
  return defineOperation({
    operationId,
    method: 'POST',
    path: `/v1/tenants/{tenant}/secrets/{name}/${verb}`,
    tag: 'secrets',
    summary,
    access: { kind: 'tenant', scope: 'secrets:write' },
    params: SecretParams,
    body: VersionsRequest,
    success: { kind: 'json', status: 200, schema: VersionsResult },
    errors: ['SECRET_NOT_FOUND', 'SECRET_VERSION_NOT_FOUND', 'SECRET_VERSION_DESTROYED'],
    audited: true,
  });
}

export const secretOperations = {
  listSecrets: defineOperation({
    operationId: 'listSecrets',
    method: 'GET',
    path: '/v1/tenants/{tenant}/secrets',
    tag: 'secrets',
    summary: 'List secrets with masked values',
    description: 'Never returns plaintext. Pages by name: pass `nextCursor` as `cursor`.',
    access: { kind: 'tenant', scope: 'secrets:read' },
    params: TenantParams,
    query: z.object({ limit: QueryLimit.optional(), cursor: SecretName.optional() }).strict(),
    success: { kind: 'json', status: 200, schema: SecretPage },
    errors: [...KEY_ERRORS],
  }),
  putSecret: defineOperation({
    operationId: 'putSecret',
    method: 'PUT',
    path: '/v1/tenants/{tenant}/secrets/{name}',
    tag: 'secrets',
    summary: 'Write a new version of a secret',
    description: 'Creates the secret if needed. `cas`: 0 creates only; N writes only if the current version is N (409 CAS_MISMATCH otherwise, with `currentVersion`).',
    access: { kind: 'tenant', scope: 'secrets:write' },
    params: SecretParams,
    body: PutSecretRequest,
    success: { kind: 'json', status: 200, schema: PutSecretResult },
    errors: ['CAS_MISMATCH', 'SECRET_VALUE_TOO_LARGE', 'SECRET_VALUE_INVALID', 'SECRET_TYPE_INVALID', 'METADATA_INVALID', 'SECRET_NAME_INVALID', 'INVALID_ARGUMENT', ...KEY_ERRORS],
    audited: true,
  }),
  getSecret: defineOperation({
    operationId: 'getSecret',
    method: 'GET',
    path: '/v1/tenants/{tenant}/secrets/{name}',
    tag: 'secrets',
    summary: 'Secret metadata and masked current value',
    access: { kind: 'tenant', scope: 'secrets:read' },
    params: SecretParams,
    success: { kind: 'json', status: 200, schema: SecretInfo },
    errors: ['SECRET_NOT_FOUND', ...KEY_ERRORS],
  }),
  revealSecret: defineOperation({
    operationId: 'revealSecret',
    method: 'POST',
    path: '/v1/tenants/{tenant}/secrets/{name}/reveal',
    tag: 'secrets',
    summary: 'Reveal the plaintext of the current or a given version',
    description:
      'Needs `secrets:reveal`. The body is optional (none, or `{}`, reveals the current version). The reveal is recorded in the audit log before the value is returned; if the event cannot be written, nothing is returned (503 AUDIT_UNAVAILABLE).',
    access: { kind: 'tenant', scope: 'secrets:reveal' },
    params: SecretParams,
    body: RevealRequest,
    bodyRequired: false,
    success: { kind: 'json', status: 200, schema: RevealedSecret },
    errors: ['SECRET_NOT_FOUND', 'SECRET_VERSION_NOT_FOUND', 'SECRET_VERSION_DELETED', 'SECRET_VERSION_DESTROYED', ...KEY_ERRORS],
    responseHeaders: { 'cache-control': 'no-store' },
    audited: true,
  }),
  listSecretVersions: defineOperation({
    operationId: 'listSecretVersions',
    method: 'GET',
    path: '/v1/tenants/{tenant}/secrets/{name}/versions',
    tag: 'secrets',
    summary: 'List kept versions, newest first, with masked values',
    access: { kind: 'tenant', scope: 'secrets:read' },
    params: SecretParams,
    success: { kind: 'json', status: 200, schema: SecretVersionList },
    errors: ['SECRET_NOT_FOUND', ...KEY_ERRORS],
  }),
  deleteSecret: defineOperation({
    operationId: 'deleteSecret',
    method: 'DELETE',
    path: '/v1/tenants/{tenant}/secrets/{name}',
    tag: 'secrets',
    summary: 'Soft-delete every version, or one (?version=N)',
    access: { kind: 'tenant', scope: 'secrets:write' },
    params: SecretParams,
    query: z.object({ version: QueryVersion.optional() }).strict(),
    success: { kind: 'json', status: 200, schema: VersionsResult },
    errors: ['SECRET_NOT_FOUND', 'SECRET_VERSION_NOT_FOUND', 'SECRET_VERSION_DESTROYED'],
    audited: true,
  }),
  undeleteSecretVersions: versionChange('undelete', 'undeleteSecretVersions', 'Restore soft-deleted versions'),
  destroySecretVersions: versionChange('destroy', 'destroySecretVersions', 'Wipe versions for good'),
};
