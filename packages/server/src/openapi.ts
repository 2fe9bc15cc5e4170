/** The OpenAPI document this server serves: the contract's, with each error code's meaning. */
import { buildOpenApi, OPERATIONS, type ApiErrorCode } from '@coffer/contract';
import { ERROR_CODES } from '@coffer/core';
import type { ServerErrorCode } from './http-errors.js';

/** What the HTTP layer's own codes mean (core's are in its ERROR_CODES). */
const SERVER_ERROR_MEANINGS: Record<ServerErrorCode, string> = {
  VALIDATION_FAILED: 'A parameter, query field or body field is missing or malformed; the message names it.',
  INVALID_JSON: 'The body is not valid JSON.',
  BODY_TOO_LARGE: 'The body is over 512 KiB.',
  UNSUPPORTED_MEDIA_TYPE: 'The body is not application/json in UTF-8.',
  NOT_FOUND: 'No such route.',
  BAD_REQUEST: 'The request is malformed.',
  BAD_URL: 'The URL is malformed (bad percent-encoding).',
  URI_TOO_LONG: 'A path segment is too long.',
  SHUTTING_DOWN: 'The server is shutting down; retry on another replica.',
};

export const ERROR_MEANINGS: Record<ApiErrorCode, string> = { ...ERROR_CODES, ...SERVER_ERROR_MEANINGS };

/** The document, for the server at `serverUrl` (default: relative to where it is served). */
export function openApiDocument(version: string, serverUrl?: string): Record<string, unknown> {
  return buildOpenApi(OPERATIONS, { version, ...(serverUrl ? { serverUrl } : {}), errorMeanings: ERROR_MEANINGS });
}
