/** Request and response shapes shared by the routes, as zod schemas (also the OpenAPI source). */
import { AUTH_MODES, SECRET_TYPES, TENANT_SCOPES, type CatalogEntry } from '@coffer/core';
import { z } from 'zod';

export const TenantId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');
export const SecretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-"');
export const VersionNumber = z.number().int().min(1).max(0x7fffffff);
export const QueryVersion = z.coerce.number().int().min(1).max(0x7fffffff);
export const Timestamp = z.string().describe('ISO 8601 date-time');
export const FieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const SecretValue = z.union([z.string().min(1), z.record(z.string(), FieldValue)]);
export const MaskedValue = z.union([z.string(), z.record(z.string(), z.string())]).nullable();
export const SecretType = z.enum(SECRET_TYPES);
export const Scope = z.enum(TENANT_SCOPES);
export const VersionState = z.enum(['active', 'deleted', 'destroyed']);

export const TenantParams = z.object({ tenant: TenantId });
export const SecretParams = z.object({ tenant: TenantId, name: SecretName });

/** Provider ids have a fixed form, so a credential pasted into the field is refused, not echoed. */
export const ProviderId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a provider id: lowercase letters, digits and "-" (see GET /v1/providers)');

export const ConnectionParams = z.object({ tenant: TenantId, id: z.string().min(1).max(64) });

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const Tenant = z.object({ id: z.string(), name: z.string(), createdAt: Timestamp, secretCount: z.number() });
export const SecretInfo = z.object({
  name: z.string(),
  type: SecretType,
  metadata: z.record(z.string(), z.unknown()),
  currentVersion: z.number(),
  state: VersionState,
  maxVersions: z.number(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  masked: MaskedValue,
});
export const SecretVersionInfo = z.object({
  version: z.number(),
  state: VersionState,
  keyId: z.string().nullable(),
  createdAt: Timestamp,
  deletedAt: Timestamp.nullable(),
  destroyedAt: Timestamp.nullable(),
  masked: MaskedValue,
});
export const ApiToken = z.object({
  id: z.string(),
  kind: z.enum(['admin', 'tenant']),
  tenant: z.string().nullable(),
  scopes: z.array(Scope),
  description: z.string(),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
});
export const AuditEvent = z.object({
  seq: z.number(),
  id: z.string(),
  at: Timestamp,
  actor: z.string(),
  action: z.string(),
  tenant: z.string().nullable(),
  target: z.string().nullable(),
  outcome: z.enum(['success', 'failure', 'denied']),
  code: z.string().nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), FieldValue),
  hash: z.string(),
});

export const Connection = z.object({
  id: z.string(),
  tenant: z.string(),
  provider: z.string(),
  displayName: z.string(),
  authMode: z.enum(AUTH_MODES),
  status: z.enum(['active', 'error', 'expired', 'refresh_failed', 'revoked']),
  lastError: z.string().nullable(),
  identifier: z.string().nullable(),
  config: z.record(z.string(), z.string()),
  secret: z.object({ name: z.string(), owned: z.boolean() }),
  credentials: MaskedValue,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  lastRefreshedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
  /** The legacy row's key when `coffer migrate legacy` made the connection. */
  importKey: z.string().nullable(),
});

const ProviderField = z.object({ name: z.string(), label: z.string(), required: z.boolean(), pattern: z.string().optional(), description: z.string().optional() });
export const ProviderInfo = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  docs: z.string().optional(),
  source: z.enum(['builtin', 'custom']),
  auth: z.object({
    mode: z.enum(AUTH_MODES),
    fields: z.array(ProviderField.extend({ secret: z.boolean() })),
    oauth: z.record(z.string(), z.unknown()).optional(),
  }),
  config: z.array(ProviderField.extend({ default: z.string().optional() })),
  api: z.record(z.string(), z.unknown()),
});

/** A catalog entry as the API shows it: the definition and where it came from (not the file path). */
export function providerJson(entry: CatalogEntry): z.infer<typeof ProviderInfo> {
  return { ...entry.definition, source: entry.source };
}

/** Dates to ISO strings, recursively, for JSON responses. */
export function toJson<T>(value: T): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}
