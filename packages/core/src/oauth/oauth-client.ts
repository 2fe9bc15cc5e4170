/**
 * What oauth4webapi needs to talk to a provider: the authorization server (its endpoints, with
 * placeholders filled from the connection's config), the client, and how the client
 * authenticates. Client settings (client id and secret) are vault secrets: `oauth-client.<id>`
 * in the connection's tenant, or else in the tenant that holds the team's global clients.
 */
import * as oauth from 'oauth4webapi';
import { CofferError } from '../errors.js';
import { fillTemplate, type OAuthSettings, type ProviderDefinition } from '../providers/provider-schema.js';
import type { Secrets } from '../vault/secrets.js';

export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string | undefined;
  /** The tenant whose secret held them (the connection's own or the global one). */
  from: string;
}

export interface OAuthEndpoints {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  /** Options for every oauth4webapi request: plain http only for loopback stand-ins. */
  http: { [oauth.allowInsecureRequests]?: boolean; signal?: AbortSignal };
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
      value = (await secrets.reveal(from, name)).value;
    } catch (err) {
      if (err instanceof CofferError && (err.code === 'SECRET_NOT_FOUND' || err.code === 'TENANT_NOT_FOUND')) continue;
      throw err;
    }
    const v = value as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || typeof v.client_id !== 'string' || v.client_id === '') {
      throw new CofferError('CONNECTION_INVALID', `Secret "${name}" in tenant "${from}" must be a JSON object with client_id (and client_secret unless the provider takes none).`);
    }
    return { clientId: v.client_id, clientSecret: typeof v.client_secret === 'string' && v.client_secret !== '' ? v.client_secret : undefined, from };
  }
  throw new CofferError(
    'OAUTH_CLIENT_MISSING',
    `No OAuth client for provider "${provider.id}": store {"client_id":"…","client_secret":"…"} as secret "${name}" in tenant "${tenant}", or in tenant "${globalTenant}" for every tenant.`,
  );
}

const isLoopback = (url: string) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);

/** Builds the oauth4webapi objects for `provider` with the connection's `config`. */
export function endpointsFor(provider: ProviderDefinition, config: Record<string, string>, client: OAuthClientSettings): OAuthEndpoints {
  const settings = oauthSettings(provider);
  const fill = (template: string | undefined) => (template === undefined ? undefined : fillTemplate(template, config, true));
  const tokenEndpoint = fill(settings.tokenUrl)!;
  const authorizationEndpoint = fill(settings.authorizationUrl);
  const revocationEndpoint = fill(settings.revocationUrl);
  const as: oauth.AuthorizationServer = {
    // Without a declared issuer, the token endpoint's origin stands in; `iss` on a callback is then
    // checked only when the provider declares its issuer.
    issuer: settings.issuer ?? new URL(tokenEndpoint).origin,
    token_endpoint: tokenEndpoint,
    ...(authorizationEndpoint ? { authorization_endpoint: authorizationEndpoint } : {}),
    ...(revocationEndpoint ? { revocation_endpoint: revocationEndpoint } : {}),
  };
  const method = settings.tokenEndpointAuthMethod;
  if (method !== 'none' && client.clientSecret === undefined) {
    throw new CofferError('OAUTH_CLIENT_MISSING', `The OAuth client of provider "${provider.id}" needs a client_secret (token endpoint auth ${method}).`);
  }
  const auth = method === 'none' ? oauth.None() : method === 'client_secret_post' ? oauth.ClientSecretPost(client.clientSecret!) : oauth.ClientSecretBasic(client.clientSecret!);
  const insecure = [tokenEndpoint, authorizationEndpoint, revocationEndpoint].some((u) => u !== undefined && isLoopback(u));
  return {
    as,
    client: { client_id: client.clientId, token_endpoint_auth_method: method },
    auth,
    http: { ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}), signal: AbortSignal.timeout(15_000) },
  };
}

/**
 * An OAuth error from the provider, reduced to words safe to store and show: its error code
 * and HTTP status, never its description or body (which may quote a token).
 */
export function describeOAuthError(err: unknown): { code: string; message: string; invalidGrant: boolean } {
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
