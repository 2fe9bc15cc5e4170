/**
 * Issue 8, sections 4 and 5, in the library: core's requests go through the outbound layer (a
 * provider pointed at loopback reaches nothing without the operator's allowlist; a 200 MB token
 * answer is cut at the cap), and the OAuth details: `iss` on callbacks, a re-authorisation that
 * keeps an old refresh token only for the same grant, a token that cannot be validated expiring
 * for real, and a refresh result committed after its lease was lost only while the token set it
 * came from is still current.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coffer, TokenSet } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { expectCode, hex, openCoffer, tenantId } from './helpers.js';

const REDIRECT_URI = 'http://127.0.0.1:9/v1/oauth/callback';
const RETURN_ORIGIN = 'https://app.example.com';

interface StandIn {
  url: string;
  /** `METHOD path grant_type` of every request. */
  seen: string[];
  /** The account the next authorization code is for. */
  nextAccount: string;
  /** Delays (ms) for the next token requests, in order. */
  delays: number[];
  /** Bytes of a huge answer for the next token request (0: a normal answer). */
  hugeAnswerBytes: number;
  close(): Promise<void>;
}

/**
 * A provider stand-in: a token endpoint (any grant, client_secret_basic not checked) that never
 * returns a refresh token for an authorization code, rotates it on refresh, and can be slowed
 * or made to stream a huge answer; and `/me`, which names the account an access token is for.
 */
async function startStandIn(): Promise<StandIn> {
  const accounts = new Map<string, string>();
  const state: StandIn = { url: '', seen: [], nextAccount: 'acct-1', delays: [], hugeAnswerBytes: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const params = new URLSearchParams(body);
      state.seen.push(`${req.method} ${req.url} ${params.get('grant_type') ?? ''}`.trim());
      if (req.url === '/me') {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const account = accounts.get(token);
        res.writeHead(account ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(account ? { account: { id: account } } : { error: 'unauthorized' }));
        return;
      }
      if (state.hugeAnswerBytes > 0) {
        // A 200 MB "token answer", streamed in 1 MiB chunks without a content-length.
        let left = state.hugeAnswerBytes;
        state.hugeAnswerBytes = 0;
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1 << 20, 0x61);
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (left = 0));
        pump();
        return;
      }
      const delay = state.delays.shift() ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const grant = params.get('grant_type');
      const access = `at-${hex(8)}`;
      const account = grant === 'authorization_code' ? state.nextAccount : 'acct-1';
      accounts.set(access, account);
      const out: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: 3600 };
      if (grant === 'refresh_token') out.refresh_token = `rt-${hex(8)}`;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

function writeProviders(dir: string, url: string): void {
  const api = { baseUrl: url, inject: { headers: { Authorization: 'Bearer {access_token}' } }, test: { method: 'GET', path: '/me', identifierPath: 'account.id' } };
  const oauth = { authorizationUrl: `${url}/authorize`, tokenUrl: `${url}/token` };
  const write = (def: Record<string, unknown>) => writeFileSync(join(dir, `${def.id as string}.json`), JSON.stringify(def));
  write({ id: 'zq-code', name: 'ZQ code', auth: { mode: 'oauth2', oauth }, api });
  write({ id: 'zq-iss', name: 'ZQ iss', auth: { mode: 'oauth2', oauth: { ...oauth, issuer: 'https://issuer.zq.example', issuerInCallback: true } }, api });
  write({ id: 'zq-novalidate', name: 'ZQ no test', auth: { mode: 'oauth2', oauth }, api: { baseUrl: url, inject: { headers: { Authorization: 'Bearer {access_token}' } } } });
  write({ id: 'zq-cc', name: 'ZQ machine', auth: { mode: 'oauth2_client_credentials', oauth: { tokenUrl: `${url}/token` } }, api });
  write({ id: 'zq-key', name: 'ZQ key', auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'key' }] }, api: { baseUrl: url, inject: { headers: { 'X-Key': '{api_key}' } }, test: { method: 'GET', path: '/me' } } });
  write({ id: 'zq-key-local', name: 'ZQ key by name', auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'key' }] }, api: { baseUrl: url.replace('127.0.0.1', 'localhost'), inject: { headers: { 'X-Key': '{api_key}' } }, test: { method: 'GET', path: '/me' } } });
}

forEachBackend('outbound layer and OAuth details', (backend) => {
  let coffer: Coffer;
  let standIn: StandIn;
  let dir: string;
  const tenant = tenantId('oauthhard');

  beforeAll(async () => {
    standIn = await startStandIn();
    dir = mkdtempSync(join(tmpdir(), 'coffer-zq-oauthhard-'));
    writeProviders(dir, standIn.url);
    coffer = await openCoffer(backend(), { providersDir: dir }, { refresh: { leaseMs: 400, minAttemptIntervalMs: 100, waitMs: 5000 } });
    await coffer.tenants.create(tenant);
    await coffer.connect.setReturnOrigins(tenant, [RETURN_ORIGIN]);
    for (const p of ['zq-code', 'zq-iss', 'zq-novalidate', 'zq-cc']) await coffer.secrets.put(tenant, `oauth-client.${p}`, { client_id: 'zq', client_secret: 'zq-secret' });
  });
  afterAll(async () => {
    await coffer?.close();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tokenSetOf = async (id: string): Promise<TokenSet> => {
    const c = await coffer.connections.get(tenant, id);
    return (await coffer.secrets.reveal(tenant, c.secret.name)).value as unknown as TokenSet;
  };
  const versionOf = async (id: string): Promise<number> => {
    const c = await coffer.connections.get(tenant, id);
    return (await coffer.secrets.reveal(tenant, c.secret.name)).version;
  };

  /** A connection with a stored token set, as a completed authorization leaves it. */
  const storeConnection = (provider: string, tokens: TokenSet) =>
    coffer.connections.storeAuthorization(tenant, coffer.providers.get(provider), { connectionId: null, displayName: null, config: {}, tokens, onCommit: async () => {} });

  /** Starts a flow and returns the callback URL the provider would send, with `extra` in it. */
  async function callbackFor(provider: string, extra: Record<string, string>, connectionId?: string) {
    const session = await coffer.connect.create(tenant, { provider, returnUrl: `${RETURN_ORIGIN}/done`, ...(connectionId ? { connectionId } : {}) });
    const started = await coffer.connect.start(session.linkToken, REDIRECT_URI);
    const state = new URL(started.authorizationUrl).searchParams.get('state')!;
    const callback = new URL(REDIRECT_URI);
    callback.search = new URLSearchParams({ code: `code-${hex()}`, state, ...extra }).toString();
    return { callback, binding: started.binding };
  }

  describe('outbound layer', () => {
    it('without the operator allowlist, a provider on loopback (by address or by name) is never reached', async () => {
      const strict = await openCoffer(backend(), { providersDir: dir, outboundAllow: [] });
      try {
        for (const provider of ['zq-key', 'zq-key-local']) {
          const c = await strict.connections.create(tenant, { provider, credentials: { api_key: `k-${hex()}` } });
          const before = standIn.seen.length;
          const result = await strict.connections.test(tenant, c.id);
          expect(result).toMatchObject({ ok: false, status: null });
          expect(result.error).toMatch(/outbound policy/);
          expect(standIn.seen.length, `${provider} reached the stand-in`).toBe(before);
        }
      } finally {
        await strict.close();
      }
    });

    it('a 200 MB token answer is cut at the cap: the grant fails and memory stays flat', async () => {
      standIn.hugeAnswerBytes = 200 * 1024 * 1024;
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const err = await expectCode(coffer.connections.create(tenant, { provider: 'zq-cc' }), 'OAUTH_FAILED');
      const grown = process.memoryUsage().rss - rssBefore;
      expect(err.message).toMatch(/larger than 65536 bytes/);
      expect(grown, `RSS grew by ${Math.round(grown / 1e6)} MB`).toBeLessThan(64 * 1024 * 1024);
    });
  });

  describe('iss on callbacks (RFC 9207)', () => {
    it('refuses a callback without iss when the provider declares issuerInCallback, before any token request', async () => {
      const { callback, binding } = await callbackFor('zq-iss', {});
      const before = standIn.seen.length;
      const outcome = await coffer.connect.complete(callback, binding, REDIRECT_URI);
      expect(outcome).toMatchObject({ status: 'error', error: 'iss_missing', connectionId: null });
      expect(standIn.seen.length).toBe(before);
    });

    it('refuses a wrong iss always: against the declared issuer, and against the token endpoint origin when none is declared', async () => {
      for (const [provider, iss] of [
        ['zq-iss', 'https://attacker.example'],
        ['zq-code', 'https://attacker.example'],
        ['zq-code', `${standIn.url}/`],
      ] as const) {
        const { callback, binding } = await callbackFor(provider, { iss });
        const before = standIn.seen.length;
        const outcome = await coffer.connect.complete(callback, binding, REDIRECT_URI);
        expect(outcome, `${provider} with iss ${iss}`).toMatchObject({ status: 'error', error: 'iss_mismatch' });
        expect(standIn.seen.length).toBe(before);
      }
      // The right iss (and, without issuerInCallback, none at all) goes through.
      for (const [provider, extra] of [
        ['zq-iss', { iss: 'https://issuer.zq.example' }],
        ['zq-code', { iss: standIn.url }],
        ['zq-code', {}],
      ] as const) {
        const { callback, binding } = await callbackFor(provider, extra);
        expect((await coffer.connect.complete(callback, binding, REDIRECT_URI)).status, `${provider} ${JSON.stringify(extra)}`).toBe('connected');
      }
    });
  });

  describe('re-authorisation without a refresh token in the answer', () => {
    const reauthorize = async (id: string, account: string) => {
      standIn.nextAccount = account;
      const { callback, binding } = await callbackFor('zq-code', {}, id);
      const outcome = await coffer.connect.complete(callback, binding, REDIRECT_URI);
      expect(outcome.status).toBe('connected');
      return tokenSetOf(id);
    };

    it('keeps the previous refresh token when the same account comes back from the same token endpoint', async () => {
      const id = await storeConnection('zq-code', { access_token: `at-${hex()}`, token_type: 'Bearer', refresh_token: 'rt-kept', expires_at: Date.now() + 3600_000, token_origin: standIn.url });
      standIn.nextAccount = 'acct-1';
      // The account id is recorded by a test request with the current token; mint one the stand-in knows.
      const first = await reauthorize(id, 'acct-1');
      expect(first.refresh_token, 'no identifier recorded yet: nothing to match, so not kept').toBeUndefined();
      await coffer.connections.storeAuthorization(tenant, coffer.providers.get('zq-code'), { connectionId: id, displayName: null, config: {}, tokens: { ...first, refresh_token: 'rt-kept' }, onCommit: async () => {} });
      expect((await coffer.connections.test(tenant, id)).identifier).toBe('acct-1');
      const again = await reauthorize(id, 'acct-1');
      expect(again.refresh_token).toBe('rt-kept');
    });

    it('drops it when another account comes back, or the previous set came from elsewhere', async () => {
      const id = await storeConnection('zq-code', { access_token: `at-${hex()}`, token_type: 'Bearer', refresh_token: 'rt-old', expires_at: Date.now() + 3600_000, token_origin: standIn.url });
      const fresh = await reauthorize(id, 'acct-1');
      await coffer.connections.storeAuthorization(tenant, coffer.providers.get('zq-code'), { connectionId: id, displayName: null, config: {}, tokens: { ...fresh, refresh_token: 'rt-old' }, onCommit: async () => {} });
      expect((await coffer.connections.test(tenant, id)).identifier).toBe('acct-1');
      expect((await reauthorize(id, 'acct-2')).refresh_token, 'another account').toBeUndefined();

      await coffer.connections.storeAuthorization(tenant, coffer.providers.get('zq-code'), {
        connectionId: id,
        displayName: null,
        config: {},
        tokens: { ...fresh, refresh_token: 'rt-elsewhere', token_origin: 'https://other-issuer.example' },
        onCommit: async () => {},
      });
      expect((await coffer.connections.test(tenant, id)).identifier).toBe('acct-1');
      expect((await reauthorize(id, 'acct-1')).refresh_token, 'another token endpoint').toBeUndefined();
    });
  });

  it('a token with no refresh token and no way to validate it becomes expired at its expiry; its expiry is not moved', async () => {
    const expiresAt = Date.now() - 1000;
    const id = await storeConnection('zq-novalidate', { access_token: `at-${hex()}`, token_type: 'Bearer', expires_at: expiresAt, expiry_assumed: true });
    const before = standIn.seen.length;
    const err = await expectCode(coffer.connections.getCredentials(tenant, id), 'CONNECTION_UNUSABLE');
    expect(err.details).toMatchObject({ status: 'expired' });
    const c = await coffer.connections.get(tenant, id);
    expect(c.status).toBe('expired');
    expect(c.expiresAt!.getTime()).toBe(expiresAt);
    expect((await tokenSetOf(id)).expires_at).toBe(expiresAt);
    expect(standIn.seen.length).toBe(before);
  });

  it('a refresh whose lease lapsed is still committed while its token set is current; the later one that lost is not', async () => {
    const other = await openCoffer(backend(), { providersDir: dir }, { refresh: { leaseMs: 400, minAttemptIntervalMs: 100, waitMs: 5000 } });
    try {
      const id = await storeConnection('zq-code', { access_token: `at-${hex()}`, token_type: 'Bearer', refresh_token: 'rt-0', expires_at: Date.now() + 10_000, token_origin: standIn.url });
      const startVersion = await versionOf(id);
      // A's request takes 1.2 s, past its 0.4 s lease; B claims the lapsed lease at 0.6 s and its
      // request takes 1.2 s too. A finishes first with the lease lost but the set it read still
      // current: committed. B finishes with its lease gone and the set replaced: not written.
      standIn.delays = [1200, 1200];
      const a = coffer.refresher.refresh(tenant, id);
      await new Promise((r) => setTimeout(r, 600));
      const b = other.refresher.refresh(tenant, id);
      const [fromA, fromB] = await Promise.all([a, b]);
      const stored = await tokenSetOf(id);
      expect(await versionOf(id)).toBe(startVersion + 1);
      expect(stored.refresh_token).toBe(fromA.refresh_token);
      expect(fromA.refresh_token).not.toBe('rt-0');
      expect(fromB.refresh_token, 'B answers with the set that is current').toBe(fromA.refresh_token);
      const events = await coffer.audit.list({ tenant, action: 'connection.refresh' });
      const mine = events.items.filter((e) => e.target === id);
      expect(mine.map((e) => `${e.outcome}:${e.code ?? ''}`).sort()).toEqual(['failure:superseded', 'success:']);
    } finally {
      await other.close();
    }
  });
});
