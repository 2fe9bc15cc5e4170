/**
 * A real Coffer HTTP server for the integration suites: a vault on one of the harness's
 * backends (a fresh SQLite file or a fresh PostgreSQL database), `buildApp` listening on an
 * ephemeral loopback port, the bootstrap admin token, SDK clients, and every log line the
 * server wrote (for leak checks). Also raw HTTP (for headers and exact bodies) and raw SQL on
 * the same database (for expiring tokens and tampering with the audit log).
 *
 * The vault is opened through `@coffer/core`, the module instance the server itself imports:
 * opening it from `../../core/src` would give the server errors of a second `CofferError`
 * class, which its `instanceof` checks do not recognise (every error would become a 500).
 * So build first: `npm run build`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { createCoffer, type Coffer } from '@coffer/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { Backend } from '../../core/test/support/backends.js';
import { CofferApiError, CofferClient } from '../../sdk/src/index.js';
import { buildApp, type AppDeps } from '../src/app.js';

if (!existsSync(fileURLToPath(new URL('../../core/dist/index.js', import.meta.url)))) {
  throw new Error('packages/core/dist is missing: run `npm run build` before the server suites.');
}

export { CofferApiError, CofferClient };

/** A short random hex string. */
export const hex = (bytes = 6): string => randomBytes(bytes).toString('hex');

export interface TestServerOptions {
  /** Failed authentications allowed per address per window. Default: high enough never to trip. */
  failuresPerWindow?: number;
  windowSeconds?: number;
  trustProxy?: boolean;
  /** Reuse an open vault instead of opening one (it is then not closed by `close`). */
  coffer?: Coffer;
  /** A directory of extra provider definitions (COFFER_PROVIDERS_DIR), e.g. loopback stand-ins. */
  providersDir?: string;
}

export interface TestServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly coffer: Coffer;
  /** The bootstrap admin token (or a fresh admin token when the vault already had tokens). */
  readonly adminToken: string;
  readonly adminTokenId: string;
  /** An SDK client holding the admin token. */
  readonly admin: CofferClient;
  /** Every line the server's logger wrote, as JSON text. */
  readonly logs: string[];
  /** An SDK client with `token` (none: unauthenticated). */
  client(token?: string): CofferClient;
  /** Raw HTTP against this server. */
  request(method: string, path: string, options?: RawOptions): Promise<RawResponse>;
  close(): Promise<void>;
}

/** Starts a real server on `backend`. */
export async function startTestServer(backend: Backend, options: TestServerOptions = {}): Promise<TestServer> {
  const ownCoffer = options.coffer === undefined;
  // These suites change tokens behind the server's back with direct SQL; with the token cache
  // off such a change shows at once (the cache is covered by the core's multi-instance suite).
  // Outbound requests may reach 127.0.0.1, where the suites' provider and OAuth stand-ins listen.
  const coffer =
    options.coffer ??
    (await createCoffer({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, tokenCacheMs: 0, outboundAllow: ['127.0.0.1'], ...(options.providersDir ? { providersDir: options.providersDir } : {}) }));
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
  let app: FastifyInstance | undefined;
  try {
    const deps: AppDeps = {
      coffer,
      logger: logger as unknown as FastifyBaseLogger,
      auth: { failuresPerWindow: options.failuresPerWindow ?? 100_000, windowSeconds: options.windowSeconds ?? 60 },
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    };
    app = await buildApp(deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the server has no address');
    const url = `http://127.0.0.1:${address.port}`;
    const boot = (await coffer.tokens.createBootstrapToken()) ?? (await coffer.tokens.create({ kind: 'admin', description: 'test admin' }));
    const started = app;
    return {
      url,
      app: started,
      coffer,
      adminToken: boot.token,
      adminTokenId: boot.info.id,
      admin: new CofferClient({ url, token: boot.token }),
      logs,
      client: (token?: string) => new CofferClient(token === undefined ? { url } : { url, token }),
      request: (method, path, o) => rawRequest(url, method, path, o),
      async close() {
        await started.close();
        if (ownCoffer) await coffer.close();
      },
    };
  } catch (err) {
    await app?.close();
    if (ownCoffer) await coffer.close();
    throw err;
  }
}

export interface RawOptions {
  token?: string;
  /** Sent as JSON (content-type application/json). */
  body?: unknown;
  /** Sent as is; set the content-type yourself. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Source address of the connection (another loopback address, e.g. 127.0.0.2). */
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: any;
}

/** One HTTP request over node:http (a fresh connection, so `localAddress` applies). */
export function rawRequest(base: string, method: string, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers, agent: false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers: flat, text, json });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A `fetch` for the SDK whose connections come from `localAddress`. */
export function fetchFrom(localAddress: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const res = await rawRequest(url.origin, init.method ?? 'GET', `${url.pathname}${url.search}`, {
      headers,
      localAddress,
      ...(typeof init.body === 'string' ? { rawBody: init.body } : {}),
    });
    return new Response(res.text === '' ? null : res.text, { status: res.status, headers: res.headers });
  }) as typeof fetch;
}

/**
 * The error body of every failure: exactly {"error":{"code","message"}}, and for CAS_MISMATCH
 * also the current version. Returns the message.
 */
export function expectErrorBody(res: RawResponse, status: number, code: string): string {
  const where = `${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBe(status);
  expect(res.headers['content-type'] ?? '', where).toMatch(/^application\/json/);
  const extra = code === 'CAS_MISMATCH' ? { currentVersion: expect.any(Number) } : {};
  expect(res.json, where).toEqual({ error: { code, message: expect.any(String), ...extra } });
  expect(Object.keys(res.json), where).toEqual(['error']);
  expect(Object.keys(res.json.error).sort(), where).toEqual(['code', 'message', ...Object.keys(extra)].sort());
  expect(res.json.error.message.length, where).toBeGreaterThan(0);
  return res.json.error.message as string;
}

/** Awaits an SDK call that must fail with `status` and `code`; returns the error. */
export async function expectApiError(work: Promise<unknown>, status: number, code: string): Promise<CofferApiError> {
  let result: unknown;
  try {
    result = await work;
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(CofferApiError);
    const e = err as CofferApiError;
    expect({ status: e.status, code: e.code }, e.message).toEqual({ status, code });
    return e;
  }
  throw new Error(`expected ${status} ${code}, but the call succeeded with ${JSON.stringify(result)?.slice(0, 300)}`);
}

/** Asserts that none of `needles` occurs in `haystack` (named `what` in the failure). */
export function expectNoneIn(haystack: string, needles: readonly string[], what: string): void {
  for (const n of needles) expect(haystack.includes(n), `${what} contains "${n.slice(0, 40)}"`).toBe(false);
}

export { rawDb, type RawDb } from '../../core/test/helpers.js';

/** Every audit event in the database, oldest first, as stored. */
export async function allAuditRows(db: RawDb): Promise<Record<string, any>[]> {
  return db.all('select * from audit_events order by seq');
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
