/**
 * The OAuth 2.0 authorization code flow, with PKCE (S256) unless the provider cannot take it.
 *
 *   create   an application asks for a connect link (short-lived, single use)
 *   start    the user opens it: a random state and PKCE verifier are made, the browser gets a
 *            binding cookie, and is sent to the provider
 *   complete the provider sends the browser back: state, cookie and (when the provider
 *            declares its issuer) `iss` are checked, the code is exchanged, the tokens go into
 *            the vault and the connection is created or re-authorised, in one transaction
 *
 * Link tokens, states and binding cookies are kept only as SHA-256 hashes; the verifier is
 * sealed under the tenant key. Nothing of them appears in a log, an error or an audit event.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { AuditLog } from '../audit/audit-log.js';
import { auditedChange, type Acting, type Actor, type ChangeAudit } from '../audit/audited.js';
import { open, readKeyId, seal } from '../crypto/envelope.js';
import { CofferError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { ProviderDefinition } from '../providers/provider-schema.js';
import type { Store } from '../store/database.js';
import type { OAuthSessionsTable } from '../store/schema.js';
import { checkTenantId, checkText } from '../vault/values.js';
import type { Secrets } from '../vault/secrets.js';
import type { Outbound } from '../outbound/http.js';
import { checkConfig } from '../connections/connection-fields.js';
import type { Connections } from '../connections/connections.js';
import { describeOAuthError, endpointsFor, exactOrigin, findClientSettings, oauthSettings } from './oauth-client.js';
import { readTokenSet, tokenSetFrom, type TokenSet } from './token-set.js';
import { checkProviderUrls, refuseUrlChange } from '../providers/host-binding.js';
import { checkProviderId } from '../providers/provider-id.js';
import { applyCredentials, runTestRequest } from '../connections/provider-requests.js';

/** How long a connect link and the flow it starts may take. */
export const SESSION_TTL_MS = 10 * 60 * 1000;

export interface ConnectSessionInput {
  provider: string;
  displayName?: string;
  config?: Record<string, string>;
  /** Re-authorise this connection instead of creating one. */
  connectionId?: string;
  /** Where the browser is sent at the end, with the outcome in the query. */
  returnUrl: string;
  /** Scopes to ask for instead of the provider's defaults. */
  scopes?: string[];
}

export interface CreatedConnectSession {
  id: string;
  /** The single-use link token; the service turns it into a URL. Shown once. */
  linkToken: string;
  expiresAt: Date;
}

export interface CallbackOutcome {
  /** Where to send the browser (with the outcome appended), or null when the session is unknown. */
  redirectTo: string;
  status: 'connected' | 'error';
  connectionId: string | null;
  /** A stable code: an OAuth error (`access_denied`), or a Coffer code. */
  error: string | null;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const token = () => randomBytes(32).toString('base64url');

const isLoopbackHost = (host: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(host);

/**
 * A return URL: https (http only on loopback), no credentials, and on the tenant's allowed
 * return origins, or Coffer's own public origin when the tenant has none. An open redirect
 * after an OAuth flow would hand the outcome (and the user) to anyone who asks for a link.
 */
function checkReturnUrl(url: unknown, allowedOrigins: readonly string[]): string {
  if (typeof url !== 'string' || url.length > 2000) throw new CofferError('INVALID_ARGUMENT', 'returnUrl must be an absolute https URL of at most 2000 characters.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CofferError('INVALID_ARGUMENT', 'returnUrl must be an absolute https URL.');
  }
  const loopback = parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
  if (parsed.protocol !== 'https:' && !loopback) throw new CofferError('INVALID_ARGUMENT', 'returnUrl must be an https URL (http only on loopback).');
  if (parsed.username || parsed.password) throw new CofferError('INVALID_ARGUMENT', 'returnUrl must not carry credentials.');
  if (!allowedOrigins.includes(parsed.origin)) {
    throw new CofferError('RETURN_URL_NOT_ALLOWED', "returnUrl's origin is not one this tenant's connect sessions may return to; an admin adds it with `coffer tenant return-origins set` or PUT /v1/tenants/{tenant}/connect/return-origins.");
  }
  return parsed.toString();
}

/** Checks and normalises a list of return origins (https, or http on loopback; no path). */
export function checkReturnOrigins(origins: unknown): string[] {
  const bad = () => new CofferError('INVALID_ARGUMENT', 'origins must be a list of at most 100 origins such as https://app.example.com (http only on loopback), without a path.');
  if (!Array.isArray(origins) || origins.length > 100) throw bad();
  const out = new Set<string>();
  for (const o of origins) {
    const url = typeof o === 'string' && o.length <= 300 ? exactOrigin(o) : undefined;
    if (!url || (url.protocol === 'http:' && !isLoopbackHost(url.hostname))) throw bad();
    out.add(url.origin);
  }
  return [...out];
}

export class ConnectSessions {
  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly secrets: Secrets,
    private readonly catalog: ProviderCatalog,
    private readonly connections: Connections,
    private readonly auditLog: AuditLog,
    private readonly options: { globalTenant: string; validationSeconds: number; outbound: Outbound },
  ) {}

  /**
   * A connect link for a provider using the authorization code flow; audited as
   * `connect.session.create` (the session id, never the link), in the transaction that stores
   * the session: a link whose event cannot be written is never handed out. `publicOrigin` is
   * Coffer's own public origin: the return URL's origin when the tenant has no allowed return
   * origins.
   */
  async create(tenant: string, input: ConnectSessionInput, options: { publicOrigin?: string } & Acting = {}): Promise<CreatedConnectSession> {
    // Malformed ids are refused before anything is recorded: caller text stays out of the log.
    checkTenantId(tenant);
    if (typeof input !== 'object' || input === null) throw new CofferError('INVALID_ARGUMENT', 'A connect session needs a provider and a returnUrl.');
    const providerId = checkProviderId(input.provider);
    return auditedChange(this.auditLog, options.as, { action: 'connect.session.create', tenant, details: { provider: providerId } }, (audit) => this.createAudited(tenant, input, options.publicOrigin, audit));
  }

  private async createAudited(tenant: string, input: ConnectSessionInput, publicOrigin: string | undefined, audit: ChangeAudit): Promise<CreatedConnectSession> {
    const provider = this.catalog.get(input.provider);
    if (provider.auth.mode !== 'oauth2') {
      throw new CofferError('CONNECTION_INVALID', `Provider "${provider.id}" does not use the authorization code flow (auth mode ${provider.auth.mode}); create the connection directly.`);
    }
    const settings = oauthSettings(provider);
    let config = checkConfig(provider, input.config);
    checkProviderUrls(provider, config);
    const tenantOrigins = await this.returnOrigins(tenant);
    const returnUrl = checkReturnUrl(input.returnUrl, tenantOrigins ?? (publicOrigin ? [new URL(publicOrigin).origin] : []));
    const displayName = input.displayName === undefined ? null : checkText(input.displayName, 'A connection name', 200);
    const scopes = input.scopes ?? settings.scopes;
    if (!Array.isArray(scopes) || scopes.length > 100 || scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/.test(s))) {
      throw new CofferError('INVALID_ARGUMENT', 'scopes must be a list of OAuth scope tokens (printable ASCII without spaces, quotes or backslashes).');
    }
    if (input.connectionId !== undefined) {
      const existing = await this.connections.get(tenant, input.connectionId);
      if (existing.provider !== provider.id) throw new CofferError('CONNECTION_INVALID', `Connection ${existing.id} is a ${existing.provider} connection, not ${provider.id}.`);
      // Re-authorising uses the connection's stored config: the hosts it talks to are fixed.
      if (input.config !== undefined) refuseUrlChange(provider, existing.config, config);
      config = existing.config;
    }
    // Fail now, not after the user has consented, when no client is configured or the client
    // may not be used with these endpoints.
    endpointsFor(provider, config, await findClientSettings(this.secrets, tenant, provider, this.options.globalTenant), this.options.outbound);
    const linkToken = token();
    const now = Date.now();
    const row: OAuthSessionsTable = {
      id: `ses_${randomBytes(10).toString('hex')}`,
      tenant_id: tenant,
      provider: provider.id,
      display_name: displayName,
      config: JSON.stringify(config),
      scopes: scopes.join(' '),
      connection_id: input.connectionId ?? null,
      return_url: returnUrl,
      link_hash: hash(linkToken),
      state_hash: null,
      binding_hash: null,
      verifier: null,
      status: 'pending',
      error_code: null,
      result_connection_id: null,
      created_at: now,
      expires_at: now + SESSION_TTL_MS,
      started_at: null,
      finished_at: null,
    };
    await this.store.writeTransaction(async (trx) => {
      const t = await trx.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
      if (!t) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
      await trx.insertInto('oauth_sessions').values(row).execute();
      await audit.within(trx, { target: row.id });
    });
    return { id: row.id, linkToken, expiresAt: new Date(row.expires_at) };
  }

  /**
   * The user opened the link: returns where to send the browser and the binding cookie value.
   * A link works once; an unknown, used or expired one is CONNECT_SESSION_INVALID.
   */
  async start(linkToken: string, redirectUri: string): Promise<{ authorizationUrl: string; binding: string; sessionId: string }> {
    const invalid = () => new CofferError('CONNECT_SESSION_INVALID', 'This connect link is unknown, already used or expired; ask the application for a new one.');
    if (typeof linkToken !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(linkToken)) throw invalid();
    const session = await this.store.db.selectFrom('oauth_sessions').selectAll().where('link_hash', '=', hash(linkToken)).executeTakeFirst();
    const now = Date.now();
    if (!session || session.status !== 'pending' || session.expires_at <= now) throw invalid();
    const provider = this.catalog.get(session.provider);
    const settings = oauthSettings(provider);
    const config = JSON.parse(session.config) as Record<string, string>;
    const client = await findClientSettings(this.secrets, session.tenant_id, provider, this.options.globalTenant);
    const { as } = endpointsFor(provider, config, client, this.options.outbound);

    const state = oauth.generateRandomState();
    const binding = token();
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries(settings.authorizationParams)) url.searchParams.set(k, v);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', client.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    if (session.scopes !== '') url.searchParams.set('scope', session.scopes.split(' ').join(settings.scopeSeparator));
    url.searchParams.set('state', state);
    if (settings.pkce) {
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
      url.searchParams.set('code_challenge_method', 'S256');
    }

    const claimed = await this.store.writeTransaction(async (trx) => {
      const tenantKey = await this.keyring.newestTenantKey(trx, session.tenant_id);
      const sealed = seal(tenantKey.key, tenantKey.version, Buffer.from(verifier), { purpose: 'oauth-session', tenant: session.tenant_id, secret: session.id, version: 1 });
      // Single use: only the first opening of the link moves it on.
      const result = await trx
        .updateTable('oauth_sessions')
        .set({ status: 'started', state_hash: hash(state), binding_hash: hash(binding), verifier: sealed, started_at: now })
        .where('id', '=', session.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
    if (!claimed) throw invalid();
    return { authorizationUrl: url.toString(), binding, sessionId: session.id };
  }

  /**
   * The provider sent the browser back. Returns where to send it next, with the outcome. Throws
   * CONNECT_SESSION_INVALID only when the callback names no session this Coffer started.
   *
   * The outcome is recorded as `connection.authorize`. The browser has no identity of its own:
   * it acts for the connect link, as `connect:<session id>` (whose `connect.session.create`
   * event names who asked for the link), from the address and request id of the caller's actor.
   */
  async complete(callbackUrl: URL, binding: string | undefined, redirectUri: string, options: Acting = {}): Promise<CallbackOutcome> {
    const state = callbackUrl.searchParams.get('state');
    const invalid = () => new CofferError('CONNECT_SESSION_INVALID', 'This sign-in callback does not belong to a connect session in progress (unknown, used or expired); start again from the application.');
    if (!state || state.length > 512) throw invalid();
    const session = await this.store.db.selectFrom('oauth_sessions').selectAll().where('state_hash', '=', hash(state)).executeTakeFirst();
    if (!session || session.status !== 'started') throw invalid();
    // Single use from here on: whatever happens next, this state cannot be replayed.
    const finished = await this.store.db
      .updateTable('oauth_sessions')
      .set({ status: 'failed', finished_at: Date.now(), error_code: 'in_progress' })
      .where('id', '=', session.id)
      .where('status', '=', 'started')
      .executeTakeFirst();
    if (Number(finished.numUpdatedRows) !== 1) throw invalid();
    const who: Actor = { actor: `connect:${session.id}`, ip: options.as?.ip ?? null, requestId: options.as?.requestId ?? null };

    // A refused callback is an outcome (an OAuth error such as access_denied, or a Coffer code), not a thrown error.
    const fail = async (error: string): Promise<CallbackOutcome> => {
      await this.store.db.updateTable('oauth_sessions').set({ error_code: error }).where('id', '=', session.id).execute();
      await this.auditLog.append({ actor: who.actor, ip: who.ip ?? null, requestId: who.requestId ?? null, action: 'connection.authorize', tenant: session.tenant_id, target: session.connection_id ?? session.id, outcome: 'failure', code: error, details: { provider: session.provider } });
      return { redirectTo: withOutcome(session.return_url, { status: 'error', error }), status: 'error', connectionId: null, error };
    };
    if (session.expires_at <= Date.now()) return fail('session_expired');
    if (binding === undefined || session.binding_hash === null || hash(binding) !== session.binding_hash) return fail('browser_mismatch');

    const provider = this.catalog.get(session.provider);
    const settings = oauthSettings(provider);
    let config = JSON.parse(session.config) as Record<string, string>;
    let tokens: oauth.TokenEndpointResponse;
    let tokenOrigin: string;
    try {
      // A re-authorisation completes against the connection's stored config, whatever the session says.
      if (session.connection_id !== null) config = (await this.connections.get(session.tenant_id, session.connection_id)).config;
      const client = await findClientSettings(this.secrets, session.tenant_id, provider, this.options.globalTenant);
      const { as, client: c, auth, http } = endpointsFor(provider, config, client, this.options.outbound);
      tokenOrigin = new URL(as.token_endpoint!).origin;
      const params = new URLSearchParams(callbackUrl.searchParams);
      // `iss`, when present, must name the expected issuer (the declared one, else the token
      // endpoint's origin); a provider with issuerInCallback must send it (RFC 9207).
      const iss = params.get('iss');
      if (iss === null && settings.issuerInCallback) return fail('iss_missing');
      if (iss !== null && iss !== as.issuer) return fail('iss_mismatch');
      const validated = oauth.validateAuthResponse(as, c, params, state);
      const verifier = await this.openVerifier(session);
      const response = await oauth.authorizationCodeGrantRequest(as, c, auth, validated, redirectUri, settings.pkce ? verifier : oauth.nopkce, http);
      tokens = await oauth.processAuthorizationCodeResponse(as, c, response, { requireIdToken: false });
    } catch (err) {
      if (err instanceof CofferError) return fail(err.code);
      return fail(describeOAuthError(err).code);
    }
    let tokenSet = tokenSetFrom(tokens, { now: Date.now(), defaultExpiresIn: settings.defaultExpiresIn, validationSeconds: this.options.validationSeconds, tokenOrigin });
    if (session.connection_id !== null && tokenSet.refresh_token === undefined) {
      tokenSet = await this.keepRefreshToken(session.tenant_id, session.connection_id, provider, config, tokenSet);
    }
    const connectionId = await this.connections.storeAuthorization(
      session.tenant_id,
      provider,
      {
        connectionId: session.connection_id,
        displayName: session.display_name,
        config,
        tokens: tokenSet,
        onCommit: async (trx, id) => {
          await trx.updateTable('oauth_sessions').set({ status: 'completed', error_code: null, result_connection_id: id, verifier: null }).where('id', '=', session.id).execute();
        },
      },
      { as: who },
    );
    return { redirectTo: withOutcome(session.return_url, { status: 'connected', connection_id: connectionId }), status: 'connected', connectionId, error: null };
  }

  /**
   * A re-authorisation whose answer has no refresh token keeps the previous one only when it is
   * the same grant: the previous set came from the same token endpoint, and the provider's test
   * request with the new access token names the account the connection already recorded.
   * Otherwise the old refresh token (another account's, or another server's) is not carried over.
   */
  private async keepRefreshToken(tenant: string, connectionId: string, provider: ProviderDefinition, config: Record<string, string>, next: TokenSet): Promise<TokenSet> {
    try {
      const connection = await this.connections.get(tenant, connectionId);
      const previous = readTokenSet((await this.secrets.readValue(tenant, connection.secret.name)).value);
      if (previous.refresh_token === undefined || previous.token_origin === undefined || previous.token_origin !== next.token_origin) return next;
      if (connection.identifier === null || !provider.api.test?.identifierPath) return next;
      const check = await runTestRequest(provider, applyCredentials(provider, config, { access_token: next.access_token, token_type: next.token_type }), config, this.options.outbound);
      if (!check.ok || check.identifier !== connection.identifier) return next;
      return { ...next, refresh_token: previous.refresh_token };
    } catch {
      return next;
    }
  }

  /** The origins this tenant's connect sessions may return to; null when an admin set none. */
  async returnOrigins(tenant: string): Promise<string[] | null> {
    checkTenantId(tenant);
    const row = await this.store.db.selectFrom('tenants').select('connect_return_origins').where('id', '=', tenant).executeTakeFirst();
    if (!row) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
    return row.connect_return_origins ? (JSON.parse(row.connect_return_origins) as string[]) : null;
  }

  /**
   * Sets (or, with an empty list, clears) the origins connect sessions of `tenant` may return
   * to; audited as `tenant.return_origins.update` with the origins set (checked origins only).
   */
  async setReturnOrigins(tenant: string, origins: readonly string[], options: Acting = {}): Promise<string[]> {
    checkTenantId(tenant);
    return auditedChange(this.auditLog, options.as, { action: 'tenant.return_origins.update', tenant, target: tenant }, (audit) => this.setReturnOriginsAudited(tenant, origins, audit));
  }

  private async setReturnOriginsAudited(tenant: string, origins: readonly string[], audit: ChangeAudit): Promise<string[]> {
    const list = checkReturnOrigins(origins);
    await this.store.writeTransaction(async (trx) => {
      const result = await trx
        .updateTable('tenants')
        .set({ connect_return_origins: list.length === 0 ? null : JSON.stringify(list) })
        .where('id', '=', tenant)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
      await audit.within(trx, { details: { origins: list.join(' ') } });
    });
    return list;
  }

  private async openVerifier(session: OAuthSessionsTable): Promise<string> {
    if (!session.verifier) throw new CofferError('CONNECT_SESSION_INVALID', 'The connect session has no verifier.');
    const key = await this.keyring.tenantKey(session.tenant_id, readKeyId(session.verifier));
    return open(key, session.verifier, { purpose: 'oauth-session', tenant: session.tenant_id, secret: session.id, version: 1 }).toString('utf8');
  }
}

/** The return URL with `coffer_status` and the other outcome fields added to its query. */
function withOutcome(returnUrl: string, outcome: Record<string, string>): string {
  const url = new URL(returnUrl);
  for (const [k, v] of Object.entries(outcome)) url.searchParams.set(`coffer_${k}`, v);
  return url.toString();
}

export type { ProviderDefinition };
