/**
 * Reading an OpenAPI 3.1 document the way a client generator does: its operations, and local
 * `$ref`s followed by JSON pointer. Plain JSON in, plain JSON out; no OpenAPI library, so these
 * checks do not share a library's blind spots with the linter.
 */

export type Json = Record<string, any>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Operation {
  method: (typeof HTTP_METHODS)[number];
  /** The path template as in the document, e.g. `/v1/tenants/{tenant}/secrets`. */
  path: string;
  /** JSON pointer of the operation object. */
  pointer: string;
  op: Json;
}

/** `~` and `/` escaped for a JSON pointer segment (RFC 6901). */
export const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export function operationsOf(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op) out.push({ method, path, pointer: `#/paths/${escapePointer(path)}/${method}`, op });
    }
  }
  return out;
}

/** The value at a local reference (`#/components/schemas/X`), or undefined when it names nothing. */
export function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Json)[segment];
  }
  return node;
}

/** Follows `$ref` chains (a response or request body that is itself a reference). */
export function deref(doc: Json, node: Json | undefined): Json | undefined {
  let current = node;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`reference cycle at ${String(node?.$ref)}`);
    current = resolvePointer(doc, current.$ref) as Json | undefined;
  }
  return current;
}

/** Every `$ref` in the document with the pointer of the object holding it. */
export function refsOf(node: unknown, pointer = '#'): { ref: string; at: string }[] {
  if (node === null || typeof node !== 'object') return [];
  const out: { ref: string; at: string }[] = [];
  if (!Array.isArray(node) && typeof (node as Json).$ref === 'string') out.push({ ref: (node as Json).$ref, at: pointer });
  for (const [key, value] of Object.entries(node)) out.push(...refsOf(value, `${pointer}/${escapePointer(key)}`));
  return out;
}

/** Whether the operation needs a token: its own `security`, else the document's, names a scheme. */
export function needsToken(doc: Json, op: Json): boolean {
  const requirements = (op.security ?? doc.security ?? []) as Json[];
  // An empty requirement object means "or no authentication at all".
  return requirements.length > 0 && requirements.every((r) => Object.keys(r).length > 0);
}
