/**
 * Error codes to HTTP status. The table is the contract's (`ERROR_STATUS` in @coffer/contract);
 * storage and core never throw HTTP errors, the server maps their codes with it and nowhere else.
 */
import { ERROR_STATUS, type ApiErrorCode } from '@coffer/contract';
import type { ErrorCode } from '@coffer/core';

/** Codes the HTTP layer adds to the core's (validation, parsing, routing). */
export type ServerErrorCode = Exclude<ApiErrorCode, ErrorCode>;

// Every code core can raise has a status in the contract: a new core code without one fails the build here.
type CoreCodesWithoutStatus = Exclude<ErrorCode, ApiErrorCode>;
const everyCoreCodeHasAStatus: [CoreCodesWithoutStatus] extends [never] ? true : CoreCodesWithoutStatus = true;
void everyCoreCodeHasAStatus;

export const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = ERROR_STATUS;

/** An error raised by the HTTP layer itself (validation, routing), with a stable code. */
export class HttpError extends Error {
  constructor(
    readonly code: ServerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
