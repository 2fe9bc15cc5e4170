/** Tenants, secrets and API tokens as the API shows them. */
import { z } from 'zod';
import { AuditOutcome, FieldValue, MaskedValue, Scope, SecretType, SecretValue, Timestamp, TokenKind, TokenScope, VersionNumber, VersionState } from './common.js';

export const Tenant = z
  .object({ id: z.string(), name: z.string(), createdAt: Timestamp, secretCount: z.number().int() })
  .meta({ id: 'Tenant', examples: [{ id: 'acme', name: 'Acme Ltd', createdAt: '2026-11-27T09:30:00.000Z', secretCount: 3 }] });

export const SecretInfo = z
  .object({
    name: z.string(),
    type: SecretType,
    metadata: z.record(z.string(), z.unknown()),
    currentVersion: z.number().int(),
    state: VersionState,
    maxVersions: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    masked: MaskedValue,
  })
  .meta({ id: 'SecretInfo', description: 'A secret\'s metadata and its current value masked; never plaintext.' });

export const SecretVersionInfo = z
  .object({
    version: z.number().int(),
    state: VersionState,
    keyId: z.string().nullable().meta({ description: 'The tenant key that wraps this version\'s data key; null once destroyed.' }),
    createdAt: Timestamp,
    deletedAt: Timestamp.nullable(),
    destroyedAt: Timestamp.nullable(),
    masked: MaskedValue,
  })
  .meta({ id: 'SecretVersionInfo' });

export const PutSecretRequest = z
  .object({
    value: SecretValue,
    type: SecretType.optional(),
    metadata: z.record(z.string(), z.unknown()).optional().meta({ description: 'A JSON object of at most 8 KiB; never secret.' }),
    cas: z.number().int().min(0).max(0x7fffffff).optional().meta({ description: 'Check-and-set: 0 creates only; N writes only if the current version is N.' }),
    maxVersions: z.number().int().min(1).max(1000).optional().meta({ description: 'Versions kept; older ones are destroyed by the write.' }),
  })
  .strict()
  .meta({ id: 'PutSecretRequest', examples: [{ value: 'shpat_0123456789abcdef', type: 'api_key', metadata: { shop: 'acme.myshopify.com' } }] });

export const PutSecretResult = z
  .object({
    name: z.string(),
    version: z.number().int(),
    createdAt: Timestamp,
    destroyedVersions: z.array(z.number().int()).optional().meta({ description: 'Versions this write destroyed because the secret keeps `maxVersions` (oldest first); each is audited.' }),
  })
  .meta({ id: 'PutSecretResult' });

export const RevealRequest = z
  .object({ version: VersionNumber.optional().meta({ description: 'A version to reveal; default the current one.' }) })
  .strict()
  .meta({ id: 'RevealRequest' });

export const RevealedSecret = z
  .object({ name: z.string(), type: SecretType, version: z.number().int(), value: SecretValue })
  .meta({ id: 'RevealedSecret', description: 'Plaintext. Recorded in the audit log before it was sent.', examples: [{ name: 'shopify_token', type: 'api_key', version: 3, value: 'shpat_0123456789abcdef' }] });

export const VersionsRequest = z.object({ versions: z.array(VersionNumber).min(1).max(1000) }).strict().meta({ id: 'VersionsRequest' });
export const VersionsResult = z.object({ name: z.string(), versions: z.array(z.number().int()) }).meta({ id: 'VersionsResult', description: 'The versions the call changed.' });

export const ApiToken = z
  .object({
    id: z.string(),
    kind: TokenKind,
    tenant: z.string().nullable(),
    scopes: z.array(TokenScope),
    description: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ApiToken', description: 'A token\'s record; never the token itself.' });

export const CreateTokenRequest = z
  .object({
    kind: TokenKind,
    tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"').optional(),
    scopes: z.array(TokenScope).max(20).optional(),
    description: z.string().max(200).optional(),
    ttlSeconds: z.number().int().min(60).max(10 * 365 * 86400).optional(),
  })
  .strict()
  .meta({ id: 'CreateTokenRequest', examples: [{ kind: 'tenant', tenant: 'acme', scopes: ['secrets:read', 'secrets:reveal'], description: 'billing worker', ttlSeconds: 2592000 }] });

export const CreatedToken = ApiToken.extend({ token: z.string().meta({ description: 'The token (`cfr_…`). Shown once: store it now.' }) }).meta({ id: 'CreatedToken' });

export const AuditEvent = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: Timestamp,
    actor: z.string(),
    action: z.string(),
    tenant: z.string().nullable(),
    target: z.string().nullable(),
    outcome: AuditOutcome,
    code: z.string().nullable(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), FieldValue),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

/** Scope is re-exported for operation files that name it. */
export { Scope };
