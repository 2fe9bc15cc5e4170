/**
 * Hardening of the HTTP shell (issue 8 §6):
 *  - /metrics needs an admin or a metrics token (a metrics token reads nothing else, a tenant
 *    token no service-wide metrics), or a listener of its own for a scraper;
 *  - /docs and its files send one Content-Security-Policy (scripts of this origin only, no
 *    inline script, no framing), and every response says nosniff;
 *  - the Bearer scheme is case-insensitive, and authentication runs before the body is read,
 *    so an anonymous request never reaches the JSON parser (401, never 400 or 413);
 *  - bodies declared in a charset other than UTF-8 are refused with 415.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createCoffer, resolveConfig, type Coffer } from '@coffer/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend, makeBackend, type Backend } from '../../core/test/support/backends.js';
import { BIN, backendEnv, coffer as cli, okJson } from '../../cli/test/support/cli.js';
import { buildApp } from '../src/app.js';
import { serverOptionsFromEnv, startServer } from '../src/serve.js';
import { expectErrorBody, hex, rawRequest, startTestServer, type TestServer } from './support.js';

forEachBackend('/metrics access', (backend) => {
  let s: TestServer;
  let tenant: string;
  let metricsToken: string;
  let metricsTokenId: string;
  let tenantToken: string;

  beforeAll(async () => {
    s = await startTestServer(backend());
    tenant = `hm${hex(4)}`;
    await s.admin.tenants.create(tenant);
    await s.admin.secrets.put(tenant, 'k', 'metrics-must-not-see-this');
    const m = await s.admin.tokens.create({ kind: 'metrics', description: 'prometheus' });
    metricsToken = m.token;
    metricsTokenId = m.id;
    tenantToken = (await s.admin.tokens.create({ kind: 'tenant', tenant, scopes: ['secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read', 'connections:read', 'connections:write'] })).token;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('creates a metrics token: kind metrics, no tenant, metrics:read only', async () => {
    const listed = (await s.admin.tokens.list()).find((t) => t.id === metricsTokenId);
    expect(listed).toMatchObject({ kind: 'metrics', tenant: null, scopes: ['metrics:read'], description: 'prometheus' });
    // Asking for the scope explicitly is the same token; anything more is refused.
    expect(await s.admin.tokens.create({ kind: 'metrics', scopes: ['metrics:read'] })).toMatchObject({ kind: 'metrics', scopes: ['metrics:read'] });
    expectErrorBody(await s.request('POST', '/v1/tokens', { token: s.adminToken, body: { kind: 'metrics', scopes: ['metrics:read', 'secrets:read'] } }), 400, 'SCOPE_INVALID');
    expectErrorBody(await s.request('POST', '/v1/tokens', { token: s.adminToken, body: { kind: 'metrics', tenant } }), 400, 'SCOPE_INVALID');
    // A tenant token cannot be given the scope.
    expectErrorBody(await s.request('POST', '/v1/tokens', { token: s.adminToken, body: { kind: 'tenant', tenant, scopes: ['secrets:read', 'metrics:read'] } }), 400, 'SCOPE_INVALID');
    // Only an admin creates one.
    expectErrorBody(await s.request('POST', '/v1/tokens', { token: metricsToken, body: { kind: 'metrics' } }), 403, 'FORBIDDEN');
  });

  it('serves /metrics to an admin or metrics token only: 401 without a token, 403 for a tenant token with every scope', async () => {
    const anonymous = await s.request('GET', '/metrics');
    expectErrorBody(anonymous, 401, 'UNAUTHENTICATED');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(anonymous.text).not.toContain('coffer_http_requests_total');
    expectErrorBody(await s.request('GET', '/metrics', { token: tenantToken }), 403, 'FORBIDDEN');
    expectErrorBody(await s.request('GET', '/metrics', { token: `cfr_${hex(24)}` }), 401, 'UNAUTHENTICATED');
    for (const token of [metricsToken, s.adminToken]) {
      const res = await s.request('GET', '/metrics', { token });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('# TYPE coffer_http_requests_total counter');
    }
    // The tenant token's refusal is audited against its own tenant.
    const denied = (await s.coffer.audit.list({ tenant, action: 'access.denied' })).items;
    expect(denied.some((e) => e.target === 'GET /metrics' && e.code === 'FORBIDDEN')).toBe(true);
  });

  it('a metrics token reads nothing else: no tenant data, no tokens, no catalog, no audit', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/tenants'],
      ['GET', '/v1/tokens'],
      ['POST', '/v1/tokens', { kind: 'admin' }],
      ['GET', `/v1/tenants/${tenant}/secrets`],
      ['GET', `/v1/tenants/${tenant}/secrets/k`],
      ['POST', `/v1/tenants/${tenant}/secrets/k/reveal`, {}],
      ['PUT', `/v1/tenants/${tenant}/secrets/new`, { value: 'x' }],
      ['GET', `/v1/tenants/${tenant}/audit`],
      ['GET', '/v1/audit/verify'],
      ['GET', '/v1/keys'],
      ['GET', '/v1/providers'],
      ['GET', `/v1/tenants/${tenant}/connections`],
    ];
    for (const [method, path, body] of routes) {
      const res = await s.request(method, path, { token: metricsToken, ...(body === undefined ? {} : { body }) });
      expectErrorBody(res, 403, 'FORBIDDEN');
      expect(res.text, `${method} ${path}`).not.toContain('metrics-must-not-see-this');
    }
  });

  it('a revoked metrics token is refused at once', async () => {
    const m = await s.admin.tokens.create({ kind: 'metrics' });
    expect((await s.request('GET', '/metrics', { token: m.token })).status).toBe(200);
    await s.admin.tokens.revoke(m.id);
    expectErrorBody(await s.request('GET', '/metrics', { token: m.token }), 401, 'UNAUTHENTICATED');
  });

  it('`coffer token create --metrics` makes one from the command line', async () => {
    const env = backendEnv(backend());
    const created = okJson<{ kind: string; tenant: string | null; scopes: string[]; token: string }>(await cli(['token', 'create', '--metrics', '--description', 'scraper', '--json'], { env }));
    expect(created).toMatchObject({ kind: 'metrics', tenant: null, scopes: ['metrics:read'] });
    expect((await s.request('GET', '/metrics', { token: created.token })).status).toBe(200);
    expectErrorBody(await s.request('GET', '/v1/tenants', { token: created.token }), 403, 'FORBIDDEN');
    const both = await cli(['token', 'create', '--metrics', '--admin'], { env });
    expect(both.code).toBe(2);
    const scoped = await cli(['token', 'create', '--metrics', '--scope', 'secrets:read'], { env });
    expect(scoped.code).toBe(2);
  });
});

describe('a separate, unauthenticated metrics listener (COFFER_METRICS_HOST/PORT)', () => {
  let backend: Backend & { dispose(): Promise<void> };
  beforeAll(async () => {
    backend = await makeBackend('sqlite');
  });
  afterAll(async () => {
    await backend?.dispose();
  });

  it('reads the variables, and refuses bad ones by name', () => {
    const o = serverOptionsFromEnv({ COFFER_METRICS_PORT: '9464', COFFER_REDIS_URL: 'redis://:pw@10.0.0.5:6379/2' });
    expect(o).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1', redisUrl: 'redis://:pw@10.0.0.5:6379/2' });
    expect(serverOptionsFromEnv({}).metricsPort).toBeUndefined();
    expect(serverOptionsFromEnv({ COFFER_METRICS_HOST: '10.0.0.9', COFFER_METRICS_PORT: '0' })).toMatchObject({ metricsHost: '10.0.0.9', metricsPort: 0 });
    expect(() => serverOptionsFromEnv({ COFFER_METRICS_PORT: 'http' })).toThrow(/COFFER_METRICS_PORT/);
    expect(() => serverOptionsFromEnv({ COFFER_METRICS_PORT: '70000' })).toThrow(/COFFER_METRICS_PORT/);
    let message = '';
    try {
      serverOptionsFromEnv({ COFFER_REDIS_URL: 'http://user:hunter2@example.com' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/COFFER_REDIS_URL/);
    expect(message).not.toContain('hunter2');
  });

  it('serves GET /metrics without a token on its own port, and nothing else; the API port still wants a token', async () => {
    const options = serverOptionsFromEnv({ COFFER_PORT: '0', COFFER_METRICS_PORT: '0', COFFER_LOG_LEVEL: 'silent', COFFER_REFRESH_INTERVAL_SECONDS: '0' });
    const server = await startServer(resolveConfig({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl }), options);
    try {
      expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.metricsUrl).not.toBe(server.url);
      const scraped = await rawRequest(server.metricsUrl!, 'GET', '/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.text).toContain('# TYPE coffer_http_requests_total counter');
      expect(scraped.text).toMatch(/coffer_process_/);
      expect(scraped.headers['x-content-type-options']).toBe('nosniff');
      // Nothing but the metrics there: not the API, not the docs.
      for (const path of ['/v1/tenants', '/docs', '/healthz', '/metrics/x']) expect((await rawRequest(server.metricsUrl!, 'GET', path)).status, path).toBe(404);
      expect((await rawRequest(server.metricsUrl!, 'POST', '/metrics')).status).toBe(404);
      expectErrorBody(await rawRequest(server.url, 'GET', '/metrics'), 401, 'UNAUTHENTICATED');
    } finally {
      await server.close();
    }
    // Closing the service closes the metrics listener with it.
    await expect(rawRequest(server.metricsUrl!, 'GET', '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('`coffer serve` opens it from COFFER_METRICS_PORT and names it in its output', async () => {
    const child = spawn(process.execPath, [BIN, '--json', 'serve', '--port', '0'], {
      env: { PATH: process.env.PATH, ...backendEnv(backend), COFFER_METRICS_PORT: '0', COFFER_LOG_LEVEL: 'silent', COFFER_REFRESH_INTERVAL_SECONDS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    try {
      let out = '';
      const started = await new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`coffer serve did not start: ${out}`)), 20_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          try {
            resolve(JSON.parse(out));
            clearTimeout(timer);
          } catch {
            // not complete yet
          }
        });
      });
      expect(started.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await rawRequest(started.metricsUrl!, 'GET', '/metrics')).text).toContain('coffer_http_requests_total');
      expectErrorBody(await rawRequest(started.url, 'GET', '/metrics'), 401, 'UNAUTHENTICATED');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('response headers', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let s: TestServer;
  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    s = await startTestServer(backend);
  });
  afterAll(async () => {
    await s?.close();
    await backend?.dispose();
  });

  it('/docs and its files send one CSP (scripts of this origin only, no inline script, no framing), nosniff, no referrer', async () => {
    const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'";
    for (const [path, status] of [
      ['/docs', 200],
      ['/docs/init.js', 200],
      ['/docs/redoc.standalone.js', 200],
      ['/docs/nope', 404],
    ] as const) {
      const res = await s.request('GET', path, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(status);
      expect(res.headers['content-security-policy'], path).toBe(CSP);
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
    }
    const docs = await s.request('GET', '/docs', { headers: { accept: 'text/html' } });
    // Every <script> is a file of this origin with an empty body: 'self' is all the policy needs.
    const scripts = [...docs.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(2);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/^ defer src="docs\/[a-z.]+\.js"$/);
      expect(body).toBe('');
    }
    expect(docs.text).not.toMatch(/\son[a-z]+\s*=|<iframe|(src|href)="(https?:)?\/\//i);
  });

  it('every response says nosniff: JSON, errors, unmatched routes, router errors', async () => {
    const responses = [
      await s.request('GET', '/healthz'),
      await s.request('GET', '/openapi.json'),
      await s.request('GET', '/v1/tenants', { token: s.adminToken }),
      await s.request('GET', '/v1/tenants'),
      await s.request('GET', '/no/such/route'),
      await s.request('GET', '/v1/tenants/%zz/secrets', { token: s.adminToken }),
      await s.request('GET', '/metrics', { token: s.adminToken }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 401, 404, 400, 200]);
    for (const r of responses) expect(r.headers['x-content-type-options'], `${r.status} ${r.text.slice(0, 80)}`).toBe('nosniff');
  });
});

describe('authentication before the body, the Bearer scheme, charsets', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let coffer: Coffer;
  let app: FastifyInstance;
  let url: string;
  let admin: string;
  let tenantToken: string;
  const tenant = `hb${hex(4)}`;
  /** URLs whose body reached the JSON parser. */
  const parsed: string[] = [];

  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    coffer = await createCoffer({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, createIfMissing: true, tokenCacheMs: 0 });
    app = await buildApp({ coffer, auth: { failuresPerWindow: 1_000_000 } });
    // The real JSON parser, counted: a body that reaches it is recorded.
    const json = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      parsed.push(request.url);
      json(request, body as string, done);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    admin = (await coffer.tokens.createBootstrapToken())!.token;
    await coffer.tenants.create(tenant);
    tenantToken = (await coffer.tokens.create({ kind: 'tenant', tenant, scopes: ['secrets:read'] })).token;
  });
  afterAll(async () => {
    await app?.close();
    await coffer?.close();
    await backend?.dispose();
  });

  it('accepts the Bearer scheme in any case (RFC 9110): bearer, BEARER, BeArEr', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'BeArEr']) {
      const res = await rawRequest(url, 'GET', '/v1/tenants', { headers: { authorization: `${scheme} ${admin}` } });
      expect(res.status, scheme).toBe(200);
    }
    // Still a scheme and a space: a bare token, a tab, or another scheme is no token.
    for (const header of [admin, `Bearer\t${admin}`, `Basic ${admin}`, `Bearer${admin}`]) {
      expectErrorBody(await rawRequest(url, 'GET', '/v1/tenants', { headers: { authorization: header } }), 401, 'UNAUTHENTICATED');
    }
  });

  it('answers an anonymous request with a malformed, huge or mistyped body 401, without reading it into the parser', async () => {
    parsed.length = 0;
    const anonymous = [
      { rawBody: '{"id":', headers: { 'content-type': 'application/json' } },
      { rawBody: `{"id":"${'x'.repeat(2 * 1024 * 1024)}"}`, headers: { 'content-type': 'application/json' } },
      { rawBody: '<id>x</id>', headers: { 'content-type': 'application/xml' } },
      { rawBody: '{"id":"x"}', headers: { 'content-type': 'application/json; charset=latin1' } },
    ];
    for (const o of anonymous) {
      expectErrorBody(await rawRequest(url, 'POST', '/v1/tenants', o), 401, 'UNAUTHENTICATED');
      expectErrorBody(await rawRequest(url, 'POST', '/v1/tenants', { ...o, headers: { ...o.headers, authorization: `Bearer cfr_${hex(24)}` } }), 401, 'UNAUTHENTICATED');
    }
    // Authenticated but not allowed here: refused before the body too.
    expectErrorBody(await rawRequest(url, 'POST', '/v1/tenants', { token: tenantToken, rawBody: '{"id":', headers: { 'content-type': 'application/json' } }), 403, 'FORBIDDEN');
    expectErrorBody(await rawRequest(url, 'PUT', `/v1/tenants/${tenant}/secrets/x`, { token: tenantToken, rawBody: `{"value":"${'y'.repeat(600 * 1024)}"}`, headers: { 'content-type': 'application/json' } }), 403, 'FORBIDDEN');
    expect(parsed).toEqual([]);

    // With a valid token the same bodies are parsed, and answered as before.
    expectErrorBody(await rawRequest(url, 'POST', '/v1/tenants', { token: admin, rawBody: '{"id":', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
    expectErrorBody(await rawRequest(url, 'POST', '/v1/tenants', { token: admin, ...anonymous[1]! }), 413, 'BODY_TOO_LARGE');
    expect(parsed).toEqual(['/v1/tenants']);
  });

  it('refuses a body declared in a charset other than UTF-8 with 415; utf-8 in any spelling, or none, is accepted', async () => {
    for (const type of ['application/json; charset=latin1', 'application/json; charset=ISO-8859-1', 'application/json;charset=utf-16le', 'application/json; charset="windows-1252"', 'application/json; charset=utf-8; charset=latin1']) {
      const res = await rawRequest(url, 'POST', '/v1/tenants', { token: admin, rawBody: JSON.stringify({ id: `c${hex(4)}` }), headers: { 'content-type': type } });
      expectErrorBody(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"', 'APPLICATION/JSON; Charset=Utf-8', 'application/json; charset=utf8']) {
      const id = `c${hex(4)}`;
      const res = await rawRequest(url, 'POST', '/v1/tenants', { token: admin, rawBody: JSON.stringify({ id, name: 'Café' }), headers: { 'content-type': type } });
      expect(res.status, `${type}: ${res.text}`).toBe(201);
      expect(res.json).toMatchObject({ id, name: 'Café' });
    }
    // A bodiless request is not concerned by its (odd) content-type.
    expect((await rawRequest(url, 'GET', '/v1/tenants', { token: admin, headers: { 'content-type': 'application/json; charset=latin1' } })).status).toBe(200);
  });
});
