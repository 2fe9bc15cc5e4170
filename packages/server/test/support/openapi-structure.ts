/**
 * What a generated client needs from the document beyond validity: names for every operation
 * (operationId, unique), a success answer and, behind a token, a 401 to type; references that
 * resolve; and named schemas instead of large anonymous ones, which generators turn into
 * unnamed types nobody can import.
 */
import { deref, escapePointer, needsToken, operationsOf, refsOf, resolvePointer, type Json } from './openapi-document.js';

/** An inline object schema with more properties than this should be a `$ref` to a component. */
export const MAX_INLINE_PROPERTIES = 3;

export function structuralProblems(doc: Json): string[] {
  const problems: string[] = [];
  const seenIds = new Map<string, string>();

  for (const { method, path, pointer, op } of operationsOf(doc)) {
    const name = `${method.toUpperCase()} ${path}`;
    const id = op.operationId;
    if (typeof id !== 'string' || id === '') problems.push(`${name}: no operationId`);
    else if (seenIds.has(id)) problems.push(`${name}: operationId "${id}" is also ${seenIds.get(id)}'s`);
    else seenIds.set(id, name);

    const statuses = Object.keys((op.responses ?? {}) as Json);
    if (!statuses.some((s) => /^[23]/.test(s))) problems.push(`${name}: no 2xx or 3xx response`);
    if (needsToken(doc, op) && !statuses.includes('401')) problems.push(`${name}: needs a token but documents no 401`);

    const body = deref(doc, op.requestBody);
    for (const [media, content] of Object.entries((body?.content ?? {}) as Json)) {
      problems.push(...largeInlineObjects(content.schema, `${pointer}/requestBody/content/${escapePointer(media)}/schema`));
    }
    for (const status of statuses) {
      const response = deref(doc, op.responses[status]);
      for (const [media, content] of Object.entries((response?.content ?? {}) as Json)) {
        problems.push(...largeInlineObjects(content.schema, `${pointer}/responses/${status}/content/${escapePointer(media)}/schema`));
      }
    }
  }

  for (const { ref, at } of refsOf(doc)) {
    if (!ref.startsWith('#')) problems.push(`${at}: $ref "${ref}" is not local (the served document must stand alone)`);
    else if (resolvePointer(doc, ref) === undefined) problems.push(`${at}: $ref "${ref}" resolves to nothing`);
  }
  return problems;
}

/** Schema keywords whose values are subschemas (one, a list, or a map of them). */
const ONE = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'if', 'then', 'else'];
const LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs'];

/**
 * Inline object schemas (not behind a `$ref`) with more than {@link MAX_INLINE_PROPERTIES}
 * properties, anywhere in the inline part of `schema`. A `$ref` ends the walk: the component
 * it names is already a named type.
 */
export function largeInlineObjects(schema: unknown, pointer: string): string[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return [];
  const s = schema as Json;
  if (typeof s.$ref === 'string') return [];
  const out: string[] = [];
  const properties = Object.keys((s.properties ?? {}) as Json);
  if (properties.length > MAX_INLINE_PROPERTIES) {
    out.push(`${pointer}: inline object with ${properties.length} properties (${properties.join(', ')}); make it a named schema under components.schemas`);
  }
  for (const key of ONE) if (key in s) out.push(...largeInlineObjects(s[key], `${pointer}/${key}`));
  for (const key of LIST) if (Array.isArray(s[key])) s[key].forEach((sub: unknown, i: number) => out.push(...largeInlineObjects(sub, `${pointer}/${key}/${i}`)));
  for (const key of MAP) for (const [k, sub] of Object.entries((s[key] ?? {}) as Json)) out.push(...largeInlineObjects(sub, `${pointer}/${key}/${escapePointer(k)}`));
  return out;
}
