/**
 * What oauth4webapi needs to talk to a provider: the authorization server (its endpoints, with
 * placeholders filled from the connection's config), the client, and how the client
 * authenticates. Client settings (client id and secret) are vault secrets: `oauth-client.<id>`
 * in the connection's tenant, or else in the tenant that holds the team's global clients.
 */
import * as oauth from 'oauth4webapi';
import { CofferError } from '../errors.js';
import { placeholders, type OAuthSettings, type ProviderDefinition } from '../providers/provider-schema.js';
import { fillProviderUrl, hostMatches, shownHost } from '../providers/host-binding.js';
import type { Secrets } from '../vault/secrets.js';
import type { Outbound } from '../outbound/http.js';

export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string | undefined;
  /** The tenant whose secret held them (the connection's own or the global one). */
  from: string;
  /**
   * Origins this client's secret and the tokens it obtains may be sent to: exact origins
   * (`https://login.example.com`, with a port if not the default) or `*.suffix` host wildcards
   * (https only, matched at a dot boundary). Default: the origins of the provider's endpoints
   * that have no placeholder, plus the hosts of its `allowedHosts` unless that is `*`.
   */
  allowedOrigins: readonly string[];
}

export interface OAuthEndpoints {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  /**
   * Options for every oauth4webapi request: every byte goes through the outbound layer (address
   * checks, no redirects, timeouts, a 64 KiB cap on answers); plain http only for hosts the
   * operator allowlisted (COFFER_OUTBOUND_ALLOW).
   */
  http: { [oauth.customFetch]: Outbound['fetch']; [oauth.allowInsecureRequests]?: boolean };
}

/** The name of the secret that holds a provider's OAuth client. */
export const oauthClientSecretName = (providerId: string) => `oauth-client.${providerId}`;

export function oauthSettings(provider: ProviderDefinition): OAuthSettings {
  const settings = provider.auth.oauth;
  if (!settings) throw new CofferError('CONNECTION_INVALID', `Provider "${provider.id}" does not use OAuth.`);
  return settings;
}

/** Looks up the client settings: the tenant's own first, then the global tenant's. */
export async function findClientSettings(secrets: Secrets, tenant: string, provider: ProviderDefinition, globalTenant: string): Promise<OAuthClientSettings> {
  const name = oauthClientSecretName(provider.id);
  for (const from of tenant === globalTenant ? [tenant] : [tenant, globalTenant]) {
    let value: unknown;
    try {
      value = (await secrets.readValue(from, name)).value;
    } catch (err) {
      if (err instanceof CofferError && (err.code === 'SECRET_NOT_FOUND' || err.code === 'TENANT_NOT_FOUND')) continue;
      throw err;
    }
    const v = value as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || typeof v.client_id !== 'string' || v.client_id === '') {
      throw new CofferError('CONNECTION_INVALID', `Secret "${name}" in tenant "${from}" must be a JSON object with client_id (and client_secret unless the provider takes none).`);
    }
    // A client credentials grant with another tenant's (the global) client would hand this tenant
    // the product's own app token: only a record that says `share_client_credentials` allows it.
    const shared = v.share_client_credentials === true || v.share_client_credentials === 'true';
    if (provider.auth.mode === 'oauth2_client_credentials' && from !== tenant && !shared) {
      throw new CofferError(
        'OAUTH_CLIENT_MISSING',
        `Provider "${provider.id}" uses the client credentials grant, and the OAuth client of tenant "${from}" is not shared for it: store the tenant's own client as secret "${name}" in tenant "${tenant}", or set "share_client_credentials": true on the shared client if every tenant may act as the product's own app.`,
      );
    }
    return {
      clientId: v.client_id,
      clientSecret: typeof v.client_secret === 'string' && v.client_secret !== '' ? v.client_secret : undefined,
      from,
      allowedOrigins: v.allowed_origins === undefined ? defaultAllowedOrigins(provider) : parseAllowedOrigins(v.allowed_origins, name, from),
    };
  }
  throw new CofferError(
    'OAUTH_CLIENT_MISSING',
    `No OAuth client for provider "${provider.id}": store {"client_id":"…","client_secret":"…"} as secret "${name}" in tenant "${tenant}", or in tenant "${globalTenant}" for every tenant.`,
  );
}

/**
 * `allowed_origins` of a client record: a list of exact origins or `*.suffix` wildcards. The
 * record is written by whoever holds secrets:write on its tenant (the admin, for `global`).
 */
function parseAllowedOrigins(value: unknown, name: string, from: string): string[] {
  const bad = () => new CofferError('CONNECTION_INVALID', `Secret "${name}" in tenant "${from}": allowed_origins must be a list of origins (https://host[:port]) or *.suffix wildcards.`);
  // Secret values are flat, so the list is usually text: space- or comma-separated, or a JSON array.
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = value.trim().startsWith('[') ? JSON.parse(value) : value.split(/[\s,]+/).filter((s) => s !== '');
    } catch {
      throw bad();
    }
  }
  if (!Array.isArray(list) || list.length > 200) throw bad();
  return list.map((entry) => {
    if (typeof entry !== 'string') throw bad();
    const wildcard = /^(?:https:\/\/)?\*\.((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63})$/.exec(entry.toLowerCase());
    if (wildcard) return `*.${wildcard[1]}`;
    const url = exactOrigin(entry);
    if (!url) throw bad();
    return url.origin;
  });
}

/** `text` parsed when it is exactly an http(s) origin (scheme, host, optional port; no path or credentials). */
export function exactOrigin(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const ok = (url.protocol === 'https:' || url.protocol === 'http:') && text.replace(/\/+$/, '').toLowerCase() === url.origin;
  return ok ? url : undefined;
}

/** Origins of the provider's fixed endpoints, plus its allowed hosts (over https) unless they are `*`. */
export function defaultAllowedOrigins(provider: ProviderDefinition): string[] {
  const settings = oauthSettings(provider);
  const origins = new Set<string>();
  for (const template of [settings.authorizationUrl, settings.tokenUrl, settings.revocationUrl]) {
    if (template === undefined || placeholders(template).length > 0) continue;
    origins.add(new URL(template).origin);
  }
  for (const host of provider.allowedHosts ?? []) {
    if (host === '*') continue;
    origins.add(host.startsWith('*.') ? host : `https://${host}`);
  }
  return [...origins];
}

/** Whether `url`'s origin is on `allowed` (exact origins, or https hosts under a `*.suffix`). */
export function originAllowed(url: URL, allowed: readonly string[]): boolean {
  return allowed.some((entry) => (entry.startsWith('*.') ? url.protocol === 'https:' && url.port === '' && hostMatches(url.hostname.toLowerCase(), entry) : url.origin === entry));
}


/** Builds the oauth4webapi objects for `provider` with the connection's `config`. */
export function endpointsFor(provider: ProviderDefinition, config: Record<string, string>, client: OAuthClientSettings, outbound: Outbound): OAuthEndpoints {
  const settings = oauthSettings(provider);
  // Each filled URL is checked against the provider's hosts, then against the client's origins:
  // the client secret and the connection's tokens are never sent anywhere else.
  const fill = (template: string | undefined) => {
    if (template === undefined) return undefined;
    const url = fillProviderUrl(provider, template, config);
    if (!originAllowed(new URL(url), client.allowedOrigins)) {
      const shown = shownHost(new URL(url).hostname);
      throw new CofferError(
        'OAUTH_ORIGIN_NOT_ALLOWED',
        `The OAuth client of provider "${provider.id}" (secret ${oauthClientSecretName(provider.id)} in tenant "${client.from}") may not be used with that server${shown}: add its origin to the client's allowed_origins if it is yours.`,
      );
    }
    return url;
  };
  const tokenEndpoint = fill(settings.tokenUrl)!;
  const authorizationEndpoint = fill(settings.authorizationUrl);
  const revocationEndpoint = fill(settings.revocationUrl);
  const as: oauth.AuthorizationServer = {
    // Without a declared issuer, the token endpoint's origin stands in: a callback's `iss`, when
    // present, must equal it (a mix-up defence, RFC 9207).
    issuer: settings.issuer ?? new URL(tokenEndpoint).origin,
    authorization_response_iss_parameter_supported: settings.issuerInCallback,
    token_endpoint: tokenEndpoint,
    ...(authorizationEndpoint ? { authorization_endpoint: authorizationEndpoint } : {}),
    ...(revocationEndpoint ? { revocation_endpoint: revocationEndpoint } : {}),
  };
  const method = settings.tokenEndpointAuthMethod;
  if (method !== 'none' && client.clientSecret === undefined) {
    throw new CofferError('OAUTH_CLIENT_MISSING', `The OAuth client of provider "${provider.id}" needs a client_secret (token endpoint auth ${method}).`);
  }
  const auth = method === 'none' ? oauth.None() : method === 'client_secret_post' ? oauth.ClientSecretPost(client.clientSecret!) : oauth.ClientSecretBasic(client.clientSecret!);
  const insecure = [tokenEndpoint, authorizationEndpoint, revocationEndpoint].some((u) => u !== undefined && u.startsWith('http:') && outbound.allowsHttp(u));
  return {
    as,
    client: { client_id: client.clientId, token_endpoint_auth_method: method },
    auth,
    http: { [oauth.customFetch]: outbound.fetch, ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}) },
  };
}

/**
 * An OAuth error from the provider, reduced to words safe to store and show: its error code
 * and HTTP status, never its description or body (which may quote a token).
 */
export function describeOAuthError(err: unknown): { code: string; message: string; invalidGrant: boolean } {
  // The outbound layer's refusals and failures name the host and a reason, never a body or a token.
  if (err instanceof CofferError && err.code.startsWith('OUTBOUND_')) return { code: err.code.toLowerCase(), message: err.message.replace(/\.$/, ''), invalidGrant: false };
  if (err instanceof oauth.ResponseBodyError) {
    const code = /^[a-z_]{1,64}$/.test(err.error) ? err.error : 'error';
    return { code, message: `the provider answered ${err.status} ${code}`, invalidGrant: code === 'invalid_grant' };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // A 401 with a challenge (a refused client secret, typically): the code is in its parameters.
    const raw = err.cause[0]?.parameters.error ?? 'invalid_client';
    const code = /^[a-z_]{1,64}$/.test(raw) ? raw : 'invalid_client';
    return { code, message: `the provider answered ${err.status} ${code}`, invalidGrant: code === 'invalid_grant' };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    const code = /^[a-z_]{1,64}$/.test(err.error) ? err.error : 'error';
    return { code, message: `the provider returned ${code}`, invalidGrant: false };
  }
  const cause = (err as { cause?: { code?: string } }).cause;
  if ((err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError') return { code: 'timeout', message: 'the provider did not answer in time', invalidGrant: false };
  if (cause?.code) return { code: 'network', message: `the provider could not be reached (${cause.code})`, invalidGrant: false };
  if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError) {
    // An unexpected status (a 503 during an outage, say) comes with the response as its cause.
    const status = (err as { cause?: unknown }).cause instanceof Response ? ((err as { cause: Response }).cause.status) : undefined;
    if (status !== undefined && status !== 200) return { code: `http_${status}`, message: `the provider answered ${status}`, invalidGrant: false };
    return { code: 'invalid_response', message: 'the provider answered with something that is not a valid OAuth response', invalidGrant: false };
  }
  return { code: 'error', message: 'the request to the provider failed', invalidGrant: false };
}
