/**
 * Self-test of the loopback OAuth server in support/oidc-server.ts, driven with oauth4webapi the
 * way a client would: discovery, authorization code with PKCE, refresh (with and without
 * rotation), client credentials, revocation, denial, and server-side revocation of every grant.
 */
import * as oauth from 'oauth4webapi';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startOidcServer, type OidcServer } from './support/oidc-server.js';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
// The issuer is plain http on loopback; oauth4webapi refuses that unless told.
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

interface Harness {
  server: OidcServer;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
}

async function harness(options: Partial<Parameters<typeof startOidcServer>[0]> = {}): Promise<Harness> {
  const server = await startOidcServer({ redirectUris: [REDIRECT_URI], ...options });
  onTestFinished(() => server.close());
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...INSECURE }));
  const client: oauth.Client = { client_id: server.client.id };
  const auth = options.tokenEndpointAuthMethod === 'client_secret_post' ? oauth.ClientSecretPost(server.client.secret) : oauth.ClientSecretBasic(server.client.secret);
  return { server, as, client, auth };
}

/** Builds an authorization URL with PKCE and state, as a client would. */
async function authorizationRequest(h: Harness, scope: string, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(h.as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: h.client.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url, verifier, state };
}

/** The whole code flow: authorize in the "browser", then redeem the code. */
async function codeFlow(h: Harness, scope = 'api:read', account = 'alice') {
  const { url, verifier, state } = await authorizationRequest(h, scope);
  const callback = await h.server.authorize(url.href, { account });
  const params = oauth.validateAuthResponse(h.as, h.client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(h.as, h.client, h.auth, params, REDIRECT_URI, verifier, INSECURE);
  const tokens = await oauth.processAuthorizationCodeResponse(h.as, h.client, response);
  return { callback, state, tokens };
}

async function refresh(h: Harness, refreshToken: string) {
  const response = await oauth.refreshTokenGrantRequest(h.as, h.client, h.auth, refreshToken, INSECURE);
  return oauth.processRefreshTokenResponse(h.as, h.client, response);
}

async function oauthError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.AuthorizationResponseError) return err.error;
  // A 401 with a WWW-Authenticate challenge (oidc-provider answers bad client_secret_basic
  // credentials so) surfaces as a challenge error, not as a body error.
  if (err instanceof oauth.WWWAuthenticateChallengeError) return err.cause[0]?.parameters.error ?? `http_${err.status}`;
  throw new Error(`expected an OAuth error response, got ${err === undefined ? 'success' : String(err)}`);
}

describe('oidc-server (oidc-provider on loopback)', () => {
  it('runs the authorization-code flow with PKCE: callback carries code, state and iss; tokens include a refresh token', async () => {
    const h = await harness({ accessTokenTtl: 120 });
    expect(h.server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.as.authorization_endpoint).toBe(h.server.authorizationUrl);
    expect(h.as.token_endpoint).toBe(h.server.tokenUrl);
    expect(h.as.revocation_endpoint).toBe(h.server.revocationUrl);
    expect(h.as.code_challenge_methods_supported).toEqual(['S256']);

    const { callback, state, tokens } = await codeFlow(h);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(h.server.issuer);

    expect(tokens.access_token).toBeTruthy();
    expect(tokens.token_type).toBe('bearer'); // oauth4webapi lower-cases it
    expect(tokens.expires_in).toBe(120);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope).toBe('api:read');
    expect(tokens.id_token).toBeUndefined();

    expect(h.server.tokenRequests).toEqual([{ grantType: 'authorization_code', ok: true }]);
  });

  it('also works with openid + offline_access + prompt=consent, returning an ID token', async () => {
    const h = await harness();
    const { url, verifier, state } = await authorizationRequest(h, 'openid offline_access api:read', { prompt: 'consent', nonce: 'n-1' });
    const callback = await h.server.authorize(url.href, { account: 'bob' });
    const params = oauth.validateAuthResponse(h.as, h.client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(h.as, h.client, h.auth, params, REDIRECT_URI, verifier, INSECURE);
    const tokens = await oauth.processAuthorizationCodeResponse(h.as, h.client, response, { expectedNonce: 'n-1', requireIdToken: true });
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope).toBe('openid offline_access api:read');
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe('bob');
  });

  it('rotates refresh tokens; the old one then fails with invalid_grant (and reuse revokes the grant)', async () => {
    const h = await harness();
    const first = (await codeFlow(h)).tokens;
    const second = await refresh(h, first.refresh_token!);
    expect(second.access_token).toBeTruthy();
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.expires_in).toBe(3600);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);

    expect(await oauthError(refresh(h, first.refresh_token!))).toBe('invalid_grant');
    // Reuse detection: presenting the rotated-out token revoked the whole grant.
    expect(await oauthError(refresh(h, second.refresh_token!))).toBe('invalid_grant');

    expect(h.server.tokenRequests).toEqual([
      { grantType: 'authorization_code', ok: true },
      { grantType: 'refresh_token', ok: true },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
    ]);
  });

  it('without rotation, a refresh answers with the same refresh token, which keeps working (client_secret_post)', async () => {
    const h = await harness({ rotateRefreshToken: false, tokenEndpointAuthMethod: 'client_secret_post' });
    expect(h.as.token_endpoint_auth_methods_supported).toContain('client_secret_post');
    const first = (await codeFlow(h)).tokens;
    const second = await refresh(h, first.refresh_token!);
    expect(second.refresh_token).toBe(first.refresh_token);
    const third = await refresh(h, first.refresh_token!);
    expect(third.access_token).toBeTruthy();
    expect(h.server.tokenRequests.map((r) => r.ok)).toEqual([true, true, true]);
  });

  it('issues client-credentials access tokens', async () => {
    const h = await harness({ accessTokenTtl: 300 });
    const response = await oauth.clientCredentialsGrantRequest(h.as, h.client, h.auth, { scope: 'api:read' }, INSECURE);
    const tokens = await oauth.processClientCredentialsResponse(h.as, h.client, response);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.expires_in).toBe(300);
    expect(tokens.scope).toBe('api:read');
    expect(tokens.refresh_token).toBeUndefined();

    // A wrong secret is counted as a failed request too. With client_secret_basic oidc-provider
    // answers 401 with a WWW-Authenticate challenge, which oauth4webapi throws as such.
    const bad = await oauth.clientCredentialsGrantRequest(h.as, h.client, oauth.ClientSecretBasic('wrong'), { scope: 'api:read' }, INSECURE);
    const error = await oauthError(oauth.processClientCredentialsResponse(h.as, h.client, bad));
    expect(error).toBe('invalid_client');
    expect(h.server.tokenRequests).toEqual([
      { grantType: 'client_credentials', ok: true },
      { grantType: 'client_credentials', ok: false, error: 'invalid_client' },
    ]);
  });

  it('revokes a refresh token and counts the revocation', async () => {
    const h = await harness();
    const { tokens } = await codeFlow(h);
    expect(h.server.revocations).toBe(0);
    const response = await oauth.revocationRequest(h.as, h.client, h.auth, tokens.refresh_token!, { additionalParameters: { token_type_hint: 'refresh_token' }, ...INSECURE });
    await oauth.processRevocationResponse(response);
    expect(h.server.revocations).toBe(1);
    expect(await oauthError(refresh(h, tokens.refresh_token!))).toBe('invalid_grant');
    expect(h.server.tokenRequests).toEqual([
      { grantType: 'authorization_code', ok: true },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
    ]);
  });

  it('reports a denied consent as error=access_denied on the redirect', async () => {
    const h = await harness();
    const { url, state } = await authorizationRequest(h, 'api:read');
    const callback = await h.server.authorize(url.href, { deny: true });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(h.server.issuer);
    expect(callback.searchParams.get('code')).toBeNull();
    let err: unknown;
    try {
      oauth.validateAuthResponse(h.as, h.client, callback, state);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((err as oauth.AuthorizationResponseError).error).toBe('access_denied');
    expect(h.server.tokenRequests).toEqual([]);
  });

  it('revokeAllGrants() makes every refresh token issued so far fail with invalid_grant', async () => {
    const h = await harness();
    const a = (await codeFlow(h, 'api:read', 'alice')).tokens;
    const b = (await codeFlow(h, 'api:read', 'bob')).tokens;
    await h.server.revokeAllGrants();
    expect(await oauthError(refresh(h, a.refresh_token!))).toBe('invalid_grant');
    expect(await oauthError(refresh(h, b.refresh_token!))).toBe('invalid_grant');
    // A new authorization still works afterwards.
    const c = (await codeFlow(h, 'api:read', 'alice')).tokens;
    expect((await refresh(h, c.refresh_token!)).access_token).toBeTruthy();
    expect(h.server.tokenRequests).toEqual([
      { grantType: 'authorization_code', ok: true },
      { grantType: 'authorization_code', ok: true },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
      { grantType: 'refresh_token', ok: false, error: 'invalid_grant' },
      { grantType: 'authorization_code', ok: true },
      { grantType: 'refresh_token', ok: true },
    ]);
  });

  it('refuses a code flow without PKCE', async () => {
    const h = await harness();
    const url = new URL(h.server.authorizationUrl);
    url.search = new URLSearchParams({ client_id: h.client.client_id, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'api:read', state: 's' }).toString();
    const callback = await h.server.authorize(url.href);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('authorize() throws with the server\'s error when it cannot redirect back', async () => {
    const h = await harness();
    const { url } = await authorizationRequest(h, 'api:read', { redirect_uri: 'http://127.0.0.1:9/elsewhere' });
    await expect(h.server.authorize(url.href)).rejects.toThrow(/answered 400 invalid_redirect_uri/);
  });
});
