/**
 * The API reference at /docs: Redoc, served from Coffer itself (no CDN, no other origin), over
 * the OpenAPI document at /openapi.json.
 *
 *   GET /docs                          the page (HTML, no inline script)
 *   GET /docs/init.js                  starts Redoc with Coffer's options
 *   GET /docs/redoc.standalone.js      Redoc's browser bundle, from the installed package
 *   GET /docs/                         redirects to ../docs (the page's relative URLs need it)
 *   GET /docs/<anything else>          404, Coffer's JSON error body
 *
 * Every one of them carries the headers of headers.ts.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CACHE_BUNDLE, CACHE_REVALIDATE, DOCS_SECURITY_HEADERS } from './headers.js';
import { BUNDLE_FILE, DOCS_INIT_SCRIPT, INIT_FILE, renderDocsPage } from './page.js';
import { redocStandaloneBundle } from './redoc-bundle.js';

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/** Serves the reference page for the OpenAPI document the app serves at /openapi.json. */
export function registerDocs(app: FastifyInstance, openapi: Record<string, unknown>): void {
  const title = (openapi.info as { title?: unknown } | undefined)?.title;
  const html = renderDocsPage(typeof title === 'string' ? title : 'API');
  // Read at start-up (once per process), so a broken install shows before the first reader.
  const bundle = redocStandaloneBundle();

  const send = (reply: FastifyReply, type: string, cacheControl: string, body: string | Buffer) =>
    reply.headers(DOCS_SECURITY_HEADERS).header('cache-control', cacheControl).type(type).send(body);

  app.get('/docs', async (_request, reply) => send(reply, 'text/html; charset=utf-8', CACHE_REVALIDATE, html));
  app.get(`/docs/${INIT_FILE}`, async (_request, reply) => send(reply, JAVASCRIPT, CACHE_REVALIDATE, DOCS_INIT_SCRIPT));
  app.get(`/docs/${BUNDLE_FILE}`, async (_request, reply) => send(reply, JAVASCRIPT, CACHE_BUNDLE, bundle));
  // Relative: behind a path prefix, /prefix/docs/ must land on /prefix/docs.
  app.get('/docs/', async (_request, reply) => reply.headers(DOCS_SECURITY_HEADERS).redirect('../docs', 301));
  // Anything else under /docs is the app's ordinary 404, with the same headers as its neighbours.
  app.get('/docs/*', async (_request, reply) => {
    reply.headers(DOCS_SECURITY_HEADERS);
    return reply.callNotFound();
  });
}
