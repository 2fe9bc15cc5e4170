/**
 * Typed client for the Coffer REST API, over `fetch`. No dependencies.
 *
 * @example
 * const coffer = new CofferClient({ url: 'http://127.0.0.1:8080', token: process.env.COFFER_TOKEN! });
 * const { value } = await coffer.secrets.reveal('acme', 'shopify_token');
 */

export type FieldValue = string | number | boolean | null;
export type SecretValue = string | Record<string, FieldValue>;
export type MaskedValue = string | Record<string, string> | null;
export type SecretType = 'generic' | 'api_key' | 'oauth2' | 'basic' | 'password' | 'webhook_secret' | 'private_key';
export type VersionState = 'active' | 'deleted' | 'destroyed';
export type Scope = 'secrets:read' | 'secrets:write' | 'secrets:reveal' | 'audit:read' | 'connections:read' | 'connections:write';
/** A token's scopes: tenant scopes, or `metrics:read`, which only a metrics token holds. */
export type TokenScope = Scope | 'metrics:read';
/** `admin` may do everything; `tenant` acts on one tenant; `metrics` reads /metrics and nothing else. */
export type TokenKind = 'admin' | 'tenant' | 'metrics';

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
  secretCount: number;
}
export interface SecretInfo {
  name: string;
  type: SecretType;
  metadata: Record<string, unknown>;
  currentVersion: number;
  state: VersionState;
  maxVersions: number;
  createdAt: string;
  updatedAt: string;
  masked: MaskedValue;
}
export interface SecretVersionInfo {
  version: number;
  state: VersionState;
  keyId: string | null;
  createdAt: string;
  deletedAt: string | null;
  destroyedAt: string | null;
  masked: MaskedValue;
}
export interface RevealedSecret {
  name: string;
  type: SecretType;
  version: number;
  value: SecretValue;
}
export interface PutOptions {
  type?: SecretType;
  metadata?: Record<string, unknown>;
  cas?: number;
  maxVersions?: number;
}
export interface PutResult {
  name: string;
  version: number;
  createdAt: string;
  /** Present when this write destroyed older versions because the secret keeps `maxVersions` (oldest first). */
  destroyedVersions?: number[];
}
export interface ApiToken {
  id: string;
  kind: TokenKind;
  tenant: string | null;
  scopes: TokenScope[];
  description: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}
export interface CreateTokenRequest {
  kind: TokenKind;
  tenant?: string;
  scopes?: TokenScope[];
  description?: string;
  ttlSeconds?: number;
}
export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  tenant: string | null;
  target: string | null;
  outcome: 'success' | 'failure' | 'denied';
  code: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, FieldValue>;
  hash: string;
}
/** `GET /v1/keys`: root, tenant and audit keys, and a root rotation in progress (null when none). */
export interface KeyStatus {
  rootKeyProvider: string;
  root: Record<string, unknown>[];
  tenants: Record<string, unknown>[];
  /** Audit key versions that MAC the audit chain (never a key). */
  audit: { version: number; current: boolean; rootKeyId: string; firstSeq: number; createdAt: string }[];
  rotation: {
    state: 'starting' | 'staged' | 'switched';
    owner: string | null;
    running: boolean;
    leaseUntil: string | null;
    fromKeyId: string | null;
    toKeyId: string | null;
  } | null;
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  target?: string;
  outcome?: 'success' | 'failure' | 'denied';
  since?: string;
  until?: string;
  cursor?: number;
  limit?: number;
}
export interface Page<T, C = string> {
  items: T[];
  nextCursor: C | null;
}
export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBroken: { seq: number; reason: string } | null;
  /** Runs of plain SHA-256 events (a log from before audit keys) and of events MACed under an audit key. */
  segments: Array<{ from: number; to: number; keyed: false } | { from: number; to: number; keyed: true; keyVersion: number }>;
}
/** A signed audit checkpoint, exactly as its file holds it: the chain head signed with Ed25519. */
export interface AuditCheckpoint {
  format: 'coffer-audit-checkpoint/1';
  /** The newest event covered (0: an empty log). */
  seq: number;
  hash: string;
  at: string;
  keyVersion: number;
  keyId: string;
  /** Base64 Ed25519 signature of the other fields (canonical JSON). */
  signature: string;
  /** Base64 raw public key; trust it only if it matches one you hold (`audit.publicKeys()`). */
  publicKey: string;
}
export interface AuditPublicKey {
  version: number;
  keyId: string;
  current: boolean;
  /** Raw 32 bytes, base64. */
  publicKey: string;
  /** SPKI PEM. */
  pem: string;
}
/** `POST /v1/audit/verify`: the log checked against a checkpoint. */
export interface CheckpointVerification {
  ok: boolean;
  reason: string | null;
  problems: string[];
  checkpoint: Omit<AuditCheckpoint, 'signature' | 'publicKey'>;
  signatureValid: boolean;
  /** Whether the checkpoint's key is this vault's audit key of its version. */
  vaultKey: boolean;
  /** Events 1 to this seq are proven unchanged since the checkpoint; null when not. */
  anchoredThrough: number | null;
  /** Events after the checkpoint. */
  unanchored: number;
  head: { seq: number; hash: string };
  chain: VerifyResult | null;
}

/** An error answered by the API, with its stable code (`CAS_MISMATCH`, `FORBIDDEN`, …). */
export type AuthMode = 'api_key' | 'basic' | 'oauth2' | 'oauth2_client_credentials' | 'custom';
export type ConnectionStatus = 'active' | 'error' | 'expired' | 'refresh_failed' | 'revoked';
export interface ProviderField {
  name: string;
  label: string;
  required: boolean;
  secret?: boolean;
  pattern?: string;
  description?: string;
  default?: string;
}
export interface Provider {
  id: string;
  name: string;
  description?: string;
  docs?: string;
  source: 'builtin' | 'custom';
  auth: { mode: AuthMode; fields: ProviderField[]; oauth?: Record<string, unknown> };
  config: ProviderField[];
  api: Record<string, unknown>;
}
export interface Connection {
  id: string;
  tenant: string;
  provider: string;
  displayName: string;
  authMode: AuthMode;
  status: ConnectionStatus;
  lastError: string | null;
  identifier: string | null;
  config: Record<string, string>;
  secret: { name: string; owned: boolean };
  /** Masked: never plaintext. */
  credentials: MaskedValue;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  lastRefreshedAt: string | null;
  expiresAt: string | null;
  /** The legacy row's key when `coffer migrate legacy` made the connection; null otherwise. */
  importKey: string | null;
}
export interface CreateConnectionRequest {
  provider: string;
  displayName?: string;
  config?: Record<string, string>;
  /** The provider's credential fields (api_key, basic, custom). */
  credentials?: Record<string, string>;
  /** Or the name of an existing secret of the tenant that holds them. */
  secret?: string;
}
export interface UpdateConnectionRequest {
  displayName?: string;
  config?: Record<string, string>;
  credentials?: Record<string, string>;
}
/** Credentials valid now, with the base URL, headers and query parameters that carry them. */
export interface UsableCredentials {
  connectionId: string;
  provider: string;
  authMode: AuthMode;
  values: Record<string, string>;
  baseUrl: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  expiresAt: string | null;
}
export interface ConnectionTestResult {
  ok: boolean;
  status: number | null;
  identifier: string | null;
  error: string | null;
  durationMs: number;
  connection: Connection;
}

export interface ConnectSessionRequest {
  provider: string;
  /** Where the browser returns, with coffer_status=connected&coffer_connection_id=… or coffer_status=error&coffer_error=…. */
  returnUrl: string;
  displayName?: string;
  config?: Record<string, string>;
  /** Re-authorise this connection instead of creating one. */
  connectionId?: string;
  scopes?: string[];
}
export interface ConnectSession {
  id: string;
  /** Send the user here; valid once, for ten minutes. */
  url: string;
  expiresAt: string;
}

export class CofferApiError extends Error {
  override readonly name = 'CofferApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait, when the server sent Retry-After (429). */
    readonly retryAfter?: number,
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
      const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const retry = res.headers.get('retry-after');
      throw new CofferApiError(res.status, err?.code ?? 'HTTP_ERROR', err?.message ?? `HTTP ${res.status}`, retry ? Number(retry) : undefined);
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
    create: (request: CreateTokenRequest) => this.request<ApiToken & { token: string }>('POST', '/v1/tokens', request),
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
    checkpoint: () => this.request<AuditCheckpoint & { file: string | null }>('POST', '/v1/audit/checkpoints'),
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
    delete: (tenant: string, id: string) => this.request<Connection>('DELETE', `/v1/tenants/${seg(tenant)}/connections/${seg(id)}`),
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
    returnOrigins: (tenant: string) => this.request<{ origins: string[] | null }>('GET', `/v1/tenants/${seg(tenant)}/connect/return-origins`),
    /** Replaces them with exact origins (`https://app.example.com`); an empty list clears them (admin token). */
    setReturnOrigins: (tenant: string, origins: string[]) => this.request<{ origins: string[] | null }>('PUT', `/v1/tenants/${seg(tenant)}/connect/return-origins`, { origins }),
  };

  /** Shorthand for `connections.getCredentials`: what an integration calls before each job. */
  getCredentials = (tenant: string, connectionId: string) => this.connections.getCredentials(tenant, connectionId);

  health = () => this.request<{ status: string }>('GET', '/healthz');
  /**
   * `ready`, `degraded` (still serving: the shared Redis failure counters are unreachable, see
   * `checks`) or, with status 503, `unavailable`.
   */
  ready = () => this.request<{ status: string; checks?: Record<string, string> }>('GET', '/readyz');
}
