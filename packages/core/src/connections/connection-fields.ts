/**
 * Checking what a caller gives for a connection against what its provider declares: config
 * fields (non-secret, stored with the connection) and credential fields (stored in the vault).
 * Errors name the field and the rule, never the value.
 */
import { CofferError } from '../errors.js';
import { compilePattern, type ConfigField, type CredentialField, type ProviderDefinition } from '../providers/provider-schema.js';
import { MAX_VALUE_BYTES } from '../vault/values.js';

/**
 * Config is stored on the connection row; credentials go to one secret, whose whole value is at
 * most 64 KiB (SECRET_VALUE_TOO_LARGE): a credential field alone may use all of it (a long JWT,
 * a PEM private key), so its own cap is only there to stop an absurd field early.
 */
const MAX_FIELD_CHARS = { config: 8192, credentials: MAX_VALUE_BYTES } as const;

function invalid(message: string): CofferError {
  return new CofferError('CONNECTION_INVALID', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFields(
  what: 'config' | 'credentials',
  provider: ProviderDefinition,
  declared: readonly (ConfigField | CredentialField)[],
  input: unknown,
  options: { partial: boolean },
): Record<string, string> {
  if (input === undefined) input = {};
  if (!isRecord(input)) throw invalid(`${what} must be a JSON object of text fields.`);
  const byName = new Map(declared.map((f) => [f.name, f]));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    const field = byName.get(name);
    // The unknown name is caller text; it is not repeated (it could be a pasted credential).
    if (!field) throw invalid(`${what} has a field provider "${provider.id}" does not declare; it takes: ${declared.map((f) => f.name).join(', ') || 'none'}.`);
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD_CHARS[what]) {
      throw invalid(`${what}.${name} must be non-empty text of at most ${MAX_FIELD_CHARS[what]} characters.`);
    }
    if (/[\u0000-\u001f\u007f]/.test(value) || !value.isWellFormed()) throw invalid(`${what}.${name} must not contain control characters.`);
    if (field.pattern && !compilePattern(field.pattern).test(value)) {
      throw invalid(`${what}.${name} does not have the form ${provider.name} uses (${field.label}).`);
    }
    out[name] = value;
  }
  if (!options.partial) {
    for (const field of declared) {
      if (out[field.name] !== undefined) continue;
      if ('default' in field && field.default !== undefined) out[field.name] = field.default;
      else if (field.required) throw invalid(`${what}.${field.name} (${field.label}) is required by provider "${provider.id}".`);
    }
  }
  return out;
}

/** The connection's non-secret config, complete with defaults. */
export function checkConfig(provider: ProviderDefinition, input: unknown): Record<string, string> {
  return checkFields('config', provider, provider.config, input, { partial: false });
}

/** A change to a connection's config, merged over the current values. */
export function mergeConfig(provider: ProviderDefinition, current: Record<string, string>, change: unknown): Record<string, string> {
  const partial = checkFields('config', provider, provider.config, change, { partial: true });
  return checkConfig(provider, { ...current, ...partial });
}

/** Credentials for api_key, basic and custom providers, complete. */
export function checkCredentials(provider: ProviderDefinition, input: unknown): Record<string, string> {
  if (provider.auth.mode === 'oauth2' || provider.auth.mode === 'oauth2_client_credentials') {
    throw invalid(`Provider "${provider.id}" uses OAuth: connect it through a connect session instead of sending credentials.`);
  }
  return checkFields('credentials', provider, provider.auth.fields, input, { partial: false });
}

/**
 * Credentials read back from a referenced vault secret: a string fits a provider with one
 * credential field; an object must have the declared fields.
 */
export function credentialsFromSecret(provider: ProviderDefinition, value: unknown, secretName: string): Record<string, string> {
  const fields = provider.auth.fields;
  const input = typeof value === 'string' && fields.length === 1 ? { [fields[0]!.name]: value } : value;
  try {
    return checkCredentials(provider, input);
  } catch (err) {
    if (err instanceof CofferError) throw invalid(`Secret "${secretName}" does not hold what provider "${provider.id}" needs: ${err.message}`);
    throw err;
  }
}
