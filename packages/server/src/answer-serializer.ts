/**
 * JSON answers are written through the contract: fast-json-stringify, compiled from each
 * operation's answer schema, writes the fields the contract declares and nothing else. A field
 * core adds without the contract saying so (say, a value a masked answer must not carry) never
 * reaches a client, in production too, where check mode is off. It is also quicker than
 * JSON.stringify on these shapes (about 0.5 µs against 0.75 µs for a reveal).
 */
import type { AnyOperation } from '@coffer/contract';
import fastJson from 'fast-json-stringify';
import { z } from 'zod';

type Serializer = (data: unknown) => string;

/** Built once per operation and process: building an app (tests build hundreds) costs nothing more. */
const compiled = new WeakMap<AnyOperation, Serializer>();
const schemas = new WeakMap<AnyOperation, Record<string, unknown>>();

/**
 * The operation's answer as draft-07 JSON Schema for the serializer. Only what shapes the output
 * is kept: string formats and patterns are validation, which check mode does against the zod
 * schema, and fast-json-stringify would otherwise treat a null date-time as an empty string.
 */
export function answerSchema(op: AnyOperation): Record<string, unknown> {
  let schema = schemas.get(op);
  if (!schema) {
    if (op.success.kind !== 'json') throw new Error(`${op.operationId} does not answer JSON`);
    schema = strip(z.toJSONSchema(op.success.schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' })) as Record<string, unknown>;
    schemas.set(op, schema);
  }
  return schema;
}

const DROPPED = new Set(['$schema', 'format', 'pattern', 'propertyNames', 'examples', 'description', 'minLength', 'maxLength']);

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>)
      .filter(([k]) => !DROPPED.has(k))
      .map(([k, v]) => [k, k === 'properties' || k === 'definitions' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([name, s]) => [name, strip(s)])) : strip(v)]),
  );
}

/**
 * The serializer of an operation's JSON answer. fast-json-stringify's own errors quote the value
 * that did not fit ("The value "…" cannot be converted…"), and an INTERNAL error is logged with
 * its message: the error that leaves here names the operation, never the value.
 */
export function answerSerializer(op: AnyOperation): Serializer {
  let serialize = compiled.get(op);
  if (!serialize) {
    const write = fastJson(answerSchema(op) as unknown as Parameters<typeof fastJson>[0]) as Serializer;
    serialize = (data) => {
      try {
        return write(data);
      } catch {
        throw new Error(`The answer of ${op.operationId} does not fit its schema in the API contract.`);
      }
    };
    compiled.set(op, serialize);
  }
  return serialize;
}
