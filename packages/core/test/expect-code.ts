/** Shared assertion for unit tests: a synchronous call throws a CofferError with `code`. */
import { expect } from 'vitest';
import { CofferError, type ErrorCode } from '../src/errors.js';

export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

export function expectCode(fn: () => unknown, code: ErrorCode): CofferError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CofferError);
  expect((err as CofferError).code).toBe(code);
  return err as CofferError;
}
