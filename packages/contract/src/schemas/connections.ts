/** Providers, connections and connect sessions as the API shows them. */
import { z } from 'zod';
import { AuthMode, ConfigFields, ConnectionStatus, MaskedValue, ProviderId, SecretName, Timestamp } from './common.js';

const ProviderFieldBase = z.object({ name: z.string(), label: z.string(), required: z.boolean(), pattern: z.string().optional(), description: z.string().optional() });
export const ProviderCredentialField = ProviderFieldBase.extend({
  secret: z.boolean().meta({ description: 'Whether a form should hide the input; every credential field is stored in the vault and masked either way.' }),
}).meta({ id: 'ProviderCredentialField' });
export const ProviderConfigField = ProviderFieldBase.extend({ default: z.string().optional() }).meta({ id: 'ProviderConfigField' });

export const ProviderOAuth = z
  .object({
    authorizationUrl: z.string().optional(),
    tokenUrl: z.string(),
    revocationUrl: z.string().optional(),
    issuer: z.string().optional(),
    issuerInCallback: z.boolean(),
    scopes: z.array(z.string()),
    scopeSeparator: z.string(),
    pkce: z.boolean(),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']),
    defaultExpiresIn: z.number().int().optional(),
    refreshBufferSeconds: z.number().int(),
    authorizationParams: z.record(z.string(), z.string()),
  })
  .meta({ id: 'ProviderOAuth', description: 'How Coffer runs OAuth with the provider. URLs may hold `{config_field}` placeholders.' });

export const ProviderApi = z
  .object({
    baseUrl: z.string(),
    inject: z
      .object({ headers: z.record(z.string(), z.string()), query: z.record(z.string(), z.string()) })
      .meta({ description: 'How a credential goes on a request: header and query templates with `{field}` placeholders.' }),
    test: z.object({ method: z.enum(['GET', 'POST', 'HEAD']), path: z.string(), expectStatus: z.number().int(), identifierPath: z.string().optional() }).optional(),
    rateLimit: z.object({ requests: z.number().int(), perSeconds: z.number().int() }).optional().meta({ description: 'Advisory: the provider\'s limit, not enforced by Coffer.' }),
  })
  .meta({ id: 'ProviderApi' });

export const Provider = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    docs: z.string().optional(),
    source: z.enum(['builtin', 'custom']),
    auth: z.object({ mode: AuthMode, fields: z.array(ProviderCredentialField), oauth: ProviderOAuth.optional() }).meta({ id: 'ProviderAuth' }),
    config: z.array(ProviderConfigField),
    allowedHosts: z.array(z.string()).optional().meta({ description: 'Hosts a URL filled from a template may reach: exact, `*.suffix`, or `*`.' }),
    api: ProviderApi,
  })
  .meta({ id: 'Provider' });

export const Connection = z
  .object({
    id: z.string(),
    tenant: z.string(),
    provider: z.string(),
    displayName: z.string(),
    authMode: AuthMode,
    status: ConnectionStatus,
    lastError: z.string().nullable(),
    identifier: z.string().nullable().meta({ description: 'The remote account id the provider reported.' }),
    config: z.record(z.string(), z.string()),
    secret: z.object({ name: z.string(), owned: z.boolean() }),
    credentials: MaskedValue,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastUsedAt: Timestamp.nullable(),
    lastRefreshedAt: Timestamp.nullable(),
    expiresAt: Timestamp.nullable(),
    importKey: z.string().nullable().meta({ description: 'The legacy row\'s key when `coffer migrate legacy` made the connection.' }),
  })
  .meta({ id: 'Connection', description: 'A connection; its credentials masked.' });

export const DeletedConnection = Connection.extend({
  revocation: z.enum(['revoked', 'not_supported', 'failed']).meta({
    description: 'What became of the tokens at the provider: `revoked`, `not_supported` (no revocation endpoint, or not OAuth), or `failed` (the delete went ahead anyway).',
  }),
}).meta({ id: 'DeletedConnection' });

/** Config fields are short; a credential field may fill its secret's 64 KiB (core checks the whole value). */
const CredentialFields = z.record(z.string().max(64), z.string().max(64 * 1024));

export const CreateConnectionRequest = z
  .object({
    provider: ProviderId,
    displayName: z.string().max(200).optional(),
    config: ConfigFields.optional(),
    credentials: CredentialFields.optional().meta({ description: 'The fields the provider declares (api_key, basic, custom).' }),
    secret: SecretName.optional().meta({ description: 'Or an existing secret of the tenant that holds them (needs `secrets:reveal` too).' }),
  })
  .strict()
  .meta({ id: 'CreateConnectionRequest', examples: [{ provider: 'takealot', displayName: 'Acme on Takealot', credentials: { api_key: 'tk_0123456789' } }] });

export const UpdateConnectionRequest = z
  .object({ displayName: z.string().max(200).optional(), config: ConfigFields.optional(), credentials: CredentialFields.optional() })
  .strict()
  .meta({ id: 'UpdateConnectionRequest' });

export const ConnectionTestResult = z
  .object({
    ok: z.boolean(),
    status: z.number().int().nullable(),
    identifier: z.string().nullable(),
    error: z.string().nullable(),
    durationMs: z.number(),
    connection: Connection,
  })
  .meta({ id: 'ConnectionTestResult' });

export const UsableCredentials = z
  .object({
    connectionId: z.string(),
    provider: z.string(),
    authMode: AuthMode,
    values: z.record(z.string(), z.string()),
    baseUrl: z.string(),
    headers: z.record(z.string(), z.string()),
    query: z.record(z.string(), z.string()),
    expiresAt: Timestamp.nullable(),
  })
  .meta({ id: 'UsableCredentials', description: 'Plaintext credentials valid now, with the base URL, headers and query parameters that carry them.' });

export const CredentialsRequest = z.object({}).strict().meta({ id: 'CredentialsRequest' });

export const ConnectSessionRequest = z
  .object({
    provider: ProviderId,
    displayName: z.string().max(200).optional(),
    config: ConfigFields.optional(),
    connectionId: z.string().max(64).optional().meta({ description: 'Re-authorise this connection instead of creating one.' }),
    returnUrl: z.string().max(2000),
    scopes: z.array(z.string().max(200)).max(100).optional(),
  })
  .strict()
  .meta({ id: 'ConnectSessionRequest', examples: [{ provider: 'xero', returnUrl: 'https://app.example.com/integrations/done' }] });

export const ConnectSession = z
  .object({ id: z.string(), url: z.string().meta({ description: 'Send the user here; valid once, for ten minutes.' }), expiresAt: Timestamp })
  .meta({ id: 'ConnectSession' });

export const ReturnOrigins = z
  .object({ origins: z.array(z.string()).nullable().meta({ description: 'Null when none is set: then only Coffer\'s own public origin is allowed.' }) })
  .meta({ id: 'ReturnOrigins' });
export const SetReturnOriginsRequest = z.object({ origins: z.array(z.string().max(300)).max(100) }).strict().meta({ id: 'SetReturnOriginsRequest' });
