/**
 * Issue 10, refresh points, against the real authorization server (oidc-provider) on loopback,
 * with two vault instances over one database (two replicas: each its own refresher and lease
 * owner), and a second OS process, counting the token requests the server receives:
 * - "refresh now" asks the provider now even when the token is far from expiry, once for any
 *   number of concurrent callers across both replicas, records it, and returns the new expiry;
 * - tokens that live 5 s and 20 s keep being refreshed on use, cycle after cycle, with callers
 *   on both replicas: no caller ever fails, and a success never holds back the next due refresh.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coffer, TokenSet } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { startOidcServer, type OidcServer } from './support/oidc-server.js';
import { startTokenStandIn, type TokenStandIn } from './support/token-standin.js';
import { errorText, openCoffer, tenantId } from './helpers.js';

/** The other process runs the built core (support/refresh-now-child.mjs). */
const CHILD = fileURLToPath(new URL('./support/refresh-now-child.mjs', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
  throw new Error('packages/core/dist is missing: run `npm run build` before this suite (its second process runs the built code).');
}

const REDIRECT_URI = 'http://127.0.0.1:9/v1/oauth/callback';
const RETURN_URL = 'https://app.example.com/done';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks the authorization server whether a token is live. */
async function introspect(oidc: OidcServer, token: string): Promise<boolean> {
  const res = await fetch(`${oidc.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${oidc.client.id}:${oidc.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return ((await res.json()) as { active: boolean }).active;
}

/** Two replicas over one database, a provider on `oidc`, its client in the tenant. */
async function openReplicas(backend: Parameters<typeof openCoffer>[0], dir: string, providers: Record<string, unknown>[], tenant: string) {
  for (const p of providers) writeFileSync(join(dir, `${String(p.id)}.json`), JSON.stringify(p));
  const a = await openCoffer(backend, { providersDir: dir });
  const b = await openCoffer(backend, { providersDir: dir, createIfMissing: false });
  await a.tenants.create(tenant);
  await a.connect.setReturnOrigins(tenant, [new URL(RETURN_URL).origin]);
  return { a, b };
}

function oidcProvider(id: string, oidc: OidcServer, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: id,
    auth: { mode: 'oauth2', oauth: { issuer: oidc.issuer, authorizationUrl: oidc.authorizationUrl, tokenUrl: oidc.tokenUrl, revocationUrl: oidc.revocationUrl, scopes: ['api:read'], ...extra } },
    api: { baseUrl: oidc.issuer, inject: { headers: { Authorization: '{token_type} {access_token}' } } },
  };
}

async function connectThrough(coffer: Coffer, oidc: OidcServer, tenant: string, provider: string): Promise<string> {
  const session = await coffer.connect.create(tenant, { provider, returnUrl: RETURN_URL });
  const started = await coffer.connect.start(session.linkToken, REDIRECT_URI);
  const callback = await oidc.authorize(started.authorizationUrl);
  const outcome = await coffer.connect.complete(callback, started.binding, REDIRECT_URI);
  expect(outcome.status).toBe('connected');
  return outcome.connectionId!;
}

const refreshGrants = (oidc: OidcServer) => oidc.tokenRequests.filter((r) => r.grantType === 'refresh_token');

forEachBackend('refresh now, two replicas', (backend) => {
  let a: Coffer;
  let b: Coffer;
  let oidc: OidcServer;
  let standIn: TokenStandIn;
  let dir: string;
  const tenant = tenantId('refnow');

  beforeAll(async () => {
    // Tokens live an hour, far outside the 300 s refresh buffer: nothing is ever due on its own.
    oidc = await startOidcServer({ redirectUris: [REDIRECT_URI], accessTokenTtl: 3600, rotateRefreshToken: true });
    standIn = await startTokenStandIn();
    dir = mkdtempSync(join(tmpdir(), 'coffer-refresh-now-'));
    const standInCode = { id: 'rn-standin', name: 'stand-in', auth: { mode: 'oauth2', oauth: { authorizationUrl: `${standIn.url}/authorize`, tokenUrl: `${standIn.url}/token` } }, api: { baseUrl: standIn.url, inject: { headers: { Authorization: 'Bearer {access_token}' } } } };
    ({ a, b } = await openReplicas(backend(), dir, [oidcProvider('rn-oidc', oidc), standInCode], tenant));
    await a.secrets.put(tenant, 'oauth-client.rn-oidc', { client_id: oidc.client.id, client_secret: oidc.client.secret });
    await a.secrets.put(tenant, 'oauth-client.rn-standin', { client_id: standIn.client.id, client_secret: standIn.client.secret });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await oidc?.close();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refreshes at the provider now, records it with the caller, and returns the new expiry', async () => {
    const id = await connectThrough(a, oidc, tenant, 'rn-oidc');
    const before = await a.connections.get(tenant, id);
    const grants = refreshGrants(oidc).length;
    await sleep(5); // a new expiry is a later one
    const refreshed = await a.as({ actor: 'user:operator' }).connections.refresh(tenant, id);
    expect(refreshGrants(oidc).length).toBe(grants + 1);
    expect(refreshGrants(oidc).at(-1)!.ok).toBe(true);
    expect(refreshed.expiresAt!.getTime()).toBeGreaterThan(before.expiresAt!.getTime());
    expect(refreshed.lastRefreshedAt!.getTime()).toBeGreaterThan(before.lastRefreshedAt!.getTime());
    const creds = await b.connections.getCredentials(tenant, id);
    expect(await introspect(oidc, creds.values.access_token!)).toBe(true);
    expect(creds.expiresAt).toEqual(refreshed.expiresAt);
    const events = (await a.audit.list({ tenant, action: 'connection.refresh' })).items.filter((e) => e.target === id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success', actor: 'user:operator' });
  });

  it('concurrent refresh-now calls on both replicas send one request and all get its result', async () => {
    const id = await connectThrough(a, oidc, tenant, 'rn-oidc');
    const grants = refreshGrants(oidc).length;
    const calls = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).connections.refresh(tenant, id));
    const results = await Promise.all(calls);
    // One rotated refresh token: a second request would present the old one (invalid_grant, the grant revoked).
    expect(refreshGrants(oidc).slice(grants)).toEqual([{ grantType: 'refresh_token', ok: true }]);
    const expiries = new Set(results.map((r) => r.expiresAt!.getTime()));
    expect(expiries.size).toBe(1);
    for (const r of results) expect(r.status).toBe('active');
    const set = (await a.secrets.reveal(tenant, results[0]!.secret.name)).value as unknown as TokenSet;
    expect(set.expires_at).toBe(results[0]!.expiresAt!.getTime());
    expect(await introspect(oidc, set.access_token)).toBe(true);
    const events = (await b.audit.list({ tenant, action: 'connection.refresh' })).items.filter((e) => e.target === id);
    expect(events.map((e) => e.outcome)).toEqual(['success']);
  });

  it('concurrent refresh-now calls from two OS processes send one request and all get its result', async () => {
    const id = await connectThrough(a, oidc, tenant, 'rn-oidc');
    const grants = refreshGrants(oidc).length;
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ dataDir: backend().dataDir, databaseUrl: backend().databaseUrl, providersDir: dir, tenant, id, calls: 6 })], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!out.includes('ready\n')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the child never got ready: ${out}${err}`);
      await sleep(20);
    }
    // Both processes call at the same moment.
    const at = Date.now() + 100;
    child.stdin.write(`go ${at}\n`);
    await sleep(at - Date.now());
    const here = await Promise.all(Array.from({ length: 6 }, () => a.connections.refresh(tenant, id)));
    expect(await exited, err).toBe(0);
    const there = JSON.parse(/^result (.*)$/m.exec(out)![1]!) as { expiresAt?: number; error?: string }[];
    expect(refreshGrants(oidc).slice(grants)).toEqual([{ grantType: 'refresh_token', ok: true }]);
    const expiries = new Set([...here.map((c) => c.expiresAt!.getTime()), ...there.map((r) => r.expiresAt ?? r.error)]);
    expect([...expiries]).toHaveLength(1);
    expect(await introspect(oidc, (await b.connections.getCredentials(tenant, id)).values.access_token!)).toBe(true);
  }, 30_000);

  it("a failed refresh now is every concurrent caller's result, with the provider's reason, in one request", async () => {
    const id = await a.connections.storeAuthorization(tenant, a.providers.get('rn-standin'), {
      connectionId: null,
      displayName: null,
      config: {},
      tokens: { access_token: 'at-valid', token_type: 'Bearer', refresh_token: 'rt-1', expires_at: Date.now() + 3_600_000 },
      onCommit: async () => {},
    });
    standIn.behaviour = { outage: true };
    try {
      const seen = standIn.requests.length;
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).connections.refresh(tenant, id)));
      expect(standIn.requests.length).toBe(seen + 1);
      for (const o of outcomes) {
        expect(o.status).toBe('rejected');
        const err = (o as PromiseRejectedResult).reason;
        expect(err).toMatchObject({ code: 'PROVIDER_REQUEST_FAILED' });
        expect(errorText(err)).toMatch(/503/);
      }
      // Refresh now is not held back by the back-off a failure set: the operator's retry goes out.
      standIn.behaviour = { expiresIn: 3600, refreshToken: 'rotate' };
      const retried = await b.connections.refresh(tenant, id);
      expect(standIn.requests.length).toBe(seen + 2);
      expect(retried).toMatchObject({ status: 'active', lastError: null });
    } finally {
      standIn.behaviour = { expiresIn: 3600, refreshToken: 'rotate' };
    }
  });
});

forEachBackend('short-lived tokens, two replicas', (backend) => {
  let a: Coffer;
  let b: Coffer;
  const servers = new Map<number, OidcServer>();
  let dir: string;
  const tenant = tenantId('short');
  /** Token lifetimes in seconds, each under the 300 s default buffer: every token is due at once. */
  const LIFETIMES = [5, 20];

  beforeAll(async () => {
    for (const ttl of LIFETIMES) servers.set(ttl, await startOidcServer({ redirectUris: [REDIRECT_URI], accessTokenTtl: ttl, rotateRefreshToken: true }));
    dir = mkdtempSync(join(tmpdir(), 'coffer-short-tokens-'));
    ({ a, b } = await openReplicas(backend(), dir, LIFETIMES.map((ttl) => oidcProvider(`st-oidc-${ttl}`, servers.get(ttl)!)), tenant));
    for (const [ttl, oidc] of servers) await a.secrets.put(tenant, `oauth-client.st-oidc-${ttl}`, { client_id: oidc.client.id, client_secret: oidc.client.secret });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const oidc of servers.values()) await oidc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps refreshing 5 s and 20 s tokens over several cycles: no caller fails, no refresh storm', async () => {
    const runMs = 25_000;
    const watched = await Promise.all(
      LIFETIMES.map(async (ttl) => {
        const oidc = servers.get(ttl)!;
        const id = await connectThrough(a, oidc, tenant, `st-oidc-${ttl}`);
        return { ttl, oidc, id, grants: refreshGrants(oidc).length, failures: [] as string[], tokens: new Set<string>(), calls: 0 };
      }),
    );
    const end = Date.now() + runMs;
    const caller = async (coffer: Coffer, w: (typeof watched)[number]) => {
      while (Date.now() < end) {
        try {
          const creds = await coffer.connections.getCredentials(tenant, w.id);
          w.calls += 1;
          w.tokens.add(creds.values.access_token!);
          if (creds.expiresAt!.getTime() <= Date.now()) w.failures.push('served an expired token');
        } catch (err) {
          w.failures.push(errorText(err));
        }
        await sleep(20 + Math.random() * 30);
      }
    };
    // Four callers per connection on each replica.
    await Promise.all(watched.flatMap((w) => Array.from({ length: 8 }, (_, i) => caller(i % 2 === 0 ? a : b, w))));
    for (const w of watched) {
      const what = `${w.ttl} s tokens`;
      expect(w.failures.slice(0, 3), `${what}: ${w.failures.length} of ${w.calls + w.failures.length} calls failed`).toEqual([]);
      const sent = refreshGrants(w.oidc).slice(w.grants);
      // Every refresh accepted: one from a rotated-away refresh token would be invalid_grant.
      expect(sent.every((r) => r.ok), what).toBe(true);
      // A token is kept half its life after each refresh: about runMs / (ttl / 2) refreshes,
      // each before the token expired, and not one per call.
      const expected = runMs / ((w.ttl * 1000) / 2);
      expect(sent.length, what).toBeGreaterThanOrEqual(Math.floor(expected * 0.6));
      expect(sent.length, what).toBeLessThanOrEqual(Math.ceil(expected * 1.4) + 1);
      // Every refreshed token served; the connect flow's one too, to callers of the replica that
      // was not refreshing while the other was (it was still valid).
      expect(w.tokens.size, what).toBeGreaterThanOrEqual(sent.length);
      expect(w.tokens.size, what).toBeLessThanOrEqual(sent.length + 1);
      expect(await b.connections.get(tenant, w.id), what).toMatchObject({ status: 'active', lastError: null });
      const last = await a.connections.getCredentials(tenant, w.id);
      expect(await introspect(w.oidc, last.values.access_token!), what).toBe(true);
    }
  }, 45_000);
});
