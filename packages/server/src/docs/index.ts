/** The API reference at /docs. (Being replaced by a bundled renderer: see issue 11.) */
import type { FastifyInstance } from 'fastify';
import { DOCS_HEADERS, renderDocs } from '../openapi.js';

/** Serves the reference page for the OpenAPI document the app serves at /openapi.json. */
export function registerDocs(app: FastifyInstance, openapi: Record<string, unknown>): void {
  const html = renderDocs(openapi);
  app.get('/docs', async (_request, reply) => reply.headers(DOCS_HEADERS).type('text/html; charset=utf-8').send(html));
}
