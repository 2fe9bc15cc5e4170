/**
 * A real OAuth 2.0 / OpenID Connect authorization server on loopback for integration tests,
 * built on oidc-provider (v9). One confidential client; the authorization-code flow with PKCE
 * (S256, required), refresh tokens (rotated or not), client credentials and revocation. The
 * end-user side is oidc-provider's own development login and consent forms, which `authorize()`
 * drives over HTTP like a browser would. Everything lives in memory and dies with `close()`.
 *
 * What a client of this server sees (oidc-provider behaviour, not choices made here):
 * - the authorization response carries `iss` (RFC 9207) next to `code` and `state`; errors
 *   (access_denied on denial) come back the same way, as query parameters on the redirect_uri;
 * - access tokens are opaque; token responses carry access_token, token_type "Bearer",
 *   expires_in and scope, plus refresh_token for the code and refresh grants (and id_token when
 *   `openid` was asked for);
 * - a refresh without rotation answers with the same refresh_token value it was given;
 * - presenting an already rotated refresh token again is treated as theft: invalid_grant, and
 *   the whole grant is revoked, so the refresh token that replaced it stops working too;
 * - the issuer is plain http, so oauth4webapi needs `allowInsecureRequests` on every call.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcServer {
  readonly issuer: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly client: { id: string; secret: string };
  /** Token endpoint requests seen, by grant_type ('authorization_code' | 'refresh_token' | 'client_credentials'), counting failures too. */
  readonly tokenRequests: { grantType: string; ok: boolean; error?: string }[];
  /** Revocation requests seen. */
  readonly revocations: number;
  /**
   * Drives the authorization request at `url` like a user in a browser would: follows redirects
   * inside the server, logs in as `account` and grants consent through oidc-provider's built-in
   * dev interaction forms (or denies consent when `deny` is set), keeping cookies, and returns
   * the final redirect URL to the client's redirect_uri (without requesting it). Each call is a
   * fresh browser (no cookies from earlier calls), so it always shows the login and consent forms.
   */
  authorize(url: string, options?: { account?: string; deny?: boolean }): Promise<URL>;
  /** Makes every refresh token issued so far invalid (so the next refresh gets invalid_grant). */
  revokeAllGrants(): Promise<void>;
  close(): Promise<void>;
}

export interface OidcServerOptions {
  redirectUris: string[];
  /** Access token lifetime in seconds, for user and client-credentials tokens alike; default 3600. */
  accessTokenTtl?: number;
  /** Whether every refresh rotates the refresh token; default true. */
  rotateRefreshToken?: boolean;
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

/** Scopes the server knows besides openid and offline_access; any may be asked for in either flow. */
const API_SCOPES = ['api:read', 'api:write'];

// ---------------------------------------------------------------------------------------------
// The slice of oidc-provider used here. The package ships no type declarations.

interface KoaContext {
  method: string;
  path: string;
  status: number;
  body: unknown;
  type: string;
  oidc?: { params?: Record<string, unknown>; body?: Record<string, unknown>; route?: string };
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface ProviderInstance {
  use(fn: Middleware): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  Grant: { find(id: string): Promise<{ destroy(): Promise<void> } | undefined> };
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

// oidc-provider prints two warnings no configuration turns off: one on import when Node is older
// than 22 ("Unsupported runtime") and one for every instance with the development interactions
// on. They are expected here, so they are dropped while importing and constructing; every other
// message goes through.
const EXPECTED_WARNINGS = ['oidc-provider WARNING: Unsupported runtime', 'oidc-provider WARNING: a quick start development-only feature devInteractions'];

async function quietly<T>(fn: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0].replace(/\x1b\[[0-9;]*m/g, '') : '';
    if (EXPECTED_WARNINGS.some((w) => text.startsWith(w))) return;
    warn.apply(console, args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

let providerClass: Promise<ProviderClass> | undefined;
function loadProvider(): Promise<ProviderClass> {
  providerClass ??= quietly(async () => {
    // @ts-ignore -- oidc-provider has no type declarations; ProviderClass above describes what is used.
    const mod = (await import('oidc-provider')) as { Provider: ProviderClass };
    return mod.Provider;
  });
  return providerClass;
}

// ---------------------------------------------------------------------------------------------
// Storage: oidc-provider's adapter interface over a Map of this server's own, so that
// revokeAllGrants() can find every grant and token, and so no "in-memory adapter" warning.

interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number;
}

function memoryAdapter(store: Map<string, Stored>) {
  const live = (key: string): Record<string, unknown> | undefined => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };
  return class Adapter {
    constructor(readonly model: string) {}
    key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
      store.set(this.key(id), { payload, expiresAt });
    }
    async find(id: string) {
      return live(this.key(id));
    }
    async findByUid(uid: string) {
      for (const [key, { payload }] of store) {
        if (key.startsWith(`${this.model}:`) && payload.uid === uid) return live(key);
      }
      return undefined;
    }
    async findByUserCode(userCode: string) {
      for (const [key, { payload }] of store) {
        if (key.startsWith(`${this.model}:`) && payload.userCode === userCode) return live(key);
      }
      return undefined;
    }
    async consume(id: string) {
      const payload = live(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [key, { payload }] of store) {
        if (key.startsWith(`${this.model}:`) && payload.grantId === grantId) store.delete(key);
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// A cookie jar just good enough for oidc-provider's cookies: name, value, path, expiry.

class CookieJar {
  #cookies = new Map<string, { name: string; value: string; path: string; expiresAt: number }>();

  store(url: URL, setCookies: string[]) {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expiresAt = Infinity;
      for (const attribute of attributes) {
        const [k = '', v = ''] = attribute.split('=').map((s) => s.trim());
        const key = k.toLowerCase();
        if (key === 'path' && v) path = v;
        else if (key === 'max-age') expiresAt = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && expiresAt === Infinity) expiresAt = Date.parse(v);
      }
      const id = `${name};${path}`;
      if (expiresAt <= Date.now() || value === '') this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path, expiresAt });
    }
  }

  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = [...this.#cookies.values()]
      .filter((c) => c.expiresAt > now)
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

function attribute(html: string, pattern: RegExp): string | undefined {
  const match = pattern.exec(html);
  return match?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

// ---------------------------------------------------------------------------------------------

export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  if (!options.redirectUris.length) throw new Error('startOidcServer needs at least one redirect URI');
  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  const rotate = options.rotateRefreshToken ?? true;
  const authMethod = options.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const client = { id: `coffer-test-${randomUUID().slice(0, 8)}`, secret: randomBytes(24).toString('base64url') };

  const tokenRequests: OidcServer['tokenRequests'] = [];
  const counters = { revocations: 0 };
  const store = new Map<string, Stored>();

  // Listen first: the issuer has to carry the port, and port 0 only gets one once listening.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  // Own signing key (for ID tokens), so oidc-provider does not fall back to its development keys.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

  const configuration: Record<string, unknown> = {
    adapter: memoryAdapter(store),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        token_endpoint_auth_method: authMethod,
      },
    ],
    scopes: ['openid', 'offline_access', ...API_SCOPES],
    claims: { openid: ['sub'] },
    // Any account name logs in; it becomes the subject.
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, caller: { clientId: string }, token: { clientId?: string }) => token.clientId === caller.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, caller: { clientId: string }, token: { clientId?: string }) => token.clientId === caller.clientId,
      },
    },
    pkce: { required: () => true },
    // Left to itself oidc-provider gives a refresh token only for offline_access asked with
    // prompt=consent. Here the code grant always gets one (the client is allowed the grant), and
    // the tokens do not die with the login session at the server.
    issueRefreshToken: async (_ctx: unknown, c: { grantTypeAllowed(type: string): boolean }) => c.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    rotateRefreshToken: rotate,
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 24 * 3600,
      Interaction: 600,
    },
    // Only CORS requests (an Origin header) ask this; none are expected from server-side code.
    clientBasedCORS: () => false,
    renderError: async (ctx: KoaContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>${out.error}</title><h1>${out.error}</h1><p>${out.error_description ?? ''}</p>`;
    },
  };

  const Provider = await loadProvider();
  const provider = await quietly(() => new Provider(issuer, configuration));

  // In front of oidc-provider: see every token and revocation request and its outcome.
  provider.use(async (ctx, next) => {
    const isToken = ctx.method === 'POST' && ctx.path === '/token';
    const isRevocation = ctx.method === 'POST' && ctx.path === '/token/revocation';
    if (isRevocation) counters.revocations += 1;
    try {
      await next();
    } finally {
      if (isToken) {
        const grantType = ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type;
        const ok = ctx.status >= 200 && ctx.status < 300;
        const body = ctx.body as { error?: unknown } | undefined;
        const entry: OidcServer['tokenRequests'][number] = { grantType: typeof grantType === 'string' ? grantType : '', ok };
        if (!ok) entry.error = typeof body?.error === 'string' ? body.error : `http_${ctx.status}`;
        tokenRequests.push(entry);
      }
    }
  });
  // A server_error is a fault in this set-up, not a behaviour under test: make it visible.
  provider.on('server_error', (_ctx: unknown, err: unknown) => {
    console.error('oidc-server: oidc-provider server_error', err);
  });

  server.on('request', provider.callback());

  const redirectTargets = new Set(options.redirectUris.map((u) => {
    const url = new URL(u);
    return url.origin + url.pathname;
  }));

  async function authorize(url: string, opts: { account?: string; deny?: boolean } = {}): Promise<URL> {
    const account = opts.account ?? 'user-1';
    const jar = new CookieJar();
    let next: { url: URL; method: 'GET' | 'POST'; form?: URLSearchParams } = { url: new URL(url, issuer), method: 'GET' };
    for (let step = 0; step < 20; step += 1) {
      if (next.url.origin !== issuer) throw new Error(`authorize: left the server for ${next.url.href}`);
      const headers: Record<string, string> = { accept: 'text/html' };
      const cookie = jar.header(next.url);
      if (cookie) headers.cookie = cookie;
      if (next.form) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(next.url, { method: next.method, headers, body: next.form?.toString(), redirect: 'manual' });
      jar.store(next.url, response.headers.getSetCookie());

      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const target = new URL(location, next.url);
        if (redirectTargets.has(target.origin + target.pathname)) return target;
        next = { url: target, method: 'GET' };
        continue;
      }

      const html = await response.text();
      if (response.status !== 200) {
        const title = attribute(html, /<title>([^<]*)<\/title>/) ?? '';
        const detail = attribute(html, /<p>([^<]*)<\/p>/) ?? '';
        throw new Error(`authorize: ${next.method} ${next.url.pathname} answered ${response.status} ${title} ${detail}`.trim());
      }
      const prompt = attribute(html, /name="prompt" value="([^"]+)"/);
      const action = attribute(html, /<form[^>]*action="([^"]+)"/);
      if (!prompt || !action) throw new Error(`authorize: unexpected page at ${next.url.pathname}`);
      const submit = new URL(action, next.url);
      if (prompt === 'login') {
        next = { url: submit, method: 'POST', form: new URLSearchParams({ prompt: 'login', login: account, password: 'any' }) };
      } else if (prompt === 'consent' && opts.deny) {
        // The forms' "[ Cancel ]" link: the interaction ends with access_denied.
        const abort = attribute(html, /href="([^"]*\/abort)"/);
        if (!abort) throw new Error('authorize: no cancel link on the consent page');
        next = { url: new URL(abort, next.url), method: 'GET' };
      } else if (prompt === 'consent') {
        next = { url: submit, method: 'POST', form: new URLSearchParams({ prompt: 'consent' }) };
      } else {
        throw new Error(`authorize: unexpected prompt ${prompt}`);
      }
    }
    throw new Error('authorize: too many steps without reaching the redirect_uri');
  }

  async function revokeAllGrants(): Promise<void> {
    const grantIds = new Set<string>();
    for (const [key, { payload }] of store) {
      if (key.startsWith('Grant:')) grantIds.add(key.slice('Grant:'.length));
      if (typeof payload.grantId === 'string') grantIds.add(payload.grantId);
    }
    for (const [key, { payload }] of store) {
      if (typeof payload.grantId === 'string' && grantIds.has(payload.grantId)) store.delete(key);
    }
    for (const id of grantIds) store.delete(`Grant:${id}`);
  }

  let closed: Promise<void> | undefined;
  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    revocationUrl: `${issuer}/token/revocation`,
    client,
    tokenRequests,
    get revocations() {
      return counters.revocations;
    },
    authorize,
    revokeAllGrants,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
