/**
 * The OAuth authorization code flow over HTTP, end to end, against a real authorization server
 * (oidc-provider on loopback, ../../core/test/support/oidc-server.ts) and a real Coffer.
 *
 * - On SQLite and PostgreSQL, one in-process server (buildApp with an explicit publicUrl): the
 *   flow as a browser drives it (connect session, link, provider login and consent, callback,
 *   return to the application), the credentials it yields (an access token the provider's
 *   introspection says is active, never the refresh token), the audit trail; then the refusals
 *   (a link opened twice, a replayed callback, a missing or foreign binding cookie, denied
 *   consent, no OAuth client, a plain-http return URL), none of which may be a 5xx or echo a
 *   state, code, link token or cookie value.
 * - On PostgreSQL only, two `coffer serve` processes over one database and an access token that
 *   is due for refresh as soon as it is issued: 200 concurrent credential requests across both
 *   processes must cause exactly one refresh grant at the provider.
 *
 * Ports: the redirect URI registered at the provider is `<public URL>/v1/oauth/callback`, the
 * provider definition (read once at start) names the provider's issuer, and the provider only
 * learns its redirect URIs at start. So a loopback port is reserved first for the Coffer that
 * receives callbacks, the provider is started with that redirect URI, and Coffer listens on it.
 *
 * Build first (`npm run build`): the app is built on packages/core/dist and the CLI on its dist.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCoffer, type Coffer } from '@coffer/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createPostgresDatabase, forEachBackend, type Backend } from '../../core/test/support/backends.js';
import { startOidcServer, type OidcServer } from '../../core/test/support/oidc-server.js';
import type { AuditEvent, Connection, SecretVersionInfo } from '../../sdk/src/index.js';
import { buildApp } from '../src/app.js';
import { CofferClient, expectErrorBody, expectNoneIn, hex, rawDb, rawRequest, type RawResponse } from './support.js';
import { capturingLogger } from './support/leaks.js';

const BIN = fileURLToPath(new URL('../../cli/bin/coffer.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url)))) {
  throw new Error('packages/cli/dist is missing: run `npm run build` before the OAuth flow suite.');
}

const PROVIDER = 'zq-oidc';
/** Same authorization server, but no OAuth client is ever stored for it. */
const ORPHAN_PROVIDER = 'zq-oidc-orphan';
const CALLBACK_PATH = '/v1/oauth/callback';
const COOKIE = 'coffer_connect';
const RETURN_URL = 'https://app.zq.example/integrations/done?from=zq-suite';

// ---------------------------------------------------------------------------------------------
// Helpers

/** A loopback port free right now (listen on 0, read the port, close). */
async function reservePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function writeProvider(dir: string, id: string, issuer: string): void {
  writeFileSync(
    join(dir, `${id}.json`),
    JSON.stringify({
      id,
      name: `ZQ OIDC (${id})`,
      description: 'oidc-provider on loopback, for the OAuth flow suite.',
      auth: {
        mode: 'oauth2',
        oauth: {
          authorizationUrl: `${issuer}/auth`,
          tokenUrl: `${issuer}/token`,
          revocationUrl: `${issuer}/token/revocation`,
          issuer,
          scopes: ['api:read'],
          pkce: true,
          tokenEndpointAuthMethod: 'client_secret_basic',
        },
      },
      api: { baseUrl: issuer, inject: { headers: { Authorization: '{token_type} {access_token}' } } },
    }),
  );
}

/** RFC 7662 introspection at the test server, as its one client (client_secret_basic). */
async function introspect(oidc: OidcServer, token: string): Promise<Record<string, unknown>> {
  const basic = Buffer.from(`${encodeURIComponent(oidc.client.id)}:${encodeURIComponent(oidc.client.secret)}`).toString('base64');
  const res = await fetch(`${oidc.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(res.status, 'introspection answers 200').toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const grants = (oidc: OidcServer, type: string) => oidc.tokenRequests.filter((r) => r.grantType === type);

/** A GET as a browser makes it: no redirects followed, HTML accepted, the cookie if it has one. */
function browserGet(base: string, target: string | URL, cookie?: string): Promise<RawResponse> {
  const url = new URL(target);
  return rawRequest(base, 'GET', `${url.pathname}${url.search}`, { headers: { accept: 'text/html', ...(cookie !== undefined ? { cookie } : {}) } });
}

interface StartedFlow {
  sessionId: string;
  linkToken: string;
  /** `coffer_connect=<value>`, as the browser sends it back. */
  cookie: string;
  cookieValue: string;
  /** The authorization request at the provider. */
  location: URL;
  state: string;
  /** The answer to opening the link. */
  opened: RawResponse;
}

/**
 * The app asks for a connect link (on `apiBase`), and the browser opens it (on `linkBase`: the
 * link's own origin, or a replica behind the same public URL). Every value the browser holds
 * that must never be echoed is pushed onto `sensitive`.
 */
async function startFlow(
  apiBase: string,
  linkBase: string,
  tenant: string,
  appToken: string,
  sensitive: string[],
  options: { provider?: string; returnUrl?: string } = {},
): Promise<StartedFlow> {
  const created = await rawRequest(apiBase, 'POST', `/v1/tenants/${tenant}/connect/sessions`, {
    token: appToken,
    body: { provider: options.provider ?? PROVIDER, returnUrl: options.returnUrl ?? RETURN_URL, displayName: 'ZQ account' },
  });
  expect(created.status, created.text).toBe(201);
  const link = String(created.json.url);
  const linkToken = link.split('/v1/connect/')[1] ?? '';
  expect(linkToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  sensitive.push(linkToken);

  const opened = await browserGet(linkBase, link);
  expect(opened.status, opened.text).toBe(302);
  const setCookie = opened.headers['set-cookie'] ?? '';
  const cookieValue = new RegExp(`^${COOKIE}=([^;]+)`).exec(setCookie)?.[1] ?? '';
  expect(cookieValue, setCookie).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  sensitive.push(cookieValue);
  const location = new URL(opened.headers.location ?? '');
  const state = location.searchParams.get('state') ?? '';
  expect(state.length).toBeGreaterThanOrEqual(20);
  sensitive.push(state);
  return { sessionId: String(created.json.id), linkToken, cookie: `${COOKIE}=${cookieValue}`, cookieValue, location, state, opened };
}

/** The `code` of a callback URL, remembered as sensitive when there is one. */
function noteCode(callback: URL, sensitive: string[]): void {
  const code = callback.searchParams.get('code');
  if (code) sensitive.push(code);
}

/** Where a 302 sends the browser, as a URL. */
function redirectOf(res: RawResponse): URL {
  expect(res.status, `${res.status} ${res.text.slice(0, 300)}`).toBe(302);
  return new URL(res.headers.location ?? '');
}

function expectReturnedTo(target: URL, outcome: Record<string, string>): void {
  const expected = new URL(RETURN_URL);
  expect(target.origin + target.pathname).toBe(expected.origin + expected.pathname);
  expect(target.searchParams.get('from')).toBe('zq-suite');
  for (const [k, v] of Object.entries(outcome)) expect(target.searchParams.get(k), `${k} in ${target.search}`).toBe(v);
}

/** Sets the origins a tenant's connect sessions may return to, as an admin does (PUT …/connect/return-origins). */
async function setReturnOrigins(base: string, adminToken: string, tenant: string, origins: string[]): Promise<void> {
  const res = await rawRequest(base, 'PUT', `/v1/tenants/${tenant}/connect/return-origins`, { token: adminToken, body: { origins } });
  expect(res.status, res.text).toBe(200);
  expect(res.json).toEqual({ origins });
}

// ---------------------------------------------------------------------------------------------
// In-process Coffer with an explicit public URL

interface FlowServer {
  readonly url: string;
  readonly coffer: Coffer;
  readonly app: FastifyInstance;
  readonly admin: CofferClient;
  readonly adminToken: string;
  readonly logs: string[];
  client(token: string): CofferClient;
  close(): Promise<void>;
}

async function startFlowServer(backend: Backend, port: number, providersDir: string): Promise<FlowServer> {
  // The authorization server listens on loopback, which the outbound layer refuses unless allowlisted.
  const coffer = await createCoffer({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, tokenCacheMs: 0, providersDir, outboundAllow: ['127.0.0.1'] });
  const { logger, lines } = capturingLogger('trace');
  const url = `http://127.0.0.1:${port}`;
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({ coffer, logger: logger as unknown as FastifyBaseLogger, auth: { failuresPerWindow: 100_000, windowSeconds: 60 }, publicUrl: url });
    await app.listen({ host: '127.0.0.1', port });
    const boot = (await coffer.tokens.createBootstrapToken()) ?? (await coffer.tokens.create({ kind: 'admin', description: 'oauth flow suite' }));
    const started = app;
    return {
      url,
      coffer,
      app: started,
      admin: new CofferClient({ url, token: boot.token }),
      adminToken: boot.token,
      logs: lines,
      client: (token: string) => new CofferClient({ url, token }),
      async close() {
        await started.close();
        await coffer.close();
      },
    };
  } catch (err) {
    await app?.close();
    await coffer.close();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: the flow and its refusals, on every backend

forEachBackend('OAuth authorization code flow over HTTP', (backend) => {
  let oidc: OidcServer;
  let s: FlowServer;
  let providersDir = '';
  const tenant = `zqflow${hex(3)}`;
  let appToken: string; // connections:write + connections:read: what the application holds
  let workerToken: string; // secrets:reveal: what fetches credentials before each job
  /** States, codes, link tokens and cookie values: never in a refusal, a log line or the audit log. */
  const sensitive: string[] = [];
  let connectionId = '';

  beforeAll(async () => {
    const port = await reservePort();
    oidc = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}${CALLBACK_PATH}`] });
    providersDir = mkdtempSync(join(tmpdir(), 'coffer-zq-oidc-'));
    writeProvider(providersDir, PROVIDER, oidc.issuer);
    writeProvider(providersDir, ORPHAN_PROVIDER, oidc.issuer);
    s = await startFlowServer(backend(), port, providersDir);
    await s.admin.tenants.create(tenant);
    // The application's origin is where this tenant's connect sessions may return.
    await setReturnOrigins(s.url, s.adminToken, tenant, [new URL(RETURN_URL).origin]);
    // The client lives in the global tenant: found there after the tenant's own lookup misses.
    await s.admin.tenants.create('global');
    await s.admin.secrets.put('global', `oauth-client.${PROVIDER}`, { client_id: oidc.client.id, client_secret: oidc.client.secret });
    appToken = (await s.admin.tokens.create({ kind: 'tenant', tenant, scopes: ['connections:write', 'connections:read'] })).token;
    workerToken = (await s.admin.tokens.create({ kind: 'tenant', tenant, scopes: ['secrets:reveal'] })).token;
  });

  afterAll(async () => {
    await s?.close();
    await oidc?.close();
    if (providersDir) rmSync(providersDir, { recursive: true, force: true });
  });

  const connections = async (): Promise<Connection[]> => (await s.client(appToken).connections.list(tenant, { limit: 1000 })).items;

  it('runs the code flow as a browser does: link, provider login and consent, callback, back to the app with a connection', async () => {
    // The application asks for a link.
    const t0 = Date.now();
    const created = await rawRequest(s.url, 'POST', `/v1/tenants/${tenant}/connect/sessions`, { token: appToken, body: { provider: PROVIDER, returnUrl: RETURN_URL, displayName: 'ZQ main account' } });
    expect(created.status, created.text).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.json).toEqual({ id: expect.stringMatching(/^ses_[0-9a-f]{20}$/), url: expect.stringMatching(new RegExp(`^${s.url}/v1/connect/[A-Za-z0-9_-]{43}$`)), expiresAt: expect.any(String) });
    const expiresIn = Date.parse(created.json.expiresAt) - t0;
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000 + 5_000);
    const linkToken = String(created.json.url).split('/v1/connect/')[1]!;
    sensitive.push(linkToken);

    // The user opens it: a binding cookie for the callback path only, and a redirect to the provider.
    const opened = await browserGet(s.url, created.json.url);
    expect(opened.status, opened.text).toBe(302);
    const setCookie = opened.headers['set-cookie'] ?? '';
    const cookieValue = new RegExp(`^${COOKIE}=([A-Za-z0-9_-]{43});`).exec(setCookie)?.[1];
    expect(cookieValue, setCookie).toBeDefined();
    sensitive.push(cookieValue!);
    const attributes = setCookie.split(';').slice(1).map((a) => a.trim());
    expect(attributes).toEqual(expect.arrayContaining([`Path=${CALLBACK_PATH}`, 'Max-Age=600', 'HttpOnly', 'SameSite=Lax']));
    expect(attributes).not.toContain('Secure'); // plain http on loopback
    expect(opened.headers['cache-control']).toBe('no-store');
    expect(opened.headers['referrer-policy']).toBe('no-referrer');

    const location = new URL(opened.headers.location ?? '');
    expect(location.origin + location.pathname).toBe(`${oidc.issuer}/auth`);
    const q = location.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(oidc.client.id);
    expect(q.get('redirect_uri')).toBe(`${s.url}${CALLBACK_PATH}`);
    expect(q.get('scope')).toBe('api:read');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = q.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    sensitive.push(state);
    expectNoneIn(location.href, [linkToken, cookieValue!], 'the authorization request');

    // Login and consent at the provider; it sends the browser to the callback.
    const callback = await oidc.authorize(location.href);
    expect(callback.origin + callback.pathname).toBe(`${s.url}${CALLBACK_PATH}`);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(oidc.issuer);
    noteCode(callback, sensitive);
    expect(callback.searchParams.get('code')).toBeTruthy();

    // The browser follows it, with the cookie: Coffer exchanges the code and returns it to the app.
    const done = await browserGet(s.url, callback, `${COOKIE}=${cookieValue}`);
    const back = redirectOf(done);
    expect(back.searchParams.get('coffer_status')).toBe('connected');
    connectionId = back.searchParams.get('coffer_connection_id') ?? '';
    expect(connectionId).toMatch(/^con_[0-9a-f]{20}$/);
    expectReturnedTo(back, { coffer_status: 'connected', coffer_connection_id: connectionId });
    expect(back.searchParams.get('coffer_error')).toBeNull();
    expect(done.headers['set-cookie']).toMatch(new RegExp(`^${COOKIE}=; Path=${CALLBACK_PATH}; Max-Age=0`));
    expect(done.headers['cache-control']).toBe('no-store');
    expect(done.headers['referrer-policy']).toBe('no-referrer');
    expectNoneIn(`${JSON.stringify(done.headers)}\n${done.text}`, sensitive, 'the callback answer');
    expect(grants(oidc, 'authorization_code')).toEqual([{ grantType: 'authorization_code', ok: true }]);

    // The connection is active and knows when its token expires (the provider's default hour).
    const connection = await s.client(appToken).connections.get(tenant, connectionId);
    expect(connection).toMatchObject({ id: connectionId, tenant, provider: PROVIDER, authMode: 'oauth2', status: 'active', displayName: 'ZQ main account', lastError: null });
    expect(connection.expiresAt).not.toBeNull();
    const expiresInMs = Date.parse(connection.expiresAt!) - Date.now();
    expect(expiresInMs).toBeGreaterThan(3500_000);
    expect(expiresInMs).toBeLessThanOrEqual(3600_000);
    expect(await connections()).toHaveLength(1);

    // Credentials: an access token the provider accepts, ready-made headers, no refresh token.
    const credentials = await rawRequest(s.url, 'POST', `/v1/tenants/${tenant}/connections/${connectionId}/credentials`, { token: workerToken, body: {} });
    expect(credentials.status, credentials.text).toBe(200);
    expect(credentials.headers['cache-control']).toBe('no-store');
    const c = credentials.json;
    expect(c).toMatchObject({ connectionId, provider: PROVIDER, authMode: 'oauth2', baseUrl: oidc.issuer });
    expect(Object.keys(c.values).sort()).toEqual(['access_token', 'token_type']);
    expect(c.values.token_type).toBe('Bearer');
    expect(c.headers).toEqual({ Authorization: `Bearer ${c.values.access_token}` });
    expect(Date.parse(c.expiresAt)).toBe(Date.parse(connection.expiresAt!));
    expect(await introspect(oidc, c.values.access_token)).toMatchObject({ active: true, client_id: oidc.client.id, sub: 'user-1', scope: 'api:read' });

    // The refresh token is in the vault (version 1 of the connection's secret), never in the answer.
    const stored = await s.admin.secrets.reveal(tenant, `${connectionId}.credentials`);
    const set = stored.value as Record<string, unknown>;
    expect(stored.version).toBe(1);
    expect(set.access_token).toBe(c.values.access_token);
    expect(typeof set.refresh_token).toBe('string');
    expect(credentials.text).not.toContain(set.refresh_token as string);
    expect(credentials.text).not.toContain('refresh_token');
    expect(await introspect(oidc, set.refresh_token as string)).toMatchObject({ active: true, client_id: oidc.client.id });

    // The audit trail: the session, the authorization, the credential read; none of the flow's values.
    const audit = (await s.admin.audit.list(tenant, { limit: 1000 })).items;
    const authorize = audit.filter((e: AuditEvent) => e.action === 'connection.authorize');
    expect(authorize).toHaveLength(1);
    // The browser acts for its connect link: the session's own event names who asked for the link.
    expect(authorize[0]).toMatchObject({ actor: `connect:${created.json.id}`, ip: '127.0.0.1', target: connectionId, outcome: 'success', details: { provider: PROVIDER, reauthorized: false } });
    expect(audit.find((e) => e.action === 'connect.session.create')).toMatchObject({ target: created.json.id, outcome: 'success' });
    expect(audit.find((e) => e.action === 'connection.credentials')).toMatchObject({ target: connectionId, outcome: 'success' });
    expectNoneIn(JSON.stringify(audit), [...sensitive, c.values.access_token, set.refresh_token as string], 'the audit log');
  });

  it('refuses what must be refused: reused links and callbacks, foreign browsers, denial, no client, a plain-http return URL', async () => {
    const refusals: Array<{ label: string; res: RawResponse }> = [];
    const seen = (label: string, res: RawResponse) => {
      refusals.push({ label, res });
      return res;
    };
    const before = (await connections()).length;
    const codeGrants = () => grants(oidc, 'authorization_code').length;

    // A link works once.
    const twice = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    expectErrorBody(seen('link opened twice', await browserGet(s.url, `${s.url}/v1/connect/${twice.linkToken}`)), 400, 'CONNECT_SESSION_INVALID');
    expectErrorBody(seen('unknown link', await browserGet(s.url, `${s.url}/v1/connect/${randomBytes(32).toString('base64url')}`)), 400, 'CONNECT_SESSION_INVALID');

    // A callback works once: the replay is refused, and no second code exchange happens.
    const replay = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    const replayCallback = await oidc.authorize(replay.location.href);
    noteCode(replayCallback, sensitive);
    const first = redirectOf(await browserGet(s.url, replayCallback, replay.cookie));
    expect(first.searchParams.get('coffer_status')).toBe('connected');
    const replayedConnection = first.searchParams.get('coffer_connection_id')!;
    const grantsAfterFirst = codeGrants();
    expectErrorBody(seen('callback replayed', await browserGet(s.url, replayCallback, replay.cookie)), 400, 'CONNECT_SESSION_INVALID');
    expectErrorBody(seen('callback replayed without cookie', await browserGet(s.url, replayCallback)), 400, 'CONNECT_SESSION_INVALID');
    expect(codeGrants()).toBe(grantsAfterFirst);
    expect(await connections()).toHaveLength(before + 1);

    // No binding cookie: the flow ends with browser_mismatch and no connection; the code is never redeemed.
    const bare = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    const bareCallback = await oidc.authorize(bare.location.href);
    noteCode(bareCallback, sensitive);
    const grantsBefore = codeGrants();
    const noCookie = redirectOf(seen('callback without cookie', await browserGet(s.url, bareCallback)));
    expectReturnedTo(noCookie, { coffer_status: 'error', coffer_error: 'browser_mismatch' });
    expect(noCookie.searchParams.get('coffer_connection_id')).toBeNull();
    // The session is spent: the right cookie afterwards does not revive it.
    expectErrorBody(seen('callback after browser_mismatch', await browserGet(s.url, bareCallback, bare.cookie)), 400, 'CONNECT_SESSION_INVALID');

    // Another browser's cookie (a real binding of another flow in progress): browser_mismatch too.
    const victim = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    const attacker = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    const victimCallback = await oidc.authorize(victim.location.href);
    noteCode(victimCallback, sensitive);
    const foreign = redirectOf(seen('callback with another flow\'s cookie', await browserGet(s.url, victimCallback, attacker.cookie)));
    expectReturnedTo(foreign, { coffer_status: 'error', coffer_error: 'browser_mismatch' });
    const other = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    const otherCallback = await oidc.authorize(other.location.href);
    noteCode(otherCallback, sensitive);
    const forged = redirectOf(seen('callback with a made-up cookie', await browserGet(s.url, otherCallback, `${COOKIE}=${randomBytes(32).toString('base64url')}`)));
    expectReturnedTo(forged, { coffer_status: 'error', coffer_error: 'browser_mismatch' });
    expect(codeGrants()).toBe(grantsBefore);

    // Denied consent: the provider's error comes back to the application as coffer_error.
    const denied = await startFlow(s.url, s.url, tenant, appToken, sensitive);
    const deniedCallback = await oidc.authorize(denied.location.href, { deny: true });
    expect(deniedCallback.searchParams.get('error')).toBe('access_denied');
    expect(deniedCallback.searchParams.get('state')).toBe(denied.state);
    const deniedBack = redirectOf(seen('callback after denied consent', await browserGet(s.url, deniedCallback, denied.cookie)));
    expectReturnedTo(deniedBack, { coffer_status: 'error', coffer_error: 'access_denied' });
    expect(deniedBack.searchParams.get('coffer_connection_id')).toBeNull();
    expect(codeGrants()).toBe(grantsBefore);

    // No OAuth client stored for the provider (neither in the tenant nor in global): refused up front.
    expectErrorBody(
      seen('session without an OAuth client', await rawRequest(s.url, 'POST', `/v1/tenants/${tenant}/connect/sessions`, { token: appToken, body: { provider: ORPHAN_PROVIDER, returnUrl: RETURN_URL } })),
      409,
      'OAUTH_CLIENT_MISSING',
    );
    // A return URL in plain http on a host other than loopback: refused; loopback http is fine
    // once an admin has put its origin on the tenant's return origins, and only that origin.
    const session = (returnUrl: string) => rawRequest(s.url, 'POST', `/v1/tenants/${tenant}/connect/sessions`, { token: appToken, body: { provider: PROVIDER, returnUrl } });
    expectErrorBody(seen('plain-http return URL', await session('http://app.zq.example/done')), 400, 'INVALID_ARGUMENT');
    expectErrorBody(seen('loopback return URL not on the return origins', await session('http://127.0.0.1:4000/done')), 400, 'RETURN_URL_NOT_ALLOWED');
    expectErrorBody(seen('https return URL not on the return origins', await session('https://evil.zq.example/done')), 400, 'RETURN_URL_NOT_ALLOWED');
    // Coffer's own origin is not allowed either while the tenant has its own list.
    expectErrorBody(seen("Coffer's own origin, not on the tenant's list", await session(`${s.url}/done`)), 400, 'RETURN_URL_NOT_ALLOWED');
    await setReturnOrigins(s.url, s.adminToken, tenant, [new URL(RETURN_URL).origin, 'http://127.0.0.1:4000']);
    const loopback = await session('http://127.0.0.1:4000/done');
    expect(loopback.status, loopback.text).toBe(201);
    sensitive.push(String(loopback.json.url).split('/v1/connect/')[1]!);
    expectErrorBody(seen('loopback return URL on another port', await session('http://127.0.0.1:4001/done')), 400, 'RETURN_URL_NOT_ALLOWED');
    expectErrorBody(seen('localhost for a listed 127.0.0.1 origin', await session('http://localhost:4000/done')), 400, 'RETURN_URL_NOT_ALLOWED');

    // Only the replayed flow's first callback made a connection.
    const after = await connections();
    expect(after).toHaveLength(before + 1);
    expect(after.map((c) => c.id)).toContain(replayedConnection);

    // No refusal is a 5xx or echoes a state, code, link token or cookie value (headers included).
    expect(refusals.length).toBeGreaterThanOrEqual(10);
    for (const { label, res } of refusals) {
      expect(res.status, label).toBeLessThan(500);
      expectNoneIn(`${JSON.stringify(res.headers)}\n${res.text}`, sensitive, label);
    }
    // Nor does any log line, nor the audit log, which records each failure by its code.
    expectNoneIn(s.logs.join('\n'), sensitive, 'the server log');
    const audit = (await s.admin.audit.list(tenant, { action: 'connection.authorize', limit: 1000 })).items;
    expectNoneIn(JSON.stringify(audit), sensitive, 'the audit log');
    const failures = audit.filter((e) => e.outcome === 'failure').map((e) => e.code).sort();
    expect(failures).toEqual(['access_denied', 'browser_mismatch', 'browser_mismatch', 'browser_mismatch']);
  });
});

// ---------------------------------------------------------------------------------------------
// 3: the refresh race, two `coffer serve` processes over one PostgreSQL database

/** PATH and the PG* client variables of the test process, and nothing else inherited. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if ((k === 'PATH' || k.startsWith('PG')) && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminToken: string | null;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Starts `coffer --json serve --port <port>` and resolves once it has printed where it listens. */
function serve(port: number, env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BIN, '--json', 'serve', '--port', String(port)], { env: childEnv({ COFFER_LOG_LEVEL: 'warn', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`coffer serve did not start within 20 s\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
    }, 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      let parsed: { url: string; adminToken: string | null };
      try {
        parsed = JSON.parse(out) as { url: string; adminToken: string | null };
      } catch {
        return; // not complete yet
      }
      clearTimeout(timer);
      resolve({
        child,
        url: parsed.url,
        adminToken: parsed.adminToken,
        stderr: () => err,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`coffer serve exited before it was ready\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
    });
  });
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe.skipIf(!BACKENDS.includes('postgres'))('token refresh race: two coffer serve processes over one PostgreSQL database', () => {
  const CALLS = 200;
  let database: { url: string; drop: () => Promise<void> };
  const dirs: string[] = [];
  let providersDir = '';
  let oidc: OidcServer;
  let replicas: Served[] = [];
  let admin: CofferClient;
  const tenant = `zqrace${hex(3)}`;
  let appToken: string;
  let workerToken: string;
  let readerToken: string;
  let connectionId = '';
  const sensitive: string[] = [];

  beforeAll(async () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'coffer-race-a-')), mkdtempSync(join(tmpdir(), 'coffer-race-b-')));
    providersDir = mkdtempSync(join(tmpdir(), 'coffer-race-providers-'));
    database = await createPostgresDatabase();
    const port = await reservePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    // Tokens live 120 s, below the provider's 300 s refresh buffer: due as soon as issued.
    oidc = await startOidcServer({ redirectUris: [`${publicUrl}${CALLBACK_PATH}`], accessTokenTtl: 120, rotateRefreshToken: true });
    writeProvider(providersDir, PROVIDER, oidc.issuer);
    const rootKey = randomBytes(32).toString('base64');
    const shared = {
      COFFER_DATABASE_URL: database.url,
      COFFER_ROOT_KEY: rootKey,
      COFFER_PROVIDERS_DIR: providersDir,
      // One public URL for both (a load balancer's); only on-demand refreshes.
      COFFER_PUBLIC_URL: publicUrl,
      COFFER_REFRESH_INTERVAL_SECONDS: '0',
      // The authorization server listens on loopback.
      COFFER_OUTBOUND_ALLOW: '127.0.0.1',
    };
    replicas = await Promise.all([serve(port, { ...shared, COFFER_DATA_DIR: dirs[0]! }), serve(0, { ...shared, COFFER_DATA_DIR: dirs[1]! })]);
    expect(replicas[0]!.url).toBe(publicUrl);
    const tokens = replicas.map((r) => r.adminToken).filter((t): t is string => t !== null);
    expect(tokens).toHaveLength(1);
    admin = new CofferClient({ url: replicas[1]!.url, token: tokens[0]! });
    await admin.tenants.create(tenant);
    await setReturnOrigins(replicas[1]!.url, tokens[0]!, tenant, [new URL(RETURN_URL).origin]);
    await admin.secrets.put(tenant, `oauth-client.${PROVIDER}`, { client_id: oidc.client.id, client_secret: oidc.client.secret });
    appToken = (await admin.tokens.create({ kind: 'tenant', tenant, scopes: ['connections:write', 'connections:read'] })).token;
    workerToken = (await admin.tokens.create({ kind: 'tenant', tenant, scopes: ['secrets:reveal'] })).token;
    readerToken = (await admin.tokens.create({ kind: 'tenant', tenant, scopes: ['secrets:read', 'audit:read'] })).token;
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await oidc?.close();
    await database?.drop();
    for (const d of [...dirs, providersDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('connects through the flow across both replicas', async () => {
    const [a, b] = replicas as [Served, Served];
    // The session is asked for on B, the link opened on B, the callback lands on A: one database.
    const flow = await startFlow(b.url, b.url, tenant, appToken, sensitive);
    expect(flow.location.searchParams.get('redirect_uri')).toBe(`${a.url}${CALLBACK_PATH}`);
    const callback = await oidc.authorize(flow.location.href);
    noteCode(callback, sensitive);
    const back = redirectOf(await browserGet(a.url, callback, flow.cookie));
    expectReturnedTo(back, { coffer_status: 'connected' });
    connectionId = back.searchParams.get('coffer_connection_id') ?? '';
    expect(connectionId).toMatch(/^con_[0-9a-f]{20}$/);
    const connection = await new CofferClient({ url: a.url, token: appToken }).connections.get(tenant, connectionId);
    expect(connection.status).toBe('active');
    const left = Date.parse(connection.expiresAt!) - Date.now();
    expect(left).toBeGreaterThan(100_000);
    expect(left).toBeLessThanOrEqual(120_000);
    expect(oidc.tokenRequests.map((r) => r.grantType)).toEqual(['authorization_code']);
  });

  it(`${CALLS} concurrent credential requests over both processes: exactly one refresh at the provider, every token valid`, async () => {
    expect(connectionId).not.toBe('');
    const original = (await admin.secrets.reveal(tenant, `${connectionId}.credentials`)).value as Record<string, string>;
    sensitive.push(original.refresh_token!);

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => rawRequest(replicas[i % 2]!.url, 'POST', `/v1/tenants/${tenant}/connections/${connectionId}/credentials`, { token: workerToken, body: {} })),
    );
    const wallMs = performance.now() - started;

    const failed = answers.map((r, i) => ({ i, status: r.status, text: r.text.slice(0, 200) })).filter((r) => r.status !== 200);
    expect(failed).toEqual([]);
    const refreshGrants = grants(oidc, 'refresh_token');
    expect(refreshGrants).toEqual([{ grantType: 'refresh_token', ok: true }]);

    // Every answer carries an access token the provider reports active; no answer has a refresh token.
    const byToken = new Map<string, { a: number; b: number }>();
    answers.forEach((r, i) => {
      expect(Object.keys(r.json.values).sort()).toEqual(['access_token', 'token_type']);
      expect(r.text).not.toContain(original.refresh_token!);
      const t = String(r.json.values.access_token);
      const n = byToken.get(t) ?? { a: 0, b: 0 };
      if (i % 2 === 0) n.a += 1;
      else n.b += 1;
      byToken.set(t, n);
    });
    for (const token of byToken.keys()) expect(await introspect(oidc, token), `access token ${token.slice(0, 8)}…`).toMatchObject({ active: true, client_id: oidc.client.id });

    // The vault now holds the rotated refresh token: version 2 of the connection's secret.
    const reader = new CofferClient({ url: replicas[0]!.url, token: readerToken });
    const versions: SecretVersionInfo[] = await reader.secrets.versions(tenant, `${connectionId}.credentials`);
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    const current = (await admin.secrets.reveal(tenant, `${connectionId}.credentials`)).value as Record<string, string>;
    sensitive.push(current.refresh_token!);
    expect(current.refresh_token).not.toBe(original.refresh_token);
    expect(current.access_token).not.toBe(original.access_token);
    expect(byToken.has(current.access_token!)).toBe(true);
    expect([...byToken.keys()].every((t) => t === current.access_token || t === original.access_token)).toBe(true);
    expect(await introspect(oidc, current.refresh_token!)).toMatchObject({ active: true });
    expect(await introspect(oidc, original.refresh_token!)).toMatchObject({ active: false });

    // The audit log: one refresh (rotated), every read recorded.
    const audit = (await reader.audit.list(tenant, { limit: 1000 })).items;
    const refreshes = audit.filter((e) => e.action === 'connection.refresh');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]).toMatchObject({ actor: 'system:token-refresh', target: connectionId, outcome: 'success', details: { provider: PROVIDER, rotated: true } });
    expect(audit.filter((e) => e.action === 'connection.credentials' && e.outcome === 'success')).toHaveLength(CALLS);
    expectNoneIn(JSON.stringify(audit), [...sensitive, ...byToken.keys()], 'the audit log');

    const perToken = [...byToken.entries()].map(([t, n]) => `${t === original.access_token ? 'original' : t === current.access_token ? 'refreshed' : 'other'}: ${n.a} via A, ${n.b} via B`);
    console.log(`[refresh race] ${CALLS} concurrent POST …/credentials over 2 processes in ${wallMs.toFixed(0)} ms; refresh_token grants at the provider: ${refreshGrants.length}; tokens handed out: ${perToken.join('; ')}`);
  });

  it('a later refresh, once the back-off has passed, uses the rotated refresh token and works', async () => {
    // The refresher waits at least 30 s between attempts on one connection; skip the wait in the database.
    const db = await rawDb({ name: 'postgres', dataDir: dirs[0]!, databaseUrl: database.url });
    try {
      expect(await db.run('update connections set next_refresh_attempt_at = null where id = ?', [connectionId])).toBe(1);
    } finally {
      await db.close();
    }
    const before = (await admin.secrets.reveal(tenant, `${connectionId}.credentials`)).value as Record<string, string>;
    const res = await rawRequest(replicas[1]!.url, 'POST', `/v1/tenants/${tenant}/connections/${connectionId}/credentials`, { token: workerToken, body: {} });
    expect(res.status, res.text).toBe(200);
    expect(grants(oidc, 'refresh_token')).toEqual([
      { grantType: 'refresh_token', ok: true },
      { grantType: 'refresh_token', ok: true },
    ]);
    const after = (await admin.secrets.reveal(tenant, `${connectionId}.credentials`)).value as Record<string, string>;
    sensitive.push(after.refresh_token!);
    expect(res.json.values.access_token).toBe(after.access_token);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(await introspect(oidc, after.access_token!)).toMatchObject({ active: true });
    expect((await new CofferClient({ url: replicas[0]!.url, token: readerToken }).secrets.versions(tenant, `${connectionId}.credentials`)).map((v) => v.version)).toEqual([3, 2, 1]);
    // The connection stayed healthy throughout, and neither process logged a token.
    expect(await new CofferClient({ url: replicas[0]!.url, token: appToken }).connections.get(tenant, connectionId)).toMatchObject({ status: 'active', lastError: null });
    for (const r of replicas) expectNoneIn(r.stderr(), sensitive, 'a replica\'s log');
  });
});
