/**
 * Checks a real answer (status and JSON body) against what the document says that operation
 * answers with that status, using Ajv in JSON Schema 2020-12 mode (the dialect of OpenAPI 3.1)
 * with formats (`date-time` and the like) enforced.
 *
 * Each `components.schemas` entry is added to Ajv under its own `$id`, and every
 * `#/components/schemas/…` reference is rewritten to that `$id`, so references between
 * components and from response schemas resolve the way they do in the document.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { deref, operationsOf, type Json } from './openapi-document.js';

const BASE = 'https://coffer.invalid/openapi.json';
const COMPONENT_PREFIX = '#/components/schemas/';
const componentId = (name: string) => `${BASE}/components/schemas/${name}`;

// ajv-formats is CommonJS; under ESM its function is the default export, or that export's `default`.
const addFormats = ((addFormatsPlugin as any).default ?? addFormatsPlugin) as (ajv: Ajv2020) => Ajv2020;

/** OpenAPI's own schema keywords that JSON Schema does not define: annotations for Ajv. */
const OPENAPI_SCHEMA_KEYWORDS = ['discriminator', 'xml', 'externalDocs', 'example'];

export interface Exchange {
  method: string;
  /** The path template as in the document. */
  path: string;
  status: number;
  /** The parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

export interface ResponseValidator {
  /** What is wrong with this answer according to the document; empty when it conforms. */
  problems(exchange: Exchange): string[];
}

export function responseValidator(doc: Json): ResponseValidator {
  // Union types (`type: ['string', 'null']`) are plain 2020-12; Ajv's strict mode only asks to opt in.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addVocabulary([...OPENAPI_SCHEMA_KEYWORDS, ...extensionKeywords(doc)]);
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Json)) {
    ajv.addSchema({ ...withComponentRefs(schema), $id: componentId(name) });
  }
  const compiled = new Map<string, ValidateFunction>();
  const operations = new Map(operationsOf(doc).map((o) => [`${o.method} ${o.path}`, o]));

  return {
    problems({ method, path, status, body }) {
      const name = `${method.toUpperCase()} ${path} → ${status}`;
      const operation = operations.get(`${method.toLowerCase()} ${path}`);
      if (!operation) return [`${name}: the document has no such operation`];
      const responses = (operation.op.responses ?? {}) as Json;
      const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
      if (key === undefined) return [`${name}: status not documented (documented: ${Object.keys(responses).join(', ')})`];
      const response = deref(doc, responses[key]);
      const media = response?.content?.['application/json'];
      if (!media?.schema) {
        return body === undefined ? [] : [`${name}: the document declares no JSON body, the server sent ${JSON.stringify(body).slice(0, 200)}`];
      }
      if (body === undefined) return [`${name}: the document declares a JSON body, the server sent none`];
      const pointer = `${operation.pointer}/responses/${key}/content/application~1json/schema`;
      let validate = compiled.get(pointer);
      if (!validate) {
        validate = ajv.compile(withComponentRefs(media.schema));
        compiled.set(pointer, validate);
      }
      if (!validate(body)) return (validate.errors ?? []).map((e) => `${name}: ${e.instancePath || '(body)'} ${e.message ?? ''} (schema ${pointer}${e.schemaPath.slice(1)})`);
      return undocumentedErrorCode(name, response, body);
    },
  };
}

/**
 * Where the document lists the error codes of a status (`x-coffer-error-codes`), the code
 * received must be one of them: the schema's enum allows every code of the API, this list says
 * which ones this operation answers with this status.
 */
function undocumentedErrorCode(name: string, response: Json | undefined, body: unknown): string[] {
  const listed = response?.['x-coffer-error-codes'];
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  if (!Array.isArray(listed) || typeof code !== 'string' || listed.includes(code)) return [];
  return [`${name}: error code ${code} is not among this status's x-coffer-error-codes (${listed.join(', ')})`];
}

/** A deep copy of `schema` with every reference into components.schemas made absolute. */
function withComponentRefs(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(withComponentRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_PREFIX)) {
      const [name, ...rest] = value.slice(COMPONENT_PREFIX.length).split('/');
      out.$ref = `${componentId(name!)}${rest.length > 0 ? `#/${rest.join('/')}` : ''}`;
    } else {
      out[key] = withComponentRefs(value);
    }
  }
  return out;
}

/** Every `x-…` key used in the document: specification extensions Ajv must accept as annotations. */
function extensionKeywords(node: unknown, found = new Set<string>()): string[] {
  if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('x-')) found.add(key);
      extensionKeywords(value, found);
    }
  }
  return [...found];
}
