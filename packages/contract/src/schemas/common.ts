/**
 * Building blocks of the API's shapes: ids, names, timestamps, values, enums. Browser-safe:
 * zod only, so the server, the SDK's generated types and the web console share one definition.
 */
import { z } from 'zod';

/** The tenant scopes a token can hold, in the order the API lists them. */
export const TENANT_SCOPES = ['secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read', 'connections:read', 'connections:write'] as const;
/** The scope of a metrics token: `/metrics` and nothing else. */
export const METRICS_SCOPE = 'metrics:read';
export const SECRET_TYPES = ['generic', 'api_key', 'oauth2', 'basic', 'password', 'webhook_secret', 'private_key'] as const;
export const AUTH_MODES = ['api_key', 'basic', 'oauth2', 'oauth2_client_credentials', 'custom'] as const;
export const CONNECTION_STATUSES = ['active', 'error', 'expired', 'refresh_failed', 'revoked'] as const;
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;

const MAX_INT32 = 0x7fffffff;

export const TenantId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
  .meta({ description: 'A tenant id: 1-64 letters, digits, ".", "_" or "-".', examples: ['acme'] });
export const SecretName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-"')
  .meta({ description: 'A secret name: 1-128 letters, digits, ".", "_" or "-".', examples: ['shopify_token'] });
/** Provider ids have a fixed form, so a credential pasted into the field is refused, not echoed. */
export const ProviderId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a provider id: lowercase letters, digits and "-" (see GET /v1/providers)')
  .meta({ description: 'A provider id from the catalog (GET /v1/providers).', examples: ['shopify'] });
export const ConnectionId = z.string().min(1).max(64).meta({ description: 'A connection id.' });
export const TokenId = z.string().min(1).max(64).meta({ description: 'An API token id (not the token).' });

export const VersionNumber = z.number().int().min(1).max(MAX_INT32);
/** A version in a query string: digits, read as a number. */
export const QueryVersion = z.coerce.number().int().min(1).max(MAX_INT32);
export const QueryLimit = z.coerce.number().int().min(1).max(1000);

/** An ISO 8601 date-time in UTC, as every timestamp in the API. */
export const Timestamp = z.iso.datetime().meta({ examples: ['2026-11-27T09:30:00.000Z'] });

export const FieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const SecretValue = z
  .union([z.string().min(1), z.record(z.string(), FieldValue)])
  .meta({ id: 'SecretValue', description: 'A non-empty string, or a flat JSON object of strings, numbers, booleans and nulls.', examples: ['shpat_0123456789abcdef', { client_id: 'abc', client_secret: 'xyz' }] });
export const MaskedValue = z
  .union([z.string(), z.record(z.string(), z.string())])
  .nullable()
  .meta({ id: 'MaskedValue', description: 'A masked form of a value (never plaintext): a string, or an object of masked fields; null when nothing is left to mask.', examples: ['shpa…cdef'] });
export const SecretType = z.enum(SECRET_TYPES).meta({ id: 'SecretType' });
export const Scope = z.enum(TENANT_SCOPES).meta({ id: 'Scope', description: 'A tenant scope.' });
export const TokenScope = z.enum([...TENANT_SCOPES, METRICS_SCOPE]).meta({ id: 'TokenScope', description: 'A tenant scope, or `metrics:read`, which only a metrics token holds.' });
export const TokenKind = z.enum(['admin', 'tenant', 'metrics']).meta({ id: 'TokenKind', description: '`admin` may do everything; `tenant` acts on one tenant within its scopes; `metrics` reads /metrics and nothing else.' });
export const VersionState = z.enum(['active', 'deleted', 'destroyed']).meta({ id: 'VersionState' });
export const AuthMode = z.enum(AUTH_MODES).meta({ id: 'AuthMode' });
export const ConnectionStatus = z.enum(CONNECTION_STATUSES).meta({ id: 'ConnectionStatus' });
export const AuditOutcome = z.enum(AUDIT_OUTCOMES).meta({ id: 'AuditOutcome' });

export const TenantParams = z.object({ tenant: TenantId });
export const SecretParams = z.object({ tenant: TenantId, name: SecretName });
export const ConnectionParams = z.object({ tenant: TenantId, id: ConnectionId });

/** Metadata and config: short strings keyed by short names. */
export const ConfigFields = z.record(z.string().max(64), z.string().max(8192));
