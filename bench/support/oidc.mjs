// A local OAuth 2.0 authorization server for benchmarks: oidc-provider (v9) on 127.0.0.1, in a
// worker thread of its own, so its CPU time does not share the event loop with the client being
// measured (a real authorization server is another machine). The JS counterpart of
// packages/core/test/support/oidc-server.ts, cut down to what the refresh benchmark needs: one
// confidential client (client_secret_basic), the refresh_token grant with rotation, and
// introspection. No interactive login: `seedRefreshTokens(n)` creates n grants (one account
// each) and a refresh token for each through oidc-provider's own Grant and RefreshToken models,
// saved through its adapter, with the fields its authorization_code grant gives them. They are
// real refresh tokens: the server runs its full refresh_token grant on them (lookup, client and
// grant checks, account lookup, rotation).
//
// Main thread:  const oidc = await startOidcServer({ rotateRefreshToken: true });
//               await oidc.seedRefreshTokens(2000)  -> ['…', …]
//               await oidc.stats()                  -> { refreshOk, refreshFailed, errors }
//               await oidc.close()
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export const SCOPE = 'offline_access api:read';

// ---------------------------------------------------------------------------------------------
// Main thread: start the worker and talk to it.

export function startOidcServer(options = {}) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { accessTokenTtl: 3600, rotateRefreshToken: true, ...options } });
  const pending = new Map();
  let nextId = 0;
  const call = (op, args = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, ...args });
    });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (msg) => {
      if (msg.ready) {
        worker.off('error', reject);
        worker.on('error', (err) => {
          for (const p of pending.values()) p.reject(err);
          pending.clear();
        });
        const { issuer, client } = msg.ready;
        resolve({
          issuer,
          authorizationUrl: `${issuer}/auth`,
          tokenUrl: `${issuer}/token`,
          introspectionUrl: `${issuer}/token/introspection`,
          client,
          seedRefreshTokens: (count) => call('seed', { count }),
          stats: () => call('stats'),
          close: async () => {
            await call('close');
            await worker.terminate();
          },
        });
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Worker: the authorization server.

// oidc-provider warns on import when Node is older than 22; expected here, so dropped.
const EXPECTED_WARNINGS = ['oidc-provider WARNING: Unsupported runtime'];

async function quietly(fn) {
  const warn = console.warn;
  console.warn = (...args) => {
    const text = typeof args[0] === 'string' ? args[0].replace(/\x1b\[[0-9;]*m/g, '') : '';
    if (!EXPECTED_WARNINGS.some((w) => text.startsWith(w))) warn.apply(console, args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

// oidc-provider's adapter interface over a Map (the models used here need find, upsert,
// consume, destroy and revokeByGrantId).
function memoryAdapter(store) {
  return class Adapter {
    constructor(model) {
      this.model = model;
    }
    async upsert(id, payload, expiresIn) {
      store.set(`${this.model}:${id}`, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity });
    }
    async find(id) {
      const entry = store.get(`${this.model}:${id}`);
      if (!entry) return undefined;
      if (entry.expiresAt <= Date.now()) {
        store.delete(`${this.model}:${id}`);
        return undefined;
      }
      return entry.payload;
    }
    async findByUid() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id) {
      const entry = store.get(`${this.model}:${id}`);
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id) {
      store.delete(`${this.model}:${id}`);
    }
    async revokeByGrantId(grantId) {
      for (const [key, { payload }] of store) if (key.startsWith(`${this.model}:`) && payload.grantId === grantId) store.delete(key);
    }
  };
}

async function runWorker({ accessTokenTtl, rotateRefreshToken }) {
  const client = { id: `coffer-bench-${randomUUID().slice(0, 8)}`, secret: randomBytes(24).toString('base64url') };
  const store = new Map();
  const stats = { refreshOk: 0, refreshFailed: 0, errors: {} };

  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  // Own signing key, so oidc-provider does not fall back to its development keys.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  const sameClient = async (_ctx, caller, token) => token.clientId === caller.clientId;

  const { Provider } = await quietly(() => import('oidc-provider'));
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(store),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: ['http://127.0.0.1/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['openid', 'offline_access', 'api:read'],
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: false }, introspection: { enabled: true, allowedPolicy: sameClient } },
    pkce: { required: () => true },
    issueRefreshToken: async () => true,
    expiresWithSession: async () => false,
    rotateRefreshToken,
    ttl: { AccessToken: accessTokenTtl, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600, Session: 24 * 3600, Interaction: 600 },
    clientBasedCORS: () => false,
  });
  // Count every refresh_token grant and its outcome.
  provider.use(async (ctx, next) => {
    const isToken = ctx.method === 'POST' && ctx.path === '/token';
    try {
      await next();
    } finally {
      if (isToken && (ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type) === 'refresh_token') {
        if (ctx.status >= 200 && ctx.status < 300) stats.refreshOk += 1;
        else {
          stats.refreshFailed += 1;
          const error = typeof ctx.body?.error === 'string' ? ctx.body.error : `http_${ctx.status}`;
          stats.errors[error] = (stats.errors[error] ?? 0) + 1;
        }
      }
    }
  });
  provider.on('server_error', (_ctx, err) => console.error('oidc-server: oidc-provider server_error', err));
  server.on('request', provider.callback());

  // What the authorization_code grant would have stored for a user who logged in and consented.
  async function seed(count) {
    const oidcClient = await provider.Client.find(client.id);
    const authTime = Math.floor(Date.now() / 1000);
    const values = [];
    for (let i = 0; i < count; i++) {
      const accountId = `user-${randomUUID()}`;
      const grant = new provider.Grant({ accountId, clientId: client.id });
      grant.addOIDCScope(SCOPE);
      const grantId = await grant.save();
      const rt = new provider.RefreshToken({ accountId, authTime, client: oidcClient, expiresWithSession: false, grantId, gty: 'authorization_code', rotations: 0, scope: SCOPE });
      values.push(await rt.save());
    }
    return values;
  }

  parentPort.on('message', async ({ id, op, ...args }) => {
    try {
      let result;
      if (op === 'seed') result = await seed(args.count);
      else if (op === 'stats') result = structuredClone(stats);
      else if (op === 'close') {
        await new Promise((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      } else throw new Error(`unknown op ${op}`);
      parentPort.postMessage({ id, result });
    } catch (err) {
      parentPort.postMessage({ id, error: err?.stack ?? String(err) });
    }
  });
  parentPort.postMessage({ ready: { issuer, client } });
}

if (!isMainThread && workerData?.accessTokenTtl !== undefined) await runWorker(workerData);
