/**
 * Check mode: every answer is compared with the contract before it is sent. Tests run with it
 * on (COFFER_CHECK_ANSWERS=1, set by the test configuration), so a route that answers a shape,
 * a field, a status or an error code its operation does not document fails the test that
 * exercised it. Off in production: the contract is proven by the tests, not paid for per request.
 */
import { ERROR_STATUS, errorCodesOf, type AnyOperation, type ApiErrorCode } from '@coffer/contract';
import type { z } from 'zod';
import { declaredPath } from './declared-path.js';

/** An answer that breaks the contract: reported as a 500 naming the operation and the problem. */
export class ContractViolation extends Error {
  constructor(op: AnyOperation, problem: string) {
    super(`The answer of ${op.operationId} breaks the API contract: ${problem}`);
  }
}

/** Whether check mode is on by default: the test configuration sets COFFER_CHECK_ANSWERS=1. */
export const checkAnswersByDefault = (): boolean => process.env.COFFER_CHECK_ANSWERS === '1';

/** The problem with a success answer, or undefined when it matches the operation. */
export function checkAnswer(op: AnyOperation, status: number, body: unknown): string | undefined {
  const success = op.success;
  const schema: z.ZodType | undefined = status === success.status && success.kind !== 'redirect' ? success.schema : op.otherResponses?.[status]?.schema;
  if (!schema) return `status ${status} is not documented`;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    // Fields the schema names, never a record's keys (those can be credential field names).
    const issue = parsed.error.issues[0]!;
    return `${declaredPath(schema, issue.path).join('.') || '(body)'}: ${issue.message}`;
  }
  const extra = undocumentedField(body, parsed.data, '');
  return extra === undefined ? undefined : `${extra} is not in the documented shape`;
}

/** The problem with an error answer, or undefined when the operation documents its code at this status. */
export function checkError(op: AnyOperation, status: number, code: string): string | undefined {
  if (!Object.hasOwn(ERROR_STATUS, code)) return `error code ${code} is not in the contract`;
  if (ERROR_STATUS[code as ApiErrorCode] !== status) return `error code ${code} is answered with ${status}, not its ${ERROR_STATUS[code as ApiErrorCode]}`;
  if (!errorCodesOf(op).includes(code as ApiErrorCode)) return `error code ${code} (${status}) is not documented on the operation`;
  return undefined;
}

/**
 * The first field the answer has that the schema does not (zod drops unknown keys when it
 * parses, so the parsed value is compared with what would be sent). Records keep every key.
 */
function undocumentedField(sent: unknown, parsed: unknown, path: string): string | undefined {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    for (let i = 0; i < sent.length; i++) {
      const found = undocumentedField(sent[i], parsed[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (sent === null || typeof sent !== 'object' || parsed === null || typeof parsed !== 'object') return undefined;
  for (const [key, value] of Object.entries(sent)) {
    if (value === undefined) continue;
    const here = path ? `${path}.${key}` : key;
    if (!Object.hasOwn(parsed, key)) return here;
    const found = undocumentedField(value, (parsed as Record<string, unknown>)[key], here);
    if (found) return found;
  }
  return undefined;
}
