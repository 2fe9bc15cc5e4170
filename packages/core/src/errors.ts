/**
 * Every error Coffer raises on purpose is a {@link CofferError} with a stable `code`.
 *
 * Callers switch on `err.code`; the HTTP layer maps codes to status in one table; the CLI prints
 * `code: message`. Messages say what went wrong and what to do next, and never contain a key,
 * a secret value or any other plaintext.
 */
export const ERROR_CODES = {
  // configuration and start-up
  CONFIG_INVALID: 'A configuration value is missing or malformed.',
  NOT_INITIALIZED: 'Coffer has not been initialised for this data directory or database.',
  ROOT_KEY_MISSING: 'No root key was supplied.',
  ROOT_KEY_INVALID: 'The supplied root key is not 32 bytes of base64.',
  ROOT_KEY_FILE_UNSAFE: 'The root key file can be read by other users.',
  ROOT_KEY_MISMATCH: 'The root key does not match the one this database was initialised with.',
  ROOT_KEY_RETIRED: 'The root key was retired and may no longer be used.',
  DATABASE_UNAVAILABLE: 'The database could not be reached.',
  // ciphertext
  CIPHERTEXT_MALFORMED: 'A ciphertext is truncated or not in Coffer format.',
  CIPHERTEXT_UNSUPPORTED_FORMAT: 'A ciphertext has a format version this build does not know.',
  KEY_NOT_FOUND: 'The key a ciphertext names is not known.',
  DECRYPTION_FAILED: 'A ciphertext failed authentication.',
  // tenants
  TENANT_ID_INVALID: 'A tenant id has characters or a length that are not allowed.',
  TENANT_NOT_FOUND: 'No such tenant.',
  TENANT_EXISTS: 'A tenant with that id already exists.',
  // secrets
  SECRET_NAME_INVALID: 'A secret name has characters or a length that are not allowed.',
  SECRET_TYPE_INVALID: 'A secret type is not one Coffer knows.',
  SECRET_VALUE_INVALID: 'A secret value is neither a string nor a flat JSON object.',
  SECRET_VALUE_TOO_LARGE: 'A secret value is larger than the limit.',
  METADATA_INVALID: 'Secret metadata is not a small JSON object of non-secret fields.',
  SECRET_NOT_FOUND: 'No such secret in this tenant.',
  SECRET_VERSION_NOT_FOUND: 'No such version of the secret.',
  SECRET_VERSION_DELETED: 'The version is soft-deleted.',
  SECRET_VERSION_DESTROYED: 'The version was destroyed.',
  CAS_MISMATCH: 'The check-and-set version did not match the current version.',
  // keys
  KEY_ID_INVALID: 'A key id is not in a form Coffer knows.',
  KEY_IN_USE: 'The key still protects data and cannot be retired.',
  KEY_ACTIVE: 'The newest key of a tenant, or the current root key, cannot be retired.',
  ROTATION_UNAVAILABLE: 'The root key provider cannot rotate the root key by itself.',
  ROTATION_IN_PROGRESS: 'Another process is rotating the root key, or a rotation from this key is not finished.',
  // API access
  UNAUTHENTICATED: 'The API token is missing, malformed, unknown, expired or revoked.',
  FORBIDDEN: 'The API token lacks the scope this operation needs.',
  RATE_LIMITED: 'Too many failed attempts; wait before trying again.',
  TOKEN_NOT_FOUND: 'No such API token.',
  SCOPE_INVALID: 'A scope is not one Coffer knows, or does not fit the token kind.',
  // providers and connections
  PROVIDER_INVALID: 'A provider definition is malformed; the message names the file, the field and the reason.',
  PROVIDER_NOT_FOUND: 'No provider with that id in the catalog.',
  CONNECTION_NOT_FOUND: 'No such connection in this tenant.',
  CONNECTION_INVALID: 'Connection credentials or config do not match what the provider declares.',
  CONNECTION_UNUSABLE: 'The connection cannot give credentials in its state (revoked, refresh failed, expired).',
  PROVIDER_REQUEST_FAILED: 'A request to the provider failed or answered unexpectedly.',
  OAUTH_CLIENT_MISSING: 'No OAuth client (client id and secret) is stored for the provider.',
  CONNECT_SESSION_INVALID: 'The connect link or OAuth callback is unknown, already used, expired, or from another browser.',
  OAUTH_FAILED: 'The provider refused the authorization or the token exchange failed.',
  PROVIDER_HOST_NOT_ALLOWED: "A URL filled from a connection's config names a host the provider does not allow.",
  OAUTH_ORIGIN_NOT_ALLOWED: "An OAuth endpoint's origin is not on the OAuth client's allowed_origins.",
  CONNECTION_FIELD_IMMUTABLE: 'A config field that forms a URL cannot change on an existing connection; create a new connection.',
  RETURN_URL_NOT_ALLOWED: "A connect session's returnUrl is not on the tenant's allowed return origins.",
  OUTBOUND_BLOCKED: 'An outbound request was refused: its destination is not a public address, or plain http to a host that is not allowlisted (COFFER_OUTBOUND_ALLOW).',
  OUTBOUND_RESPONSE_TOO_LARGE: 'An outside server answered with a body larger than the limit; the request was aborted.',
  OUTBOUND_TIMEOUT: 'An outside server did not connect, answer or finish in time.',
  OUTBOUND_FAILED: 'An outside server could not be reached (DNS, connection refused or reset, TLS) or answered with malformed HTTP.',
  // audit
  AUDIT_UNAVAILABLE: 'The audit log could not be written, so the operation was refused.',
  AUDIT_CHECKPOINT_MISMATCH: 'The audit log no longer holds a checkpoint this vault signed (events were cut or rewritten), so no new checkpoint is signed over it.',
  // generic
  INVALID_ARGUMENT: 'An argument is malformed.',
  INTERNAL: 'An unexpected internal error.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class CofferError extends Error {
  override readonly name = 'CofferError';
  readonly code: ErrorCode;
  /** Non-secret structured details (ids, versions, limits) for machines. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code]);
    this.code = code;
    this.details = details;
  }
}

export function isCofferError(err: unknown, code?: ErrorCode): err is CofferError {
  return err instanceof CofferError && (code === undefined || err.code === code);
}
