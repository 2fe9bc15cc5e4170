/**
 * An OAuth token set as it is kept in the vault: one secret value (a flat JSON object), so a
 * rotated refresh token and its new access token are always written together, in one version.
 */
import type { TokenEndpointResponse } from 'oauth4webapi';
import { CofferError } from '../errors.js';

export interface TokenSet {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  scope?: string;
  /** Epoch milliseconds; absent only if the token set predates expiry tracking. */
  expires_at?: number;
  /** True when the provider gave no expires_in and `expires_at` is a validation horizon. */
  expiry_assumed?: boolean;
  /**
   * The origin of the token endpoint that issued the set. Its refresh token is only ever sent
   * back there, and a re-authorisation keeps it only if the new tokens come from there too.
   */
  token_origin?: string;
}

/**
 * The token set after a token response. `previous` is the set being refreshed: a response
 * without a refresh token keeps the previous one (many providers rotate only sometimes).
 */
export function tokenSetFrom(
  response: TokenEndpointResponse,
  options: { now: number; defaultExpiresIn?: number | undefined; previous?: TokenSet | undefined; validationSeconds: number; tokenOrigin: string },
): TokenSet {
  const set: TokenSet = { access_token: response.access_token, token_type: response.token_type === 'bearer' ? 'Bearer' : String(response.token_type), token_origin: options.tokenOrigin };
  const refresh = response.refresh_token ?? options.previous?.refresh_token;
  if (refresh) set.refresh_token = refresh;
  const scope = response.scope ?? options.previous?.scope;
  if (scope) set.scope = scope;
  if (typeof response.expires_in === 'number' && Number.isFinite(response.expires_in) && response.expires_in > 0) {
    set.expires_at = options.now + response.expires_in * 1000;
  } else {
    // No expires_in: never eternal. The provider's documented lifetime if it has one, otherwise
    // a horizon after which the token is refreshed or re-validated.
    set.expires_at = options.now + (options.defaultExpiresIn ?? options.validationSeconds) * 1000;
    set.expiry_assumed = true;
  }
  return set;
}

export function readTokenSet(value: unknown): TokenSet {
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || typeof v.access_token !== 'string' || typeof v.token_type !== 'string') {
    throw new CofferError('CONNECTION_INVALID', 'The connection\'s secret does not hold an OAuth token set; reconnect it.');
  }
  const set: TokenSet = { access_token: v.access_token, token_type: v.token_type };
  if (typeof v.refresh_token === 'string') set.refresh_token = v.refresh_token;
  if (typeof v.scope === 'string') set.scope = v.scope;
  if (typeof v.expires_at === 'number') set.expires_at = v.expires_at;
  if (v.expiry_assumed === true) set.expiry_assumed = true;
  if (typeof v.token_origin === 'string') set.token_origin = v.token_origin;
  return set;
}

/** The vault value of a token set (flat JSON of strings, numbers and booleans). */
export function tokenSetValue(set: TokenSet): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
}
