/**
 * The OpenAPI 3.1 document, built from the operations and their zod schemas: every shape with an
 * id is a named component, every operation has its id, scope and error codes. Tools that consume
 * it (Redocly's linter, openapi-typescript, Ajv) are run against it in the server's tests.
 */
import { z } from 'zod';
import { errorsByStatus, TAGS, type AnyOperation } from './define.js';
import { ErrorBody, type ApiErrorCode } from './errors.js';

type Json = Record<string, unknown>;

const REF = '#/components/schemas/';

/** Headers some error answers carry, whatever the operation. */
const ERROR_HEADERS: Record<number, Json> = {
  401: { 'WWW-Authenticate': { description: '`Bearer`: send an API token.', schema: { type: 'string' } } },
  429: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } } },
};

export interface OpenApiOptions {
  version: string;
  /** Where the API is served; default `/` (the server that serves the document). */
  serverUrl?: string;
  /** Short descriptions of error codes, for each operation's error responses. */
  errorMeanings?: Partial<Record<ApiErrorCode, string>>;
}

/**
 * zod's JSON Schema, tidied for OpenAPI: no `$schema`/`$id` on components, and no 400-character
 * date-time pattern next to `format: date-time` (which says the same to every tool).
 */
function tidy(node: unknown, open = false): unknown {
  if (Array.isArray(node)) return node.map((n) => tidy(n, open));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$schema' || k === '$id') continue;
    if (k === 'pattern' && (node as Json).format === 'date-time') continue;
    // Answers may gain fields in later versions: a client that validates them must not break.
    if (open && k === 'additionalProperties' && v === false) continue;
    out[k] = tidy(v, open);
  }
  return out;
}

/**
 * Collects the named schemas an operation uses and builds them as components in one registry
 * pass. Every body and answer must be named (`.meta({ id })`): the document has no large inline
 * shapes, and a generated client gets a type name for each.
 */
class SchemaSet {
  private readonly registry = z.registry<{ id: string }>();

  /** A reference to `schema`, which must have an id. */
  add(schema: z.ZodType, where: string): Json {
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    if (!id) throw new Error(`${where}: give the schema an id (.meta({ id })) so it is a named component`);
    if (!this.registry.has(schema)) this.registry.add(schema, { id });
    return { $ref: `${REF}${id}` };
  }

  /** Adds the named schema `id` (from zod's global registry, where `.meta({ id })` put it). */
  addById(id: string): void {
    const schema = z.globalRegistry._idmap.get(id);
    if (!schema) throw new Error(`no schema has the id ${id}`);
    this.add(schema as z.ZodType, id);
  }

  /** The components, requests as sent (`input`, closed) or answers as sent (`output`, open to new fields). */
  build(io: 'input' | 'output'): Record<string, Json> {
    let all: Record<string, Json>;
    // A named schema used inside another but not added itself lands in zod's `__shared` bucket:
    // add it as a component of its own and build again, until every one is a component.
    for (;;) {
      all = (z.toJSONSchema(this.registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => `${REF}${id}` }) as { schemas: Record<string, Json> }).schemas;
      const shared = Object.keys((all.__shared?.$defs as Json | undefined) ?? {});
      if (shared.length === 0) break;
      for (const id of shared) this.addById(id);
    }
    return Object.fromEntries(Object.entries(all).map(([id, schema]) => [id, tidy(schema, io === 'output') as Json]));
  }
}

/** The scopes of an operation's security requirement: the tenant scope, `admin`, `metrics:read`, or none. */
function securityOf(op: AnyOperation): Json[] {
  switch (op.access.kind) {
    case 'public':
      return [];
    case 'authenticated':
      return [{ bearer: [] }];
    case 'admin':
      return [{ bearer: ['admin'] }];
    // An admin token holds every scope (the security scheme says so); listing it as a second
    // requirement would read, in renderers, as if both were needed.
    case 'metrics':
      return [{ bearer: ['metrics:read'] }];
    case 'tenant':
      return [{ bearer: [op.access.scope] }];
  }
}

function accessProse(op: AnyOperation): string {
  switch (op.access.kind) {
    case 'public':
      return 'No token needed.';
    case 'authenticated':
      return 'Any valid token.';
    case 'admin':
      return 'An admin token.';
    case 'metrics':
      return 'An admin or metrics token.';
    case 'tenant':
      return `A token of this tenant with \`${op.access.scope}\`, or an admin token.`;
  }
}

/** Path and query parameters, one per field of the operation's params and query schemas. */
function parametersOf(op: AnyOperation, components: SchemaSet): Json[] {
  const out: Json[] = [];
  for (const [schema, where] of [
    [op.params, 'path'],
    [op.query, 'query'],
  ] as const) {
    if (!schema) continue;
    const raw = tidy(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' })) as Json & { $defs?: Json };
    // A named schema in a parameter (an enum) is a component too.
    for (const id of Object.keys(raw.$defs ?? {})) components.addById(id);
    const json = JSON.parse(JSON.stringify(raw).replaceAll('"#/$defs/', `"${REF}`)) as { properties?: Record<string, Json>; required?: string[]; additionalProperties?: Json };
    if (!json.properties && json.additionalProperties) {
      // A free-form query (the OAuth callback's parameters, as the provider sends them).
      out.push({ name: 'params', in: where, required: false, style: 'form', explode: true, schema: { type: 'object', additionalProperties: json.additionalProperties }, description: 'Whatever the provider sends back.' });
      continue;
    }
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = s as Json & { description?: string };
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  return out;
}

export function buildOpenApi(operations: readonly AnyOperation[], options: OpenApiOptions): Json {
  const requests = new SchemaSet();
  const responses = new SchemaSet();
  const errorRef = responses.add(ErrorBody, 'the error body');
  const paths: Record<string, Record<string, Json>> = {};
  const seen = new Set<string>();

  for (const op of operations) {
    if (seen.has(op.operationId)) throw new Error(`operationId ${op.operationId} is used twice`);
    seen.add(op.operationId);
    const answers: Record<string, Json> = {};
    const success = op.success;
    const successHeaders = Object.fromEntries(Object.entries(op.responseHeaders ?? {}).map(([name, value]) => [name, { description: `Always \`${value}\`.`, schema: { type: 'string', const: value } }]));
    const withHeaders = Object.keys(successHeaders).length > 0 ? { headers: successHeaders } : {};
    if (success.kind === 'json') answers[String(success.status)] = { description: 'Success', ...withHeaders, content: { 'application/json': { schema: responses.add(success.schema, `${op.operationId}'s answer`) } } };
    else if (success.kind === 'redirect')
      answers['302'] = { description: success.description, headers: { Location: { description: 'Where the browser goes next.', schema: { type: 'string' } }, ...successHeaders } };
    else answers[String(success.status)] = { description: success.description, content: { [success.mediaType]: { schema: { type: 'string' } } } };
    const errors = errorsByStatus(op);
    for (const [status, codes] of errors) {
      const other = op.otherResponses?.[status];
      const list = codes.map((c) => `\`${c}\`${options.errorMeanings?.[c] ? `: ${options.errorMeanings[c]}` : ''}`).join('\n- ');
      answers[String(status)] = {
        description: `${other ? `${other.description} Or an error:` : 'Error:'}\n- ${list}`,
        ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
        content: { 'application/json': { schema: other ? { oneOf: [responses.add(other.schema, `${op.operationId}'s ${status} answer`), errorRef] } : errorRef } },
        'x-coffer-error-codes': codes,
      };
    }
    for (const [status, other] of Object.entries(op.otherResponses ?? {})) {
      if (answers[status]) continue;
      answers[status] = { description: other.description, content: { 'application/json': { schema: responses.add(other.schema, `${op.operationId}'s ${status} answer`) } } };
    }
    const headers = op.responseHeaders ? `\n\nThe answer carries ${Object.entries(op.responseHeaders).map(([k, v]) => `\`${k}: ${v}\``).join(', ')}.` : '';
    const parameters = parametersOf(op, requests);
    const path = (paths[op.path] ??= {});
    path[op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      description: `${op.description ? `${op.description}\n\n` : ''}**Access:** ${accessProse(op)}${headers}`,
      tags: [op.tag],
      security: securityOf(op),
      'x-coffer-access': op.access,
      ...(op.audited ? { 'x-coffer-audited': true } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: op.bodyRequired !== false, content: { 'application/json': { schema: requests.add(op.body, `${op.operationId}'s body`) } } } } : {}),
      responses: answers,
    };
  }

  // Request shapes are documented as the caller sends them (`io: input`), answers as sent.
  const req = requests.build('input');
  const res = responses.build('output');
  const components: Record<string, Json> = { ...res };
  for (const [id, schema] of Object.entries(req)) {
    // A shape used both ways (a checkpoint) is the same either way; request-only shapes are added.
    if (!components[id]) components[id] = schema;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Coffer API',
      version: options.version,
      summary: 'Secrets-first credential vault for the integrations of multi-tenant products.',
      description:
        'Authenticate with `Authorization: Bearer cfr_…`. Each operation names the token it needs (`security`: the tenant scope, `admin`, or `metrics:read`; also `x-coffer-access`). Errors are `{"error":{"code","message"}}` with stable codes, listed on each operation. Only the reveal and credentials operations return plaintext, and both are recorded in the audit log before they answer.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: options.serverUrl ?? '/', description: 'This Coffer service' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'cfr_…',
          description:
            'A Coffer API token. Scopes named in an operation\'s security requirement: a tenant scope (`secrets:reveal`, …) held by a token of the tenant in the path; `admin` for an admin token (which may call every operation); `metrics:read` for a metrics token.',
        },
      },
      schemas: components,
    },
  };
}
