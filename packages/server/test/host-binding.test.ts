/**
 * Credentials only go to the hosts bound to them (issue 8, sections 2 and 3), tried through the
 * API as an attacker holding a weak token would: a token with connections:write but not
 * secrets:reveal points connections, connect sessions and client-credentials grants at a host of
 * its choosing, or references a secret it cannot reveal. Two loopback servers stand in for the
 * real provider and the attacker's host (both on 127.0.0.1, told apart by port, which is what an
 * OAuth client's allowed_origins pins); every request each one receives is recorded, and the
 * attacker's must stay empty.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoffer, type Coffer } from '@coffer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { expectErrorBody, hex, startTestServer, type TestServer } from './support.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Recorder {
  readonly url: string;
  readonly port: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that records every request. As the provider it answers a token
 * endpoint (any grant, with a fresh access token and a rotated refresh token) and `/me` with an
 * account id; as the attacker it answers the same, so anything Coffer would store is on offer.
 */
async function startRecorder(account: string): Promise<Recorder> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      if ((req.url ?? '').startsWith('/token')) {
        res.end(JSON.stringify({ access_token: `at-${account}-${hex()}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${account}-${hex()}` }));
      } else {
        res.end(JSON.stringify({ account: { id: account } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port: String(port),
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The servers' port is the caller's choice, as a generic provider's host is: any loopback port
 * is allowed by the provider, so the OAuth client's allowed_origins and the fixed config are
 * what keep credentials on the real provider's origin.
 */
const PORT_FIELD = { label: 'Port', pattern: '[0-9]{2,5}' };

function writeProviders(dir: string): void {
  const api = (field: string) => ({ baseUrl: `http://127.0.0.1:{${field}}`, inject: { headers: { Authorization: 'Bearer {access_token}' } }, test: { method: 'GET', path: '/me', identifierPath: 'account.id' } });
  const write = (def: Record<string, unknown>) => writeFileSync(join(dir, `${def.id as string}.json`), JSON.stringify(def));
  write({
    id: 'zq-gen-oauth',
    name: 'ZQ generic OAuth',
    auth: { mode: 'oauth2', oauth: { authorizationUrl: 'http://127.0.0.1:{auth_port}/authorize', tokenUrl: 'http://127.0.0.1:{auth_port}/token' } },
    config: [{ name: 'auth_port', ...PORT_FIELD }],
    allowedHosts: ['127.0.0.1'],
    api: api('auth_port'),
  });
  write({
    id: 'zq-gen-cc',
    name: 'ZQ generic machine',
    auth: { mode: 'oauth2_client_credentials', oauth: { tokenUrl: 'http://127.0.0.1:{auth_port}/token' } },
    config: [{ name: 'auth_port', ...PORT_FIELD }],
    allowedHosts: ['127.0.0.1'],
    api: api('auth_port'),
  });
  write({
    id: 'zq-gen-key',
    name: 'ZQ generic API key',
    auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'API key' }] },
    config: [{ name: 'api_port', ...PORT_FIELD }],
    allowedHosts: ['127.0.0.1'],
    api: { baseUrl: 'http://127.0.0.1:{api_port}', inject: { headers: { 'X-Api-Key': '{api_key}' } }, test: { method: 'GET', path: '/me', identifierPath: 'account.id' } },
  });
  // A provider whose host field is loose: allowedHosts is what keeps it on its API's host.
  write({
    id: 'zq-loose',
    name: 'ZQ loose host field',
    auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'API key' }] },
    config: [{ name: 'region_host', label: 'Regional host', pattern: '[a-z0-9.-]+' }],
    allowedHosts: ['api.zq-loose.example', '*.api.zq-loose.example'],
    api: { baseUrl: 'https://{region_host}/v1', inject: { headers: { 'X-Api-Key': '{api_key}' } } },
  });
}

forEachBackend('credentials go only to the hosts bound to them', (backend) => {
  let s: TestServer;
  let coffer: Coffer;
  let legit: Recorder;
  let attacker: Recorder;
  let dir: string;
  const T = `zqhb-${hex(3)}`;
  const CLIENT_SECRET = `client-secret-canary-${hex(8)}`;
  const KEY = `key-canary-${hex(8)}`;
  const STASH = `stash-canary-${hex(8)}`;
  const REFRESH = `refresh-canary-${hex(8)}`;
  const tok = { writer: '', revealer: '', admin: '' };

  /** Nothing reached the attacker's host, and none of the canaries did either. */
  const attackerSawNothing = () => {
    expect(attacker.seen, JSON.stringify(attacker.seen.map((r) => `${r.method} ${r.path}`))).toEqual([]);
  };

  beforeAll(async () => {
    legit = await startRecorder('acct-legit');
    attacker = await startRecorder('acct-attacker');
    dir = mkdtempSync(join(tmpdir(), 'coffer-zq-hostbinding-'));
    writeProviders(dir);
    coffer = await createCoffer({ dataDir: backend().dataDir, databaseUrl: backend().databaseUrl, tokenCacheMs: 0, providersDir: dir, outboundAllow: ['127.0.0.1'] });
    s = await startTestServer(backend(), { coffer });
    tok.admin = s.adminToken;
    await s.admin.tenants.create(T);
    await s.admin.tenants.create('global');
    // The product's shared clients, pinned to the real provider's origin.
    for (const p of ['zq-gen-oauth', 'zq-gen-cc']) {
      await coffer.secrets.put('global', `oauth-client.${p}`, { client_id: 'zq-client', client_secret: CLIENT_SECRET, allowed_origins: legit.url });
    }
    tok.writer = (await s.admin.tokens.create({ kind: 'tenant', tenant: T, scopes: ['connections:read', 'connections:write'] })).token;
    tok.revealer = (await s.admin.tokens.create({ kind: 'tenant', tenant: T, scopes: ['connections:read', 'connections:write', 'secrets:reveal'] })).token;
  });

  afterAll(async () => {
    // Whatever a test did, no canary may have reached the attacker's host.
    const everything = JSON.stringify(attacker?.seen ?? []);
    for (const canary of [CLIENT_SECRET, KEY, STASH, REFRESH]) expect(everything).not.toContain(canary);
    await s?.close();
    await coffer?.close();
    await legit?.close();
    await attacker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a connect session aimed at another host is refused before any byte is sent (the shared client secret stays home)', async () => {
    const res = await s.request('POST', `/v1/tenants/${T}/connect/sessions`, { token: tok.writer, body: { provider: 'zq-gen-oauth', config: { auth_port: attacker.port }, returnUrl: `${s.url}/done` } });
    expectErrorBody(res, 409, 'OAUTH_ORIGIN_NOT_ALLOWED');
    expect(res.text).not.toContain(CLIENT_SECRET);
    attackerSawNothing();
    // The same session against the real provider is fine.
    const ok = await s.request('POST', `/v1/tenants/${T}/connect/sessions`, { token: tok.writer, body: { provider: 'zq-gen-oauth', config: { auth_port: legit.port }, returnUrl: `${s.url}/done` } });
    expect(ok.status, ok.text).toBe(201);
  });

  it("an OAuth connection's host cannot be changed by PATCH or by re-authorising, and a refresh goes to the host that issued the token", async () => {
    const provider = coffer.providers.get('zq-gen-oauth');
    const id = await coffer.connections.storeAuthorization(T, provider, {
      connectionId: null,
      displayName: 'legit account',
      config: { auth_port: legit.port },
      tokens: { access_token: `at-${hex()}`, token_type: 'Bearer', refresh_token: REFRESH, expires_at: Date.now() + 10_000, token_origin: legit.url },
      onCommit: async () => {},
    });
    const patch = await s.request('PATCH', `/v1/tenants/${T}/connections/${id}`, { token: tok.writer, body: { config: { auth_port: attacker.port } } });
    expectErrorBody(patch, 409, 'CONNECTION_FIELD_IMMUTABLE');
    const reauth = await s.request('POST', `/v1/tenants/${T}/connect/sessions`, { token: tok.writer, body: { provider: 'zq-gen-oauth', connectionId: id, config: { auth_port: attacker.port }, returnUrl: `${s.url}/done` } });
    expectErrorBody(reauth, 409, 'CONNECTION_FIELD_IMMUTABLE');
    expect((await s.client(tok.writer).connections.get(T, id)).config).toEqual({ auth_port: legit.port });

    const before = legit.seen.length;
    const refreshed = await s.request('POST', `/v1/tenants/${T}/connections/${id}/refresh`, { token: tok.writer });
    expect(refreshed.status, refreshed.text).toBe(200);
    const grants = legit.seen.slice(before).filter((r) => r.path === '/token');
    expect(grants).toHaveLength(1);
    expect(new URLSearchParams(grants[0]!.body).get('refresh_token')).toBe(REFRESH);
    attackerSawNothing();
  });

  it("a global client serves a tenant's client-credentials grant only when its record shares it, and only with its own origins", async () => {
    const before = legit.seen.length;
    const refused = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-gen-cc', config: { auth_port: legit.port } } });
    expectErrorBody(refused, 409, 'OAUTH_CLIENT_MISSING');
    expect(legit.seen.length, 'no grant was requested with the unshared client').toBe(before);
    expect((await s.client(tok.writer).connections.list(T)).items.filter((c) => c.provider === 'zq-gen-cc')).toEqual([]);

    await coffer.secrets.put('global', 'oauth-client.zq-gen-cc', { client_id: 'zq-client', client_secret: CLIENT_SECRET, allowed_origins: legit.url, share_client_credentials: true });
    const elsewhere = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-gen-cc', config: { auth_port: attacker.port } } });
    expectErrorBody(elsewhere, 409, 'OAUTH_ORIGIN_NOT_ALLOWED');
    attackerSawNothing();
    const shared = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-gen-cc', config: { auth_port: legit.port } } });
    expect(shared.status, shared.text).toBe(201);
    expect(legit.seen.slice(before).filter((r) => new URLSearchParams(r.body).get('grant_type') === 'client_credentials')).toHaveLength(1);
  });

  it("an API key connection's host cannot be changed, so its test sends the key only to the host it was made for", async () => {
    const created = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-gen-key', config: { api_port: legit.port }, credentials: { api_key: KEY } } });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id as string;
    const patch = await s.request('PATCH', `/v1/tenants/${T}/connections/${id}`, { token: tok.writer, body: { config: { api_port: attacker.port } } });
    expectErrorBody(patch, 409, 'CONNECTION_FIELD_IMMUTABLE');
    // Renaming and new credentials still work; only the URL-forming field is fixed.
    const rename = await s.request('PATCH', `/v1/tenants/${T}/connections/${id}`, { token: tok.writer, body: { displayName: 'renamed' } });
    expect(rename.status, rename.text).toBe(200);
    const before = legit.seen.length;
    const tested = await s.request('POST', `/v1/tenants/${T}/connections/${id}/test`, { token: tok.writer });
    expect(tested.status, tested.text).toBe(200);
    expect(tested.json).toMatchObject({ ok: true, identifier: 'acct-legit' });
    const sent = legit.seen.slice(before);
    expect(sent.map((r) => r.headers['x-api-key'])).toEqual([KEY]);
    attackerSawNothing();
  });

  it('referencing an existing secret needs secrets:reveal: a connections:write token cannot make a connection send a secret it cannot read', async () => {
    await coffer.secrets.put(T, 'stash', { api_key: STASH });
    const before = legit.seen.length;
    const refused = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-gen-key', config: { api_port: legit.port }, secret: 'stash' } });
    expectErrorBody(refused, 403, 'FORBIDDEN');
    expect((await s.client(tok.writer).connections.list(T)).items.filter((c) => c.secret.name === 'stash')).toEqual([]);
    const allowed = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.revealer, body: { provider: 'zq-gen-key', config: { api_port: legit.port }, secret: 'stash' } });
    expect(allowed.status, allowed.text).toBe(201);
    expect(legit.seen.slice(before).some((r) => JSON.stringify(r).includes(STASH))).toBe(false);
    const events = await coffer.audit.list({ tenant: T, action: 'connection.create' });
    expect(events.items.some((e) => e.outcome === 'denied' && e.code === 'FORBIDDEN')).toBe(true);
  });

  it("a URL filled to a host outside the provider's allowedHosts is refused when the connection is made", async () => {
    for (const host of ['attacker.example', 'api.zq-loose.example.attacker.example', 'xapi.zq-loose.example']) {
      const res = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-loose', config: { region_host: host }, credentials: { api_key: KEY } } });
      expectErrorBody(res, 400, 'PROVIDER_HOST_NOT_ALLOWED');
    }
    for (const host of ['api.zq-loose.example', 'eu.api.zq-loose.example']) {
      const res = await s.request('POST', `/v1/tenants/${T}/connections`, { token: tok.writer, body: { provider: 'zq-loose', config: { region_host: host }, credentials: { api_key: KEY } } });
      expect(res.status, res.text).toBe(201);
    }
  });

  it("return URLs must be on the tenant's allowed origins, set by an admin; without any, only Coffer's own origin", async () => {
    const session = (returnUrl: string, token = tok.writer) =>
      s.request('POST', `/v1/tenants/${T}/connect/sessions`, { token, body: { provider: 'zq-gen-oauth', config: { auth_port: legit.port }, returnUrl } });
    expectErrorBody(await session('https://attacker.example/collect'), 400, 'RETURN_URL_NOT_ALLOWED');
    expect((await session(`${s.url}/after-connect`)).status).toBe(201);

    const denied = await s.request('PUT', `/v1/tenants/${T}/connect/return-origins`, { token: tok.revealer, body: { origins: ['https://attacker.example'] } });
    expectErrorBody(denied, 403, 'FORBIDDEN');
    const set = await s.request('PUT', `/v1/tenants/${T}/connect/return-origins`, { token: tok.admin, body: { origins: ['https://app.example.com'] } });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toEqual({ origins: ['https://app.example.com'] });
    expect((await s.request('GET', `/v1/tenants/${T}/connect/return-origins`, { token: tok.admin })).json).toEqual({ origins: ['https://app.example.com'] });
    expect((await session('https://app.example.com/integrations/done?step=2')).status).toBe(201);
    expectErrorBody(await session('https://app.example.com.attacker.example/x'), 400, 'RETURN_URL_NOT_ALLOWED');
    expectErrorBody(await session(`${s.url}/after-connect`), 400, 'RETURN_URL_NOT_ALLOWED');
    const bad = await s.request('PUT', `/v1/tenants/${T}/connect/return-origins`, { token: tok.admin, body: { origins: ['https://app.example.com/with/path'] } });
    expectErrorBody(bad, 400, 'INVALID_ARGUMENT');
    const cleared = await s.request('PUT', `/v1/tenants/${T}/connect/return-origins`, { token: tok.admin, body: { origins: [] } });
    expect(cleared.json).toEqual({ origins: null });
    expect((await session(`${s.url}/after-connect`)).status).toBe(201);
    // The SDK's twins.
    expect(await s.admin.connect.setReturnOrigins(T, ['https://app.example.com'])).toEqual({ origins: ['https://app.example.com'] });
    expect(await s.admin.connect.returnOrigins(T)).toEqual({ origins: ['https://app.example.com'] });
    expect(await s.admin.connect.setReturnOrigins(T, [])).toEqual({ origins: null });
  });
});

describe.sequential('provider definitions', () => {
  it('refuses a templated URL without allowedHosts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-zq-hb-def-'));
    try {
      writeFileSync(
        join(dir, 'zq-bad.json'),
        JSON.stringify({ id: 'zq-bad', name: 'bad', auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'k' }] }, config: [{ name: 'h', label: 'h', pattern: '[a-z.]+' }], api: { baseUrl: 'https://{h}', inject: { headers: { 'X-Key': '{api_key}' } } } }),
      );
      const { loadProviderCatalog } = await import('@coffer/core');
      expect(() => loadProviderCatalog({ dir })).toThrow(/allowedHosts is required/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
