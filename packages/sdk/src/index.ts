/**
 * Typed client for the Coffer REST API, over `fetch`. No dependencies.
 *
 * @example
 * const coffer = new CofferClient({ url: 'http://127.0.0.1:8080', token: process.env.COFFER_TOKEN! });
 * const { value } = await coffer.secrets.reveal('acme', 'shopify_token');
 */

import type { components, operations } from './generated/api.js';

/** The API's shapes, by name, as the contract defines them (generated: src/generated/api.ts). */
export type Schemas = components['schemas'];
export type { components, operations, paths } from './generated/api.js';

export type FieldValue = string | number | boolean | null;
export type SecretValue = Schemas['SecretValue'];
export type MaskedValue = Schemas['MaskedValue'];
export type SecretType = Schemas['SecretType'];
export type VersionState = Schemas['VersionState'];
/** A tenant scope. */
export type Scope = Exclude<Schemas['TokenScope'], 'metrics:read'>;
/** A token's scopes: tenant scopes, or `metrics:read`, which only a metrics token holds. */
export type TokenScope = Schemas['TokenScope'];
/** `admin` may do everything; `tenant` acts on one tenant; `metrics` reads /metrics and nothing else. */
export type TokenKind = Schemas['TokenKind'];
/** Every error code the API answers (the README's table says what each means). */
export type ApiErrorCode = Schemas['ErrorCode'];

export type Tenant = Schemas['Tenant'];
export type SecretInfo = Schemas['SecretInfo'];
export type SecretVersionInfo = Schemas['SecretVersionInfo'];
export type RevealedSecret = Schemas['RevealedSecret'];
export type PutOptions = Omit<Schemas['PutSecretRequest'], 'value'>;
export type PutResult = Schemas['PutSecretResult'];
export type ApiToken = Schemas['ApiToken'];
export type CreatedToken = Schemas['CreatedToken'];
export type CreateTokenRequest = Schemas['CreateTokenRequest'];
export type AuditEvent = Schemas['AuditEvent'];
/** `GET /v1/keys`: root, tenant and audit keys, and a root rotation in progress (null when none). */
export type KeyStatus = Schemas['KeyStatus'];
export type AuditQuery = NonNullable<operations['listAuditEvents']['parameters']['query']>;
export interface Page<T, C = string> {
  items: T[];
  nextCursor: C | null;
}
export type VerifyResult = Schemas['ChainVerification'];
/** A signed audit checkpoint, exactly as its file holds it: the chain head signed with Ed25519. */
export type AuditCheckpoint = Schemas['SignedCheckpoint'];
export type WrittenCheckpoint = Schemas['WrittenCheckpoint'];
export type AuditPublicKey = Schemas['AuditPublicKey'];
/** `POST /v1/audit/verify`: the log checked against a checkpoint. */
export type CheckpointVerification = Schemas['CheckpointVerification'];

export type AuthMode = Schemas['AuthMode'];
export type ConnectionStatus = Schemas['ConnectionStatus'];
export type Provider = Schemas['Provider'];
export type Connection = Schemas['Connection'];
export type DeletedConnection = Schemas['DeletedConnection'];
export type CreateConnectionRequest = Schemas['CreateConnectionRequest'];
export type UpdateConnectionRequest = Schemas['UpdateConnectionRequest'];
/** Credentials valid now, with the base URL, headers and query parameters that carry them. */
export type UsableCredentials = Schemas['UsableCredentials'];
export type ConnectionTestResult = Schemas['ConnectionTestResult'];
export type ConnectSessionRequest = Schemas['ConnectSessionRequest'];
export type ConnectSession = Schemas['ConnectSession'];
export type ReturnOrigins = Schemas['ReturnOrigins'];
export type Readiness = Schemas['Readiness'];

/** An error answered by the API, with its stable code (`CAS_MISMATCH`, `FORBIDDEN`, …). */
export class CofferApiError extends Error {
  override readonly name = 'CofferApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait, when the server sent Retry-After (429). */
    readonly retryAfter?: number,
    /** With CAS_MISMATCH: the secret's current version (0: it does not exist). */
    readonly currentVersion?: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** An API token, `cfr_…`. */
  token?: string;
  /** A fetch implementation; default the global one. */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

const seg = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}

export class CofferClient {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends a request and returns the parsed JSON body; throws CofferApiError for error answers. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchImpl(`${this.base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = (parsed as Partial<Schemas['ErrorBody']> | undefined)?.error;
      const retry = res.headers.get('retry-after');
      throw new CofferApiError(res.status, err?.code ?? 'HTTP_ERROR', err?.message ?? `HTTP ${res.status}`, retry ? Number(retry) : undefined, err?.currentVersion);
    }
    return parsed as T;
  }

  readonly tenants = {
    create: (id: string, options: { name?: string } = {}) => this.request<Tenant>('POST', '/v1/tenants', { id, ...options }),
    list: async () => (await this.request<{ items: Tenant[] }>('GET', '/v1/tenants')).items,
    delete: (id: string) => this.request<{ id: string; deleted: true }>('DELETE', `/v1/tenants/${seg(id)}`),
  };

  readonly tokens = {
    /** The returned `token` is shown once; store it safely. */
    create: (request: CreateTokenRequest) => this.request<CreatedToken>('POST', '/v1/tokens', request),
    list: async (filter: { tenant?: string } = {}) => (await this.request<{ items: ApiToken[] }>('GET', `/v1/tokens${query(filter)}`)).items,
    revoke: (id: string) => this.request<ApiToken>('DELETE', `/v1/tokens/${seg(id)}`),
  };

  readonly secrets = {
    list: (tenant: string, options: { limit?: number; cursor?: string } = {}) => this.request<Page<SecretInfo>>('GET', `/v1/tenants/${seg(tenant)}/secrets${query(options)}`),
    put: (tenant: string, name: string, value: SecretValue, options: PutOptions = {}) =>
      this.request<PutResult>('PUT', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}`, { value, ...options }),
    get: (tenant: string, name: string) => this.request<SecretInfo>('GET', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}`),
    reveal: (tenant: string, name: string, options: { version?: number } = {}) =>
      this.request<RevealedSecret>('POST', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}/reveal`, options),
    versions: async (tenant: string, name: string) => (await this.request<{ items: SecretVersionInfo[] }>('GET', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}/versions`)).items,
    delete: (tenant: string, name: string, options: { version?: number } = {}) =>
      this.request<{ name: string; versions: number[] }>('DELETE', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}${query(options)}`),
    undelete: (tenant: string, name: string, versions: number[]) =>
      this.request<{ name: string; versions: number[] }>('POST', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}/undelete`, { versions }),
    destroy: (tenant: string, name: string, versions: number[]) =>
      this.request<{ name: string; versions: number[] }>('POST', `/v1/tenants/${seg(tenant)}/secrets/${seg(name)}/destroy`, { versions }),
  };

  readonly keys = {
    rotate: (tenant: string) => this.request<{ keyId: string; version: number }>('POST', `/v1/tenants/${seg(tenant)}/keys/rotate`),
    rewrap: (tenant: string) => this.request<{ tenant: string; keyId: string; rewrapped: number }>('POST', `/v1/tenants/${seg(tenant)}/keys/rewrap`),
    status: () => this.request<KeyStatus>('GET', '/v1/keys'),
  };

  readonly audit = {
    list: (tenant: string, q: AuditQuery = {}) => this.request<Page<AuditEvent, number>>('GET', `/v1/tenants/${seg(tenant)}/audit${query({ ...q })}`),
    verify: () => this.request<VerifyResult>('GET', '/v1/audit/verify'),
    /** Signs a checkpoint of the chain head now (admin); `file` is where the server wrote it, if it has a checkpoint directory. */
    checkpoint: () => this.request<WrittenCheckpoint>('POST', '/v1/audit/checkpoints'),
    /** The public keys that check checkpoints, one per audit key version (admin). */
    publicKeys: async () => (await this.request<{ items: AuditPublicKey[] }>('GET', '/v1/audit/public-keys')).items,
    /** Verifies the log against a checkpoint (the file's JSON, or what `checkpoint()` returned) (admin). */
    verifyCheckpoint: (checkpoint: AuditCheckpoint & { file?: string | null }) => {
      // The route takes the checkpoint exactly; `file` is where one server wrote it, not part of it.
      const { file: _file, ...body } = checkpoint;
      return this.request<CheckpointVerification>('POST', '/v1/audit/verify', body);
    },
  };

  readonly providers = {
    list: async () => (await this.request<{ items: Provider[] }>('GET', '/v1/providers')).items,
    get: (id: string) => this.request<Provider>('GET', `/v1/providers/${seg(id)}`),
  };

  readonly connections = {
    create: (tenant: string, request: CreateConnectionRequest) => this.request<Connection>('POST', `/v1/tenants/${seg(tenant)}/connections`, request),
    list: (tenant: string, options: { limit?: number; cursor?: string } = {}) => this.request<Page<Connection>>('GET', `/v1/tenants/${seg(tenant)}/connections${query(options)}`),
    get: (tenant: string, id: string) => this.request<Connection>('GET', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}`),
    update: (tenant: string, id: string, change: UpdateConnectionRequest) => this.request<Connection>('PATCH', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}`, change),
    delete: (tenant: string, id: string) => this.request<DeletedConnection>('DELETE', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}`),
    test: (tenant: string, id: string) => this.request<ConnectionTestResult>('POST', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}/test`),
    /**
     * Refresh an OAuth connection's token at the provider now, whatever its expiry; concurrent calls share one request.
     * The answer carries the new `expiresAt`.
     */
    refresh: (tenant: string, id: string) => this.request<Connection>('POST', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}/refresh`),
    /** Credentials valid now (needs `secrets:reveal`; audited). */
    getCredentials: (tenant: string, id: string) => this.request<UsableCredentials>('POST', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}/credentials`, {}),
  };

  readonly connect = {
    /** A single-use link that takes the user through the provider's consent (OAuth authorization code with PKCE). */
    createSession: (tenant: string, request: ConnectSessionRequest) => this.request<ConnectSession>('POST', `/v1/tenants/${seg(tenant)}/connect/sessions`, request),
    /** Origins the tenant's connect sessions may return to; null: only Coffer's own public origin (admin token). */
    returnOrigins: (tenant: string) => this.request<ReturnOrigins>('GET', `/v1/tenants/${seg(tenant)}/connect/return-origins`),
    /** Replaces them with exact origins (`https://app.example.com`); an empty list clears them (admin token). */
    setReturnOrigins: (tenant: string, origins: string[]) => this.request<ReturnOrigins>('PUT', `/v1/tenants/${seg(tenant)}/connect/return-origins`, { origins }),
  };

  /** Shorthand for `connections.getCredentials`: what an integration calls before each job. */
  getCredentials = (tenant: string, connectionId: string) => this.connections.getCredentials(tenant, connectionId);

  health = () => this.request<Schemas['Health']>('GET', '/healthz');
  /**
   * `ready`, `degraded` (still serving: the shared Redis failure counters are unreachable, see
   * `checks`) or, with status 503, `unavailable`.
   */
  ready = () => this.request<Readiness>('GET', '/readyz');
}
