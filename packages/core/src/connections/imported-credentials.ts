/** The credentials of a row that `coffer migrate legacy` imports, checked before its batch writes. */
import { CofferError } from '../errors.js';
import { tokenSetValue, type TokenSet } from '../oauth/token-set.js';
import type { ProviderDefinition } from '../providers/provider-schema.js';
import { MAX_VALUE_BYTES } from '../vault/values.js';
import { checkCredentials } from './connection-fields.js';

/**
 * What an imported row stores: the provider's credential fields, or for OAuth providers a token
 * set (access_token required; refresh_token, token_type, scope, expires_at optional — expires_at
 * in epoch seconds, epoch milliseconds or ISO 8601). A token without an expiry is re-validated
 * within the hour, like a token answer without expires_in.
 */
export function importedCredentials(provider: ProviderDefinition, input: Record<string, string>): Record<string, string | number | boolean> {
  if (provider.auth.mode !== 'oauth2' && provider.auth.mode !== 'oauth2_client_credentials') return checkCredentials(provider, input);
  const allowed = new Set(['access_token', 'refresh_token', 'token_type', 'scope', 'expires_at']);
  for (const k of Object.keys(input)) if (!allowed.has(k)) throw new CofferError('CONNECTION_INVALID', `credentials for OAuth provider "${provider.id}" take access_token, refresh_token, token_type, scope and expires_at; one field is none of these.`);
  const access = input.access_token;
  if (typeof access !== 'string' || access === '') throw new CofferError('CONNECTION_INVALID', 'credentials.access_token is required for an OAuth provider.');
  const set: TokenSet = { access_token: access, token_type: input.token_type && /^[A-Za-z]{1,20}$/.test(input.token_type) ? input.token_type : 'Bearer' };
  if (input.refresh_token) set.refresh_token = input.refresh_token;
  if (input.scope) set.scope = input.scope;
  const raw = input.expires_at;
  if (raw !== undefined && raw !== '') {
    const n = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(n)) throw new CofferError('CONNECTION_INVALID', 'credentials.expires_at must be epoch seconds, epoch milliseconds or an ISO 8601 date.');
    set.expires_at = /^\d+$/.test(raw) && n < 1e11 ? n * 1000 : n;
  } else {
    set.expires_at = Date.now() + 3600_000;
    set.expiry_assumed = true;
  }
  return tokenSetValue(set);
}

/**
 * An imported row's credentials fit one secret value (64 KiB in all, whatever the fields):
 * checked with the row's other checks, so that one oversized row fails alone instead of
 * rolling back its batch.
 */
export function checkImportedSize(credentials: Record<string, string | number | boolean>): void {
  const bytes = Buffer.byteLength(JSON.stringify(credentials), 'utf8');
  if (bytes > MAX_VALUE_BYTES) throw new CofferError('SECRET_VALUE_TOO_LARGE', `The credentials of one connection are limited to ${MAX_VALUE_BYTES} bytes in all; this row's have ${bytes}.`, { limit: MAX_VALUE_BYTES, size: bytes });
}
