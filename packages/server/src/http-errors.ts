/**
 * Error codes to HTTP status, in one table. Storage and core never throw HTTP errors; the
 * server maps their codes here and nowhere else.
 */
import type { ErrorCode } from '@coffer/core';

/** Codes the server itself adds to the core's. */
export type ServerErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_REQUEST'
  | 'BAD_URL'
  | 'URI_TOO_LONG'
  | 'SHUTTING_DOWN';

export const HTTP_STATUS: Record<ErrorCode | ServerErrorCode, number> = {
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
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  TOKEN_NOT_FOUND: 404,
  SCOPE_INVALID: 400,
  AUDIT_UNAVAILABLE: 503,
  INVALID_ARGUMENT: 400,
  INTERNAL: 500,
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BAD_REQUEST: 400,
  BAD_URL: 400,
  URI_TOO_LONG: 414,
  SHUTTING_DOWN: 503,
};

/** An error raised by the HTTP layer itself (validation, routing), with a stable code. */
export class HttpError extends Error {
  constructor(
    readonly code: ServerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
