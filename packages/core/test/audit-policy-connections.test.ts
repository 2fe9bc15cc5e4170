/**
 * Issue 9 §1 for connections, OAuth connect sessions, token refresh and the legacy import: core
 * audits each of these calls itself, whoever calls. On the plain vault the actor is `library`;
 * through `coffer.as(actor)` it is that actor, with its address and request id; a failed call
 * is recorded with its code; and with the audit log refusing writes, the change is refused
 * with AUDIT_UNAVAILABLE and not applied (fail closed). The OAuth callback acts for its connect
 * link (`connect:<session id>`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Coffer, TokenSet } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { startStandIn, type StandIn } from './support/provider-standin.js';
import { startTokenStandIn, type TokenStandIn } from './support/token-standin.js';
import { withAuditRefused } from './support/audit-refused.js';
import { expectCode, hex, openCoffer, tenantId, withRaw } from './helpers.js';

const KEY = `zq-apc-key-${hex(8)}`;
const WHO = { actor: 'job:x', ip: '10.0.0.1', requestId: 'r1' } as const;
const LIBRARY = { actor: 'library', ip: null, requestId: null } as const;
const REDIRECT_URI = 'http://127.0.0.1:9/v1/oauth/callback';
const RETURN_ORIGIN = 'https://app.example.com';
const MISSING = 'con_00000000000000000000';

forEachBackend('core audits connections, connect sessions, refresh and import', (backend) => {
  let coffer: Coffer;
  let api: StandIn;
  let tokens: TokenStandIn;
  let dir: string;
  const tenant = tenantId('apc');
  /** Every token and link these tests made: none may reach the log. */
  const sensitive: string[] = [KEY];

  beforeAll(async () => {
    api = await startStandIn({ header: 'x-api-key', expect: KEY, account: { id: 'acct-1' }, paths: ['/me'] });
    tokens = await startTokenStandIn();
    dir = mkdtempSync(join(tmpdir(), 'coffer-apc-providers-'));
    const write = (def: Record<string, unknown>) => writeFileSync(join(dir, `${def.id as string}.json`), JSON.stringify(def));
    write({ id: 'zq-apc-key', name: 'ZQ key', auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'key' }] }, api: { baseUrl: api.url, inject: { headers: { 'X-Api-Key': '{api_key}' } }, test: { path: '/me', identifierPath: 'id' } } });
    write({
      id: 'zq-apc-code',
      name: 'ZQ code',
      auth: { mode: 'oauth2', oauth: { authorizationUrl: `${tokens.url}/authorize`, tokenUrl: `${tokens.url}/token` } },
      api: { baseUrl: tokens.url, inject: { headers: { Authorization: 'Bearer {access_token}' } } },
    });
    coffer = await openCoffer(backend(), { providersDir: dir }, { refresh: { minAttemptIntervalMs: 100, leaseMs: 5000, waitMs: 5000 } });
    await coffer.tenants.create(tenant);
    await coffer.connect.setReturnOrigins(tenant, [RETURN_ORIGIN]);
    await coffer.secrets.put(tenant, 'oauth-client.zq-apc-code', { client_id: tokens.client.id, client_secret: tokens.client.secret });
  });
  afterAll(async () => {
    await coffer?.close();
    await api?.close();
    await tokens?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The newest event of `action` in the tenant (or anywhere, with `tenant: null`). */
  const latest = async (action: string, filter: { tenant?: string | null; outcome?: 'success' | 'failure' | 'denied' } = {}): Promise<AuditEvent | undefined> => {
    const scope = filter.tenant === null ? {} : { tenant: filter.tenant ?? tenant };
    return (await coffer.audit.list({ ...scope, action, ...(filter.outcome ? { outcome: filter.outcome } : {}), limit: 1 })).items[0];
  };
  const count = async (action: string) => (await coffer.audit.list({ tenant, action, limit: 1000 })).items.length;

  const createKeyed = (c: Coffer = coffer, key = KEY) => c.connections.create(tenant, { provider: 'zq-apc-key', config: {}, credentials: { api_key: key } });

  /** An OAuth connection whose access token is due, as a completed authorization leaves it. */
  const dueConnection = async (): Promise<string> => {
    const set: TokenSet = { access_token: `at-${hex(8)}`, token_type: 'Bearer', refresh_token: `rt-${hex(8)}`, expires_at: Date.now() - 1000 };
    sensitive.push(set.access_token, set.refresh_token!);
    return coffer.connections.storeAuthorization(tenant, coffer.providers.get('zq-apc-code'), { connectionId: null, displayName: null, config: {}, tokens: set, onCommit: async () => {} });
  };

  const tokenVersions = async (id: string) => (await coffer.secrets.versions(tenant, (await coffer.connections.get(tenant, id)).secret.name)).length;

  describe('connections', () => {
    it('create: library, the acting caller, failures and refusals recorded; an unwritable audit leaves nothing behind', async () => {
      const plain = await createKeyed();
      expect(await latest('connection.create')).toMatchObject({ ...LIBRARY, tenant, target: plain.id, outcome: 'success', details: { provider: 'zq-apc-key' } });
      const acting = await createKeyed(coffer.as(WHO));
      expect(await latest('connection.create')).toMatchObject({ ...WHO, tenant, target: acting.id, outcome: 'success', details: { provider: 'zq-apc-key' } });

      await expectCode(coffer.as(WHO).connections.create(tenant, { provider: 'zq-apc-nothing', credentials: { api_key: KEY } }), 'PROVIDER_NOT_FOUND');
      expect(await latest('connection.create')).toMatchObject({ ...WHO, tenant, target: null, outcome: 'failure', code: 'PROVIDER_NOT_FOUND', details: { provider: 'zq-apc-nothing' } });
      // A caller that may not reveal secrets may not send one to a provider either: denied, and recorded.
      await coffer.secrets.put(tenant, 'apc-stash', { api_key: KEY });
      await expectCode(coffer.as(WHO).connections.create(tenant, { provider: 'zq-apc-key', secret: 'apc-stash' }, { canRevealSecrets: false }), 'FORBIDDEN');
      expect(await latest('connection.create')).toMatchObject({ ...WHO, outcome: 'denied', code: 'FORBIDDEN' });
      // Text that is not a provider id may be a pasted credential: refused before anything is recorded.
      const before = await count('connection.create');
      await expectCode(coffer.connections.create(tenant, { provider: `sk_live_${KEY}`, credentials: { api_key: KEY } }), 'PROVIDER_NOT_FOUND');
      expect(await count('connection.create')).toBe(before);

      const connections = (await coffer.connections.list(tenant)).items.length;
      const secrets = (await coffer.secrets.list(tenant)).items.length;
      await withAuditRefused(backend(), () => expectCode(createKeyed(coffer.as(WHO)), 'AUDIT_UNAVAILABLE'));
      expect((await coffer.connections.list(tenant)).items.length).toBe(connections);
      expect((await coffer.secrets.list(tenant)).items.length).toBe(secrets);
      expect(await count('connection.create')).toBe(before);
    });

    it('update: names the fields changed, never their values', async () => {
      const c = await createKeyed();
      await coffer.connections.update(tenant, c.id, { displayName: 'renamed' });
      expect(await latest('connection.update')).toMatchObject({ ...LIBRARY, tenant, target: c.id, outcome: 'success', details: { fields: 'displayName' } });
      await coffer.as(WHO).connections.update(tenant, c.id, { displayName: 'again', credentials: { api_key: KEY } });
      const event = await latest('connection.update');
      expect(event).toMatchObject({ ...WHO, tenant, target: c.id, outcome: 'success', details: { fields: 'credentials,displayName' } });
      expect(JSON.stringify(event)).not.toContain(KEY);

      await expectCode(coffer.as(WHO).connections.update(tenant, MISSING, { displayName: 'x' }), 'CONNECTION_NOT_FOUND');
      expect(await latest('connection.update')).toMatchObject({ ...WHO, target: MISSING, outcome: 'failure', code: 'CONNECTION_NOT_FOUND' });

      await withAuditRefused(backend(), () => expectCode(coffer.as(WHO).connections.update(tenant, c.id, { displayName: 'not applied' }), 'AUDIT_UNAVAILABLE'));
      expect((await coffer.connections.get(tenant, c.id)).displayName).toBe('again');
    });

    it('delete: recorded with the connection; refused, the connection and its secret stay', async () => {
      const a = await createKeyed();
      await coffer.connections.delete(tenant, a.id);
      expect(await latest('connection.delete')).toMatchObject({ ...LIBRARY, tenant, target: a.id, outcome: 'success' });
      const b = await createKeyed();
      await coffer.as(WHO).connections.delete(tenant, b.id);
      expect(await latest('connection.delete')).toMatchObject({ ...WHO, tenant, target: b.id, outcome: 'success' });

      await expectCode(coffer.as(WHO).connections.delete(tenant, b.id), 'CONNECTION_NOT_FOUND');
      expect(await latest('connection.delete')).toMatchObject({ ...WHO, target: b.id, outcome: 'failure', code: 'CONNECTION_NOT_FOUND' });

      const kept = await createKeyed();
      await withAuditRefused(backend(), () => expectCode(coffer.as(WHO).connections.delete(tenant, kept.id), 'AUDIT_UNAVAILABLE'));
      expect((await coffer.connections.get(tenant, kept.id)).id).toBe(kept.id);
      expect((await coffer.secrets.get(tenant, kept.secret.name)).name).toBe(kept.secret.name);
    });

    it("test: records whether the provider accepted the credentials; refused, the connection's status is not changed", async () => {
      const c = await createKeyed();
      await coffer.connections.test(tenant, c.id);
      expect(await latest('connection.test')).toMatchObject({ ...LIBRARY, tenant, target: c.id, outcome: 'success', details: { ok: true, status: 200 } });
      await coffer.as(WHO).connections.test(tenant, c.id);
      expect(await latest('connection.test')).toMatchObject({ ...WHO, tenant, target: c.id, outcome: 'success', details: { ok: true, status: 200 } });

      await expectCode(coffer.as(WHO).connections.test(tenant, MISSING), 'CONNECTION_NOT_FOUND');
      expect(await latest('connection.test')).toMatchObject({ ...WHO, target: MISSING, outcome: 'failure', code: 'CONNECTION_NOT_FOUND' });

      // A wrong key would turn the connection to `error`; with the audit refusing, it stays active.
      const wrong = await createKeyed(coffer, `zq-wrong-${hex(4)}`);
      await withAuditRefused(backend(), () => expectCode(coffer.as(WHO).connections.test(tenant, wrong.id), 'AUDIT_UNAVAILABLE'));
      expect(await coffer.connections.get(tenant, wrong.id)).toMatchObject({ status: 'active', lastError: null });
    });
  });

  describe('token refresh', () => {
    it("an on-demand refresh is recorded with its caller, once, in the new token's transaction; refused, the token is not replaced", async () => {
      const plain = await dueConnection();
      await coffer.connections.refresh(tenant, plain);
      expect(await latest('connection.refresh')).toMatchObject({ ...LIBRARY, tenant, target: plain, outcome: 'success', details: { provider: 'zq-apc-code', rotated: true } });
      const acting = await dueConnection();
      const events = await count('connection.refresh');
      await coffer.as(WHO).connections.refresh(tenant, acting);
      expect(await count('connection.refresh')).toBe(events + 1);
      expect(await latest('connection.refresh')).toMatchObject({ ...WHO, tenant, target: acting, outcome: 'success', details: { provider: 'zq-apc-code', rotated: true } });

      await expectCode(coffer.as(WHO).connections.refresh(tenant, MISSING), 'CONNECTION_NOT_FOUND');
      expect(await latest('connection.refresh')).toMatchObject({ ...WHO, target: MISSING, outcome: 'failure', code: 'CONNECTION_NOT_FOUND' });
      const keyed = await createKeyed();
      await expectCode(coffer.as(WHO).connections.refresh(tenant, keyed.id), 'CONNECTION_INVALID');
      expect(await latest('connection.refresh')).toMatchObject({ ...WHO, target: keyed.id, outcome: 'failure', code: 'CONNECTION_INVALID' });
      // A failed attempt is one event, the attempt's own (with the provider's error), not a second for the call.
      const revoked = await dueConnection();
      tokens.behaviour = { invalidGrant: true };
      try {
        const before = await count('connection.refresh');
        await expectCode(coffer.as(WHO).connections.refresh(tenant, revoked), 'CONNECTION_UNUSABLE');
        expect(await count('connection.refresh')).toBe(before + 1);
        expect(await latest('connection.refresh')).toMatchObject({ ...WHO, target: revoked, outcome: 'failure', code: 'invalid_grant', details: { status: 'refresh_failed' } });
      } finally {
        tokens.behaviour = { expiresIn: 3600, refreshToken: 'rotate' };
      }

      const held = await dueConnection();
      const expiresAt = (await coffer.connections.get(tenant, held)).expiresAt;
      await withAuditRefused(backend(), () => expectCode(coffer.as(WHO).connections.refresh(tenant, held), 'AUDIT_UNAVAILABLE'));
      expect(await tokenVersions(held)).toBe(1);
      expect((await coffer.connections.get(tenant, held)).expiresAt).toEqual(expiresAt);
    });

    it('a refresh found due on use stays the refresh job\'s, not the caller of getCredentials', async () => {
      const id = await dueConnection();
      await coffer.as(WHO).connections.getCredentials(tenant, id);
      expect(await latest('connection.refresh')).toMatchObject({ actor: 'system:token-refresh', target: id, outcome: 'success' });
      expect(await latest('connection.credentials')).toMatchObject({ ...WHO, target: id, outcome: 'success' });
    });
  });

  describe('connect sessions', () => {
    const session = async (c: Coffer, returnUrl = `${RETURN_ORIGIN}/done`) => {
      const created = await c.connect.create(tenant, { provider: 'zq-apc-code', returnUrl });
      sensitive.push(created.linkToken);
      return created;
    };

    it('create: the session is recorded with its link, never the link itself; refused, no session is stored', async () => {
      const plain = await session(coffer);
      expect(await latest('connect.session.create')).toMatchObject({ ...LIBRARY, tenant, target: plain.id, outcome: 'success', details: { provider: 'zq-apc-code' } });
      const acting = await session(coffer.as(WHO));
      const event = await latest('connect.session.create');
      expect(event).toMatchObject({ ...WHO, tenant, target: acting.id, outcome: 'success', details: { provider: 'zq-apc-code' } });
      expect(JSON.stringify(event)).not.toContain(acting.linkToken);

      await expectCode(session(coffer.as(WHO), 'https://elsewhere.example/done'), 'RETURN_URL_NOT_ALLOWED');
      expect(await latest('connect.session.create')).toMatchObject({ ...WHO, tenant, target: null, outcome: 'failure', code: 'RETURN_URL_NOT_ALLOWED' });

      const sessions = () => withRaw(backend(), async (db) => (await db.all('select id from oauth_sessions where tenant_id = ?', [tenant])).length);
      const before = await sessions();
      await withAuditRefused(backend(), () => expectCode(session(coffer.as(WHO)), 'AUDIT_UNAVAILABLE'));
      expect(await sessions()).toBe(before);
    });

    it('setReturnOrigins: recorded with the origins set; refused, the origins stay', async () => {
      await coffer.connect.setReturnOrigins(tenant, [RETURN_ORIGIN, 'http://127.0.0.1:4000']);
      expect(await latest('tenant.return_origins.update')).toMatchObject({ ...LIBRARY, tenant, target: tenant, outcome: 'success', details: { origins: `${RETURN_ORIGIN} http://127.0.0.1:4000` } });
      await coffer.as(WHO).connect.setReturnOrigins(tenant, [RETURN_ORIGIN]);
      expect(await latest('tenant.return_origins.update')).toMatchObject({ ...WHO, tenant, target: tenant, outcome: 'success', details: { origins: RETURN_ORIGIN } });

      await expectCode(coffer.as(WHO).connect.setReturnOrigins(tenant, ['https://app.example.com/with/a/path']), 'INVALID_ARGUMENT');
      const failed = await latest('tenant.return_origins.update');
      expect(failed).toMatchObject({ ...WHO, tenant, target: tenant, outcome: 'failure', code: 'INVALID_ARGUMENT' });
      expect(JSON.stringify(failed)).not.toContain('/with/a/path');

      await withAuditRefused(backend(), () => expectCode(coffer.as(WHO).connect.setReturnOrigins(tenant, ['https://other.example']), 'AUDIT_UNAVAILABLE'));
      expect(await coffer.connect.returnOrigins(tenant)).toEqual([RETURN_ORIGIN]);
    });

    /** A flow up to the provider's answer: the callback URL it would send the browser to, and the browser's cookie. */
    const startFlow = async () => {
      const created = await session(coffer);
      const started = await coffer.connect.start(created.linkToken, REDIRECT_URI);
      const state = new URL(started.authorizationUrl).searchParams.get('state')!;
      return { id: created.id, binding: started.binding, callback: new URL(`${REDIRECT_URI}?code=code-${hex(6)}&state=${state}`) };
    };

    it('the callback acts for its connect link: connect:<session id>, from the address of the caller', async () => {
      const plain = await startFlow();
      const done = await coffer.connect.complete(plain.callback, plain.binding, REDIRECT_URI);
      expect(done.status).toBe('connected');
      expect(await latest('connection.authorize')).toMatchObject({ actor: `connect:${plain.id}`, ip: null, requestId: null, tenant, target: done.connectionId, outcome: 'success', details: { provider: 'zq-apc-code', reauthorized: false } });

      // The server calls it acting as the anonymous browser: its address and request id are kept, the actor is the link.
      const browser = await startFlow();
      const viaServer = await coffer.as({ actor: 'anonymous', ip: WHO.ip, requestId: WHO.requestId }).connect.complete(browser.callback, browser.binding, REDIRECT_URI);
      expect(await latest('connection.authorize')).toMatchObject({ actor: `connect:${browser.id}`, ip: WHO.ip, requestId: WHO.requestId, target: viaServer.connectionId, outcome: 'success' });

      const stolen = await startFlow();
      const mismatch = await coffer.as(WHO).connect.complete(stolen.callback, 'another-browser', REDIRECT_URI);
      expect(mismatch).toMatchObject({ status: 'error', error: 'browser_mismatch' });
      expect(await latest('connection.authorize')).toMatchObject({ actor: `connect:${stolen.id}`, ip: WHO.ip, outcome: 'failure', code: 'browser_mismatch' });

      const refused = await startFlow();
      const connections = (await coffer.connections.list(tenant)).items.length;
      await withAuditRefused(backend(), () => expectCode(coffer.connect.complete(refused.callback, refused.binding, REDIRECT_URI), 'AUDIT_UNAVAILABLE'));
      expect((await coffer.connections.list(tenant)).items.length).toBe(connections);
    });
  });

  describe('legacy import', () => {
    const batch = (c: Coffer, t: string, knownTenants: string[] = [t]) =>
      c.connections.importBatch([{ row: 7, key: `legacy-${hex(6)}`, tenant: t, provider: 'zq-apc-key', config: {}, credentials: { api_key: KEY } }], {
        dryRun: false,
        knownTenants: new Set(knownTenants),
        createTenants: false,
      });
    const idOf = (secretName: string) => secretName.replace(/\.credentials$/, '');

    it('each imported connection is recorded with the caller (row and provider, never a value); a batch that fails or cannot be recorded writes nothing', async () => {
      const [plain] = await batch(coffer, tenant);
      expect(plain).toMatchObject({ outcome: 'imported' });
      const plainId = idOf((plain as { secretName: string }).secretName);
      expect(await latest('connection.import')).toMatchObject({ ...LIBRARY, tenant, target: plainId, outcome: 'success', details: { provider: 'zq-apc-key', row: 7 } });
      const [acting] = await batch(coffer.as(WHO), tenant);
      const actingId = idOf((acting as { secretName: string }).secretName);
      const event = await latest('connection.import');
      expect(event).toMatchObject({ ...WHO, tenant, target: actingId, outcome: 'success', details: { provider: 'zq-apc-key', row: 7 } });
      expect(JSON.stringify(event)).not.toContain(KEY);

      // A tenant the caller believed in but that is gone: the batch rolls back, recorded as one failed import.
      const ghost = tenantId('apc-ghost');
      const [failed] = await batch(coffer.as(WHO), ghost);
      expect(failed).toMatchObject({ outcome: 'failed', problem: { code: 'TENANT_NOT_FOUND' } });
      expect(await latest('connection.import', { tenant: null, outcome: 'failure' })).toMatchObject({ ...WHO, outcome: 'failure', code: 'TENANT_NOT_FOUND' });

      const connections = (await coffer.connections.list(tenant)).items.length;
      const [refused] = await withAuditRefused(backend(), () => batch(coffer.as(WHO), tenant));
      expect(refused).toMatchObject({ outcome: 'failed', problem: { code: 'AUDIT_UNAVAILABLE' } });
      expect((await coffer.connections.list(tenant)).items.length).toBe(connections);
    });
  });

  it('no credential, token or connect link reaches the log', async () => {
    // The tokens the provider issued, read without an event of their own.
    for (const c of (await coffer.connections.list(tenant)).items.filter((x) => x.provider === 'zq-apc-code')) {
      const set = (await coffer.secrets.readValue(tenant, c.secret.name)).value as unknown as TokenSet;
      sensitive.push(set.access_token, ...(set.refresh_token ? [set.refresh_token] : []));
    }
    const all = JSON.stringify((await coffer.audit.list({ limit: 1000 })).items);
    expect(sensitive.length).toBeGreaterThan(10);
    expect(sensitive.filter((v) => all.includes(v))).toEqual([]);
  });
});
