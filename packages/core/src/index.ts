/** Public surface of @coffer/core. Anything not exported here is internal. */
export { createCoffer, initCoffer, type Coffer, type InitResult, type OpenHooks } from './coffer.js';
export { configFromEnv, resolveConfig, type CofferConfig, type ResolvedConfig } from './config/config.js';
export { CofferError, ERROR_CODES, isCofferError, type ErrorCode } from './errors.js';
export { seal, open, readKeyId, encodeContext, OVERHEAD_BYTES, type CipherContext, type Purpose } from './crypto/envelope.js';
export { generateKey, keyCheckValue } from './crypto/key-check.js';
export {
  envRootKeyProvider,
  fileRootKeyProvider,
  staticRootKeyProvider,
  parseRootKey,
  encodeRootKey,
  type RootKeyProvider,
  type RootKeyMaterial,
} from './keys/root-key-provider.js';
export { formatRootKeyId, formatTenantKeyId, parseKeyId } from './keys/keyring.js';
export type { KeyAdmin, KeyStatus, RootKeyStatus, TenantKeyStatus, RewrapResult, Progress } from './keys/key-admin.js';
export type { Secrets, PutOptions, PutResult, RevealedSecret, SecretInfo, SecretPage, SecretVersionInfo, ListOptions, VersionSelector } from './vault/secrets.js';
export type { Tenants, Tenant } from './tenants/tenants.js';
export { maskValue, maskString, MASK, type MaskedValue } from './vault/masking.js';
export { SECRET_TYPES, MAX_VALUE_BYTES, DEFAULT_MAX_VERSIONS, type SecretType, type SecretValue, type FieldValue, type Metadata } from './vault/values.js';
export { parseDatabaseUrl, redactUrl, auditFileFor, type Dialect } from './store/database.js';
export type { VersionState } from './store/schema.js';
export {
  TENANT_SCOPES,
  TOKEN_PREFIX,
  isWellFormedToken,
  checkScopes,
  type ApiTokens,
  type ApiTokenInfo,
  type CreateTokenOptions,
  type Principal,
  type Scope,
} from './tokens/api-tokens.js';
export {
  GENESIS_HASH,
  type AuditLog,
  type AuditEvent,
  type AuditEventInput,
  type AuditAction,
  AUDIT_ACTIONS,
  isAuditAction,
  type AuditOutcome,
  type AuditDetailValue,
  type AuditQuery,
  type AuditPage,
  type VerifyResult,
} from './audit/audit-log.js';
export {
  AuditCheckpoints,
  CHECKPOINT_FORMAT,
  parseCheckpoint,
  verifyCheckpoint,
  newestCheckpoint,
  assertCheckpointDirAllowed,
  type CheckpointPayload,
  type SignedCheckpoint,
  type CheckpointPublicKey,
  type CheckpointSignatureCheck,
  type CheckpointVerification,
  type WrittenCheckpoint,
} from './audit/checkpoints.js';
export { parseEd25519PublicKeys, ed25519KeyId } from './crypto/ed25519.js';
export type { TokenKind } from './store/schema.js';
export { LIBRARY_ACTOR, type Actor } from './audit/audited.js';
export { Connections, ownedSecretName, type ConnectionInfo, type ConnectionPage, type ConnectionStatus, type CreateConnectionInput, type UpdateConnectionInput, type UsableCredentials } from './connections/connections.js';
export type { TestResult, AppliedCredentials } from './connections/provider-requests.js';
export { loadProviderCatalog, readProviderFile, ProviderCatalog, BUILTIN_PROVIDERS_DIR, type CatalogEntry, type ProviderSource } from './providers/catalog.js';
export { ProviderDefinition, AUTH_MODES, type AuthMode } from './providers/provider-schema.js';
export { ConnectSessions, SESSION_TTL_MS, type ConnectSessionInput, type CreatedConnectSession, type CallbackOutcome } from './oauth/connect-sessions.js';
export { TokenRefresher, type RefreshOutcome } from './oauth/token-refresher.js';
export { oauthClientSecretName } from './oauth/oauth-client.js';
export type { TokenSet } from './oauth/token-set.js';
export { importLegacy, countLegacyRows, type LegacyMapping, type LegacySource, type LegacyImportOptions, type LegacyImportSummary, type RowProblem } from './migrate/legacy-import.js';
export {
  createOutbound,
  OUTBOUND_DEFAULTS,
  MAX_BODY_BYTES_LIMIT,
  type Outbound,
  type OutboundOptions,
  type OutboundRequestInit,
  type OutboundBody,
  type OutboundTimeoutPhase,
} from './outbound/http.js';
export { classifyAddress, parseAllowEntry, type AddressRange, type AllowEntry } from './outbound/address-policy.js';
