/**
 * OAuth 2.0 in the library, against a real authorization server (oidc-provider) on loopback:
 * the authorization code flow with PKCE, refresh with rotation, invalid_grant, client
 * credentials, revocation, and (against a small token stand-in) the token shapes real servers
 * produce only sometimes: no expires_in, a refresh without a refresh token, an outage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coffer, TokenSet } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { startOidcServer, type OidcServer } from './support/oidc-server.js';
import { startTokenStandIn, type TokenStandIn } from './support/token-standin.js';
import { errorText, expectCode, openCoffer, rawDb, tenantId } from './helpers.js';

const REDIRECT_URI = 'http://127.0.0.1:9/v1/oauth/callback';
const RETURN_URL = 'https://app.example.com/integrations/done?step=2';

/** Asks the authorization server whether a token is live. */
async function introspect(oidc: OidcServer, token: string): Promise<boolean> {
  const res = await fetch(`${oidc.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${oidc.client.id}:${oidc.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return ((await res.json()) as { active: boolean }).active;
}

forEachBackend('OAuth connections', (backend) => {
  let coffer: Coffer;
  let oidc: OidcServer;
  let standIn: TokenStandIn;
  let dir: string;
  const tenant = tenantId('oauthco');

  beforeAll(async () => {
    // Tokens live 120 s, under the default 300 s refresh buffer: every token is "expiring".
    oidc = await startOidcServer({ redirectUris: [REDIRECT_URI], accessTokenTtl: 120, rotateRefreshToken: true });
    standIn = await startTokenStandIn();
    dir = mkdtempSync(join(tmpdir(), 'coffer-oauth-providers-'));
    const oauthBase = { issuer: oidc.issuer, authorizationUrl: oidc.authorizationUrl, tokenUrl: oidc.tokenUrl, revocationUrl: oidc.revocationUrl };
    const api = { baseUrl: oidc.issuer, inject: { headers: { Authorization: '{token_type} {access_token}' } } };
    writeFileSync(join(dir, 'zq-oidc.json'), JSON.stringify({ id: 'zq-oidc', name: 'ZQ OIDC', auth: { mode: 'oauth2', oauth: { ...oauthBase, scopes: ['api:read'] } }, api }));
    writeFileSync(join(dir, 'zq-oidc-cc.json'), JSON.stringify({ id: 'zq-oidc-cc', name: 'ZQ OIDC machine', auth: { mode: 'oauth2_client_credentials', oauth: { tokenUrl: oidc.tokenUrl, scopes: ['api:read'] } }, api }));
    writeFileSync(join(dir, 'zq-nokey.json'), JSON.stringify({ id: 'zq-nokey', name: 'ZQ without client', auth: { mode: 'oauth2', oauth: { ...oauthBase } }, api }));
    writeFileSync(
      join(dir, 'zq-standin.json'),
      JSON.stringify({ id: 'zq-standin', name: 'ZQ stand-in', auth: { mode: 'oauth2_client_credentials', oauth: { tokenUrl: `${standIn.url}/token` } }, api: { baseUrl: standIn.url, inject: { headers: { Authorization: 'Bearer {access_token}' } } } }),
    );
    writeFileSync(
      join(dir, 'zq-standin-code.json'),
      JSON.stringify({ id: 'zq-standin-code', name: 'ZQ stand-in code', auth: { mode: 'oauth2', oauth: { authorizationUrl: `${standIn.url}/authorize`, tokenUrl: `${standIn.url}/token` } }, api: { baseUrl: standIn.url, inject: { headers: { Authorization: 'Bearer {access_token}' } } } }),
    );
    // Short back-off so the tests can wait it out; the production default is 30 s.
    coffer = await openCoffer(backend(), { providersDir: dir }, { refresh: { minAttemptIntervalMs: 400, leaseMs: 5000, waitMs: 5000 } });
    await coffer.tenants.create(tenant);
    // Connect sessions of the tenant may return to the app's origin.
    expect(await coffer.connect.setReturnOrigins(tenant, [new URL(RETURN_URL).origin])).toEqual(['https://app.example.com']);
    // A global client for zq-oidc (tenant "global"), a tenant's own for the machine provider.
    await coffer.tenants.create('global');
    await coffer.secrets.put('global', 'oauth-client.zq-oidc', { client_id: oidc.client.id, client_secret: oidc.client.secret });
    await coffer.secrets.put(tenant, 'oauth-client.zq-oidc-cc', { client_id: oidc.client.id, client_secret: oidc.client.secret });
    for (const p of ['zq-standin', 'zq-standin-code']) await coffer.secrets.put(tenant, `oauth-client.${p}`, { client_id: standIn.client.id, client_secret: standIn.client.secret });
  });
  afterAll(async () => {
    await coffer?.close();
    await oidc?.close();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the whole code flow; returns the outcome and what a browser would have carried. */
  async function connect(options: { deny?: boolean; bindingOverride?: string; connectionId?: string } = {}) {
    const session = await coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: RETURN_URL, displayName: 'Acme account', ...(options.connectionId ? { connectionId: options.connectionId } : {}) });
    const started = await coffer.connect.start(session.linkToken, REDIRECT_URI);
    const callback = await oidc.authorize(started.authorizationUrl, options.deny ? { deny: true } : {});
    const outcome = await coffer.connect.complete(callback, options.bindingOverride ?? started.binding, REDIRECT_URI);
    return { session, started, callback, outcome };
  }

  const tokenSetOf = async (connectionId: string): Promise<TokenSet> => {
    const c = await coffer.connections.get(tenant, connectionId);
    return (await coffer.secrets.reveal(tenant, c.secret.name)).value as unknown as TokenSet;
  };

  describe('authorization code with PKCE', () => {
    it('connects end to end and stores the tokens in the vault, never in the row', async () => {
      const { started, callback, outcome } = await connect();
      const auth = new URL(started.authorizationUrl);
      expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
      expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(auth.searchParams.get('state')!.length).toBeGreaterThanOrEqual(22);
      expect(auth.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
      expect(auth.searchParams.get('scope')).toBe('api:read');
      expect(callback.searchParams.get('iss')).toBe(oidc.issuer);

      expect(outcome.status).toBe('connected');
      const back = new URL(outcome.redirectTo);
      expect(back.origin + back.pathname).toBe('https://app.example.com/integrations/done');
      expect(back.searchParams.get('step')).toBe('2');
      expect(back.searchParams.get('coffer_status')).toBe('connected');
      expect(back.searchParams.get('coffer_connection_id')).toBe(outcome.connectionId);

      const c = await coffer.connections.get(tenant, outcome.connectionId!);
      expect(c).toMatchObject({ provider: 'zq-oidc', authMode: 'oauth2', status: 'active', displayName: 'Acme account', secret: { owned: true } });
      expect(c.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 60_000);
      const set = await tokenSetOf(c.id);
      expect(set.refresh_token).toBeTruthy();
      expect(await introspect(oidc, set.access_token)).toBe(true);
      const db = await rawDb(backend());
      try {
        const rows = JSON.stringify([...(await db.all('select * from connections')), ...(await db.all('select * from oauth_sessions'))]);
        for (const secret of [set.access_token, set.refresh_token!, callback.searchParams.get('code')!, callback.searchParams.get('state')!]) expect(rows).not.toContain(secret);
      } finally {
        await db.close();
      }
      const events = await coffer.audit.list({ tenant, action: 'connection.authorize' });
      expect(events.items[0]).toMatchObject({ outcome: 'success', target: c.id });
    });

    it('uses every link, state and code once', async () => {
      const session = await coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: RETURN_URL });
      const started = await coffer.connect.start(session.linkToken, REDIRECT_URI);
      await expectCode(coffer.connect.start(session.linkToken, REDIRECT_URI), 'CONNECT_SESSION_INVALID');
      const callback = await oidc.authorize(started.authorizationUrl);
      expect((await coffer.connect.complete(callback, started.binding, REDIRECT_URI)).status).toBe('connected');
      await expectCode(coffer.connect.complete(callback, started.binding, REDIRECT_URI), 'CONNECT_SESSION_INVALID');
      await expectCode(coffer.connect.start('x'.repeat(43), REDIRECT_URI), 'CONNECT_SESSION_INVALID');
      await expectCode(coffer.connect.complete(new URL(`${REDIRECT_URI}?code=abc&state=forged`), started.binding, REDIRECT_URI), 'CONNECT_SESSION_INVALID');
    });

    it('ends a denied consent, another browser, a forged iss or an expired session with a clear error', async () => {
      const denied = await connect({ deny: true });
      expect(denied.outcome).toMatchObject({ status: 'error', error: 'access_denied', connectionId: null });
      expect(new URL(denied.outcome.redirectTo).searchParams.get('coffer_error')).toBe('access_denied');

      const otherBrowser = await connect({ bindingOverride: 'someone-elses-cookie' });
      expect(otherBrowser.outcome).toMatchObject({ status: 'error', error: 'browser_mismatch' });

      const session = await coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: RETURN_URL });
      const started = await coffer.connect.start(session.linkToken, REDIRECT_URI);
      const callback = await oidc.authorize(started.authorizationUrl);
      callback.searchParams.set('iss', 'https://evil.example');
      expect((await coffer.connect.complete(callback, started.binding, REDIRECT_URI)).status).toBe('error');

      const late = await coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: RETURN_URL });
      const lateStarted = await coffer.connect.start(late.linkToken, REDIRECT_URI);
      const lateCallback = await oidc.authorize(lateStarted.authorizationUrl);
      const db = await rawDb(backend());
      try {
        await db.run('update oauth_sessions set expires_at = ? where id = ?', [Date.now() - 1, late.id]);
      } finally {
        await db.close();
      }
      expect((await coffer.connect.complete(lateCallback, lateStarted.binding, REDIRECT_URI)).error).toBe('session_expired');
      // No failed attempt left a connection behind, and each was audited as a failure.
      const failures = await coffer.audit.list({ tenant, action: 'connection.authorize', outcome: 'failure' });
      expect(failures.items.map((e) => e.code)).toEqual(expect.arrayContaining(['access_denied', 'browser_mismatch', 'session_expired']));
    });

    it('refuses what cannot work before the user is sent anywhere', async () => {
      const err = await expectCode(coffer.connect.create(tenant, { provider: 'zq-nokey', returnUrl: RETURN_URL }), 'OAUTH_CLIENT_MISSING');
      expect(err.message).toContain('oauth-client.zq-nokey');
      await expectCode(coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: 'http://evil.example/x' }), 'INVALID_ARGUMENT');
      await expectCode(coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: 'javascript:alert(1)' }), 'INVALID_ARGUMENT');
      // A return URL off the tenant's allowed origins is refused, even https, even with Coffer's own origin.
      await expectCode(coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: 'https://evil.example/integrations/done' }), 'RETURN_URL_NOT_ALLOWED');
      await expectCode(coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: 'https://app.example.com.evil.example/done' }), 'RETURN_URL_NOT_ALLOWED');
      await expectCode(coffer.connect.create(tenant, { provider: 'zq-oidc', returnUrl: 'https://coffer.example.com/done' }, { publicOrigin: 'https://coffer.example.com' }), 'RETURN_URL_NOT_ALLOWED');
      // A tenant with no allowed origins may return only to Coffer's own public origin.
      const bare = tenantId('bareco');
      await coffer.tenants.create(bare);
      expect(await coffer.connect.returnOrigins(bare)).toBeNull();
      await expectCode(coffer.connect.create(bare, { provider: 'zq-oidc', returnUrl: RETURN_URL }), 'RETURN_URL_NOT_ALLOWED');
      await expectCode(coffer.connect.create(bare, { provider: 'zq-oidc', returnUrl: RETURN_URL }, { publicOrigin: 'https://coffer.example.com' }), 'RETURN_URL_NOT_ALLOWED');
      const own = await coffer.connect.create(bare, { provider: 'zq-oidc', returnUrl: 'https://coffer.example.com/settings' }, { publicOrigin: 'https://coffer.example.com' });
      expect(own.linkToken).toBeTruthy();
      await expectCode(coffer.connect.create(tenant, { provider: 'zq-oidc-cc', returnUrl: RETURN_URL }), 'CONNECTION_INVALID');
      await expectCode(coffer.connections.create(tenant, { provider: 'zq-oidc', credentials: { access_token: 'x' } }), 'CONNECTION_INVALID');
    });

    it('re-authorises an existing connection in place', async () => {
      const first = await connect();
      const id = first.outcome.connectionId!;
      const again = await connect({ connectionId: id });
      expect(again.outcome).toMatchObject({ status: 'connected', connectionId: id });
      expect((await coffer.secrets.versions(tenant, `${id}.credentials`)).length).toBe(2);
    });
  });

  describe('refresh', () => {
    it('refreshes an expiring token on demand, once, storing the rotated refresh token with the new access token', async () => {
      const { outcome } = await connect();
      const id = outcome.connectionId!;
      const before = await tokenSetOf(id);
      const grantsBefore = oidc.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
      // 20 callers at once in one process: one attempt between them.
      const results = await Promise.all(Array.from({ length: 20 }, () => coffer.connections.getCredentials(tenant, id)));
      const after = await tokenSetOf(id);
      expect(oidc.tokenRequests.filter((r) => r.grantType === 'refresh_token').length).toBe(grantsBefore + 1);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.access_token).not.toBe(before.access_token);
      for (const r of results) {
        expect(r.values).toEqual({ access_token: after.access_token, token_type: 'Bearer' });
        expect(r.headers).toEqual({ Authorization: `Bearer ${after.access_token}` });
        expect(JSON.stringify(r)).not.toContain(after.refresh_token!);
      }
      expect(await introspect(oidc, after.access_token)).toBe(true);
      const c = await coffer.connections.get(tenant, id);
      expect(c.lastRefreshedAt).toBeInstanceOf(Date);
      expect((await coffer.audit.list({ tenant, action: 'connection.refresh' })).items[0]).toMatchObject({ outcome: 'success', target: id, actor: 'system:token-refresh' });
      // Within the back-off the still-valid token is served without another attempt.
      await coffer.connections.getCredentials(tenant, id);
      expect(oidc.tokenRequests.filter((r) => r.grantType === 'refresh_token').length).toBe(grantsBefore + 1);
    });

    it('the proactive pass refreshes connections expiring within its window', async () => {
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await connect()).outcome.connectionId!);
      await new Promise((r) => setTimeout(r, 450)); // past the back-off after their creation
      const outcome = await coffer.refresher.refreshDue({ windowMs: 10 * 60_000 });
      expect(outcome.refreshed).toBeGreaterThanOrEqual(3);
      expect(outcome.failed).toBe(0);
      for (const id of made) expect(await introspect(oidc, (await tokenSetOf(id)).access_token)).toBe(true);
    });

    it('marks a connection refresh_failed on invalid_grant and stops trying', async () => {
      const { outcome } = await connect();
      const id = outcome.connectionId!;
      await oidc.revokeAllGrants();
      const err = await expectCode(coffer.connections.getCredentials(tenant, id), 'CONNECTION_UNUSABLE');
      expect(errorText(err)).toContain('invalid_grant');
      const c = await coffer.connections.get(tenant, id);
      expect(c.status).toBe('refresh_failed');
      expect(c.lastError).toMatch(/invalid_grant/);
      const requests = oidc.tokenRequests.length;
      await new Promise((r) => setTimeout(r, 450));
      await expectCode(coffer.connections.getCredentials(tenant, id), 'CONNECTION_UNUSABLE');
      expect(oidc.tokenRequests.length).toBe(requests);
      const failure = (await coffer.audit.list({ tenant, action: 'connection.refresh', outcome: 'failure' })).items[0];
      expect(failure).toMatchObject({ target: id, code: 'invalid_grant' });
      // Re-authorising brings it back.
      expect((await connect({ connectionId: id })).outcome.status).toBe('connected');
      expect((await coffer.connections.get(tenant, id)).status).toBe('active');
    });

  });

  describe('client credentials and token shapes', () => {
    it('gets a machine token at creation and a new one when due', async () => {
      const c = await coffer.connections.create(tenant, { provider: 'zq-oidc-cc' });
      expect(c).toMatchObject({ authMode: 'oauth2_client_credentials', status: 'active' });
      const first = await tokenSetOf(c.id);
      expect(first.refresh_token).toBeUndefined();
      expect(await introspect(oidc, first.access_token)).toBe(true);
      await new Promise((r) => setTimeout(r, 450));
      const creds = await coffer.connections.getCredentials(tenant, c.id);
      expect(creds.values.access_token).not.toBe(first.access_token);
      expect(oidc.tokenRequests.filter((r) => r.grantType === 'client_credentials').length).toBeGreaterThanOrEqual(2);
    });

    it('a token response without expires_in is given a validation horizon, not eternity', async () => {
      standIn.behaviour = { expiresIn: null };
      const c = await coffer.connections.create(tenant, { provider: 'zq-standin' });
      const set = await tokenSetOf(c.id);
      expect(set.expiry_assumed).toBe(true);
      expect(set.expires_at).toBeGreaterThan(Date.now() + 3000_000);
      expect(set.expires_at).toBeLessThanOrEqual(Date.now() + 3600_000);
      expect(c.expiresAt).not.toBeNull();
      standIn.behaviour = { expiresIn: 3600 };
    });

    it('a refresh answer without a refresh token keeps the old one', async () => {
      const id = await coffer.connections.storeAuthorization(tenant, coffer.providers.get('zq-standin-code'), {
        connectionId: null,
        displayName: null,
        config: {},
        tokens: { access_token: 'at-old', token_type: 'Bearer', refresh_token: 'rt-keep-me', expires_at: Date.now() + 1000 },
        onCommit: async () => {},
      });
      standIn.behaviour = { expiresIn: 3600, refreshToken: 'omit' };
      const creds = await coffer.connections.getCredentials(tenant, id);
      expect(creds.values.access_token).toMatch(/^at-/);
      expect(creds.values.access_token).not.toBe('at-old');
      expect((await tokenSetOf(id)).refresh_token).toBe('rt-keep-me');
      standIn.behaviour = { expiresIn: 3600, refreshToken: 'rotate' };
    });

    it('backs off after a provider outage: at most one attempt per interval, the valid token meanwhile', async () => {
      const id = await coffer.connections.storeAuthorization(tenant, coffer.providers.get('zq-standin-code'), {
        connectionId: null,
        displayName: null,
        config: {},
        tokens: { access_token: 'at-still-valid', token_type: 'Bearer', refresh_token: 'rt-1', expires_at: Date.now() + 60_000 },
        onCommit: async () => {},
      });
      standIn.behaviour = { outage: true };
      const seen = standIn.requests.length;
      for (let i = 0; i < 5; i++) expect((await coffer.connections.getCredentials(tenant, id)).values.access_token).toBe('at-still-valid');
      expect(standIn.requests.length).toBe(seen + 1);
      const c = await coffer.connections.get(tenant, id);
      expect(c).toMatchObject({ status: 'active' });
      expect(c.lastError, String(c.lastError)).toMatch(/503/);
      standIn.behaviour = { expiresIn: 3600, refreshToken: 'rotate' };
      await new Promise((r) => setTimeout(r, 450));
      expect((await coffer.connections.getCredentials(tenant, id)).values.access_token).not.toBe('at-still-valid');
    });
  });

  it('revokes the grant at the provider when a connection is deleted', async () => {
    const { outcome } = await connect();
    const id = outcome.connectionId!;
    const set = await tokenSetOf(id);
    const revocations = oidc.revocations;
    const deleted = await coffer.connections.delete(tenant, id);
    expect(deleted.revocation).toBe('revoked');
    expect(oidc.revocations).toBe(revocations + 1);
    expect(await introspect(oidc, set.refresh_token!)).toBe(false);
    await expectCode(coffer.connections.get(tenant, id), 'CONNECTION_NOT_FOUND');
  });
});
