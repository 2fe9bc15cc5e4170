/** The OpenAPI 3.1 document, generated from the route definitions and their zod schemas. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HTTP_STATUS } from './http-errors.js';
import type { RouteDefinition } from './route.js';
import { ErrorBody } from './routes/schemas.js';

type Json = Record<string, unknown>;

const schemaOf = (schema: z.ZodType): Json => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = schemaOf(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s }));
}

export function buildOpenApi(routes: RouteDefinition<any, any, any, any>[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const security = r.access.kind === 'public' ? [] : [{ bearer: [] }];
    const access =
      r.access.kind === 'public'
        ? 'No token needed.'
        : r.access.kind === 'authenticated'
          ? 'Any valid token.'
          : r.access.kind === 'admin'
            ? 'Admin token.'
            : r.access.kind === 'metrics'
              ? 'Admin or metrics token.'
              : `Token of this tenant with \`${r.access.scope}\`, or an admin token.`;
    const errorCodes = ['VALIDATION_FAILED', ...(r.access.kind === 'public' ? [] : ['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED']), ...(r.errors ?? [])];
    const responses: Record<string, Json> = {
      [String(r.status ?? 200)]: { description: 'Success', content: { 'application/json': { schema: schemaOf(r.response) } } },
    };
    for (const code of errorCodes) {
      const status = String(HTTP_STATUS[code as keyof typeof HTTP_STATUS] ?? 400);
      const existing = responses[status];
      responses[status] = {
        description: existing ? `${existing.description as string}, ${code}` : code,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      description: [r.description, `Access: ${access}`].filter(Boolean).join('\n\n'),
      tags: [r.tag],
      security,
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(r.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Coffer API',
      version,
      description:
        'Secrets-first credential vault. Authenticate with `Authorization: Bearer cfr_…`. Errors are `{"error":{"code","message"}}` with stable codes. Only the reveal route returns plaintext.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Coffer API token (cfr_…)' } },
      schemas: { Error: schemaOf(ErrorBody) },
    },
    paths,
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The reference page's one stylesheet, inline; the page has no script, image, font or frame. */
const DOCS_STYLE =
  'body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto}section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:600}.get{color:#0a7}.post{color:#07c}.put{color:#a60}.delete{color:#c22}.d{color:#555}';

/**
 * Headers of the reference page. The policy allows that one stylesheet by its hash and nothing
 * else: no script runs even if an escaping bug let markup through, the page cannot be framed
 * (clickjacking), and it sends no referrer. X-Frame-Options for browsers without CSP 2.
 */
export const DOCS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(DOCS_STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** A readable, self-contained reference page (no scripts, no external assets). */
export function renderDocs(doc: Json): string {
  const info = doc.info as { title: string; version: string; description: string };
  const sections: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters as Json[]).map((p) => `<li><code>${escape(String(p.name))}</code> (${escape(String(p.in))}${p.required ? ', required' : ''})</li>`).join('');
      const body = op.requestBody ? `<h4>Body</h4><pre>${escape(JSON.stringify((op.requestBody as any).content['application/json'].schema, null, 2))}</pre>` : '';
      const responses = Object.entries(op.responses as Record<string, Json>)
        .map(([status, r]) => `<li><b>${escape(status)}</b> ${escape(String(r.description))}</li>`)
        .join('');
      sections.push(
        `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3><p>${escape(String(op.summary))}</p>` +
          `<p class="d">${escape(String(op.description)).replace(/\n/g, '<br>')}</p>${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}${body}<h4>Responses</h4><ul>${responses}</ul></section>`,
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} reference</title>
<style>${DOCS_STYLE}</style>
</head><body><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1><p>${escape(info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>${sections.join('\n')}</body></html>`;
}
