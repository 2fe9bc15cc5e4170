/**
 * Every error code the API can answer, with its HTTP status, in one table. Core raises the
 * first group; the HTTP layer adds the second (validation, parsing, routing). The server checks
 * at compile time that this table covers every code core can raise.
 */
import { z } from 'zod';

export const ERROR_STATUS = {
  CONFIG_INVALID: 500,
  NOT_INITIALIZED: 503,
  ROOT_KEY_MISSING: 503,
  ROOT_KEY_INVALID: 503,
  ROOT_KEY_FILE_UNSAFE: 503,
  ROOT_KEY_MISMATCH: 503,
  ROOT_KEY_RETIRED: 503,
  DATABASE_UNAVAILABLE: 503,
  CIPHERTEXT_MALFORMED: 500,
  CIPHERTEXT_UNSUPPORTED_FORMAT: 500,
  KEY_NOT_FOUND: 500,
  DECRYPTION_FAILED: 500,
  TENANT_ID_INVALID: 400,
  TENANT_NOT_FOUND: 404,
  TENANT_EXISTS: 409,
  SECRET_NAME_INVALID: 400,
  SECRET_TYPE_INVALID: 400,
  SECRET_VALUE_INVALID: 400,
  SECRET_VALUE_TOO_LARGE: 413,
  METADATA_INVALID: 400,
  SECRET_NOT_FOUND: 404,
  SECRET_VERSION_NOT_FOUND: 404,
  SECRET_VERSION_DELETED: 410,
  SECRET_VERSION_DESTROYED: 410,
  CAS_MISMATCH: 409,
  KEY_ID_INVALID: 400,
  KEY_IN_USE: 409,
  KEY_ACTIVE: 409,
  ROTATION_UNAVAILABLE: 409,
  ROTATION_IN_PROGRESS: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  TOKEN_NOT_FOUND: 404,
  SCOPE_INVALID: 400,
  PROVIDER_INVALID: 500,
  PROVIDER_NOT_FOUND: 404,
  CONNECTION_NOT_FOUND: 404,
  CONNECTION_INVALID: 400,
  CONNECTION_UNUSABLE: 409,
  PROVIDER_REQUEST_FAILED: 502,
  OAUTH_CLIENT_MISSING: 409,
  CONNECT_SESSION_INVALID: 400,
  OAUTH_FAILED: 502,
  PROVIDER_HOST_NOT_ALLOWED: 400,
  OAUTH_ORIGIN_NOT_ALLOWED: 409,
  CONNECTION_FIELD_IMMUTABLE: 409,
  RETURN_URL_NOT_ALLOWED: 400,
  OUTBOUND_BLOCKED: 502,
  OUTBOUND_RESPONSE_TOO_LARGE: 502,
  OUTBOUND_TIMEOUT: 504,
  OUTBOUND_FAILED: 502,
  AUDIT_UNAVAILABLE: 503,
  AUDIT_CHECKPOINT_MISMATCH: 500,
  INVALID_ARGUMENT: 400,
  INTERNAL: 500,
  // Raised by the HTTP layer itself.
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  BAD_URL: 400,
  URI_TOO_LONG: 414,
  SHUTTING_DOWN: 503,
} as const;

export type ApiErrorCode = keyof typeof ERROR_STATUS;
export const API_ERROR_CODES = Object.keys(ERROR_STATUS) as [ApiErrorCode, ...ApiErrorCode[]];

export const ErrorCode = z
  .enum(API_ERROR_CODES)
  .meta({ id: 'ErrorCode', description: 'A stable error code; the README lists what each means and what to do. New versions may add codes: treat an unknown one by its HTTP status.' });

/**
 * Every error answer: `{"error":{"code","message"}}`. The message is for people and never holds
 * a secret; machines switch on `code`. `CAS_MISMATCH` also carries the current version.
 */
export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      currentVersion: z.number().int().min(0).optional().meta({ description: 'With CAS_MISMATCH: the secret\'s current version (0: it does not exist).' }),
    }),
  })
  .meta({ id: 'ErrorBody', examples: [{ error: { code: 'SECRET_NOT_FOUND', message: 'Secret "shopify_token" does not exist in tenant "acme".' } }] });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Errors any decryption or encryption can answer: a damaged ciphertext or a key that is gone. */
export const KEY_ERRORS = ['KEY_NOT_FOUND', 'DECRYPTION_FAILED', 'CIPHERTEXT_MALFORMED', 'CIPHERTEXT_UNSUPPORTED_FORMAT', 'ROOT_KEY_RETIRED'] as const satisfies readonly ApiErrorCode[];
/** Errors of reading a stored secret: gone, or its current version deleted or destroyed. */
export const SECRET_READ_ERRORS = ['SECRET_NOT_FOUND', 'SECRET_VERSION_NOT_FOUND', 'SECRET_VERSION_DELETED', 'SECRET_VERSION_DESTROYED'] as const satisfies readonly ApiErrorCode[];
/** Errors of an outbound request to a provider. */
export const OUTBOUND_ERRORS = ['OUTBOUND_BLOCKED', 'OUTBOUND_RESPONSE_TOO_LARGE', 'OUTBOUND_TIMEOUT', 'OUTBOUND_FAILED', 'PROVIDER_REQUEST_FAILED', 'PROVIDER_HOST_NOT_ALLOWED'] as const satisfies readonly ApiErrorCode[];
