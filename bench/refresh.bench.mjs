// Token refresh benchmark: `npm run bench:refresh` (also part of `npm run bench`). Not a test.
// A local authorization server (oidc-provider on 127.0.0.1, in a worker thread, refresh token
// rotation on; see bench/support/oidc.mjs) and, per backend, the same 2,000 refreshes two ways:
//
//   direct   2,000 refresh_token grant requests with oauth4webapi, 16 at a time (the floor)
//   Coffer   coffer.refresher.refreshDue({ windowMs: 10 min, concurrency: 16 }) over 2,000 OAuth
//            connections expiring in a minute: due query, row read, lease, secret reads (token
//            set, OAuth client), the grant request, and one transaction per connection with the
//            new token set, the connection row and a hash-chained audit event
//
// Every pass uses fresh refresh tokens (and Coffer fresh connections, created with
// storeAuthorization before the clock starts). Creating 2,000 connections takes as long as the
// pass itself, so each backend runs one round, ordered direct, Coffer, direct: the baseline is
// the mean of the passes either side of Coffer's, which cancels a drift in the machine's load.
// BENCH_ROUNDS=n repeats the round. Ratio = direct wall time / Coffer wall time.
// Target (issue): ratio >= 0.5x (the pass takes at most twice as long as the bare requests).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import pg from 'pg';
import { createCoffer } from '../packages/core/dist/index.js';
import { SCOPE, startOidcServer } from './support/oidc.mjs';

const N = Number(process.env.BENCH_CONNECTIONS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const TENANTS = 20;
const WARMUP = 100;
const SERVER_WARMUP = 2000;
const TARGET = 0.5;
const PROVIDER_ID = 'bench-oidc';
const WINDOW_MS = 10 * 60_000;
const PG_ADMIN = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// Bounded: whatever hangs, the run ends (after cleaning up what it can).
const cleanups = [];
const LIMIT_S = Math.max(240, Math.ceil((150 * ROUNDS * N) / 2000));
const watchdog = setTimeout(async () => {
  console.error(`refresh benchmark: did not finish in ${LIMIT_S} s; giving up`);
  for (const fn of cleanups.reverse()) await Promise.race([fn().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(1);
}, LIMIT_S * 1000);
watchdog.unref();

/** Runs `fn(item)` over `items`, `concurrency` at a time. */
async function pool(items, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** A temp dir, removed by `remove()` (and by the watchdog if the run hangs). */
function tempDir(prefix) {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = async () => rmSync(path, { recursive: true, force: true });
  cleanups.push(remove);
  return { path, remove };
}

const fmtMs = (ms) => `${Math.round(ms).toLocaleString('en-US')} ms`;

const oidc = await startOidcServer({ rotateRefreshToken: true });
cleanups.push(() => oidc.close());
const as = { issuer: oidc.issuer, token_endpoint: oidc.tokenUrl, introspection_endpoint: oidc.introspectionUrl };
const client = { client_id: oidc.client.id, token_endpoint_auth_method: 'client_secret_basic' };
const clientAuth = oauth.ClientSecretBasic(oidc.client.secret);
const http = { [oauth.allowInsecureRequests]: true };

/** The baseline: one refresh_token grant per token, CONCURRENCY at a time. */
async function direct(refreshTokens) {
  let ok = 0;
  const start = performance.now();
  await pool(refreshTokens, CONCURRENCY, async (rt) => {
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, rt, http);
    const tokens = await oauth.processRefreshTokenResponse(as, client, response);
    if (tokens.access_token && tokens.refresh_token && tokens.refresh_token !== rt) ok += 1;
  });
  const ms = performance.now() - start;
  if (ok !== refreshTokens.length) throw new Error(`direct: ${ok} of ${refreshTokens.length} refreshes succeeded`);
  return ms;
}

async function introspect(token) {
  const response = await oauth.introspectionRequest(as, client, clientAuth, token, http);
  return oauth.processIntrospectionResponse(as, client, response);
}

/** 2,000 (or `count`) OAuth connections, each holding a seeded refresh token, expiring in a minute. */
async function createConnections(coffer, provider, refreshTokens) {
  const expiresAt = Date.now() + 60_000;
  const connections = new Array(refreshTokens.length);
  await pool(refreshTokens, 16, async (refresh_token, i) => {
    const tenant = `bench-${i % TENANTS}`;
    const id = await coffer.connections.storeAuthorization(tenant, provider, {
      connectionId: null,
      displayName: null,
      config: {},
      tokens: { access_token: `seeded-${randomBytes(16).toString('hex')}`, token_type: 'Bearer', refresh_token, scope: SCOPE, expires_at: expiresAt },
      onCommit: async () => {},
    });
    connections[i] = { tenant, id, refresh_token };
  });
  return connections;
}

/** Coffer's proactive pass over the connections just created; checked against the server's count. */
async function cofferPass(coffer, connections) {
  const before = await oidc.stats();
  const start = performance.now();
  const outcome = await coffer.refresher.refreshDue({ windowMs: WINDOW_MS, concurrency: CONCURRENCY });
  const ms = performance.now() - start;
  const after = await oidc.stats();
  const grants = after.refreshOk - before.refreshOk;
  const failedGrants = after.refreshFailed - before.refreshFailed;
  const n = connections.length;
  if (outcome.attempted !== n || outcome.refreshed !== n || outcome.failed !== 0) throw new Error(`Coffer pass: ${JSON.stringify(outcome)}, expected ${n} refreshed and none failed`);
  if (grants !== n || failedGrants !== 0) throw new Error(`Coffer pass: the server saw ${grants} successful and ${failedGrants} failed refresh grants, expected ${n} and 0`);
  // Spot check: the stored token set is new, and the server knows its access token.
  for (const { tenant, id, refresh_token } of [connections[0], connections[Math.floor(n / 2)], connections[n - 1]]) {
    const { value } = await coffer.secrets.reveal(tenant, `${id}.credentials`);
    if (value.refresh_token === refresh_token) throw new Error(`Coffer pass: connection ${id} still holds its old refresh token`);
    const info = await introspect(value.access_token);
    if (info.active !== true || info.client_id !== oidc.client.id) throw new Error(`Coffer pass: connection ${id}'s new access token is not active at the server`);
    if (!(value.expires_at > Date.now() + WINDOW_MS)) throw new Error(`Coffer pass: connection ${id} has expires_at ${value.expires_at}, not an hour ahead`);
  }
  return ms;
}

async function benchBackend(label, config) {
  const { path: providersDir, remove } = tempDir('coffer-bench-providers-');
  let coffer;
  try {
    writeFileSync(
      join(providersDir, `${PROVIDER_ID}.json`),
      JSON.stringify({
        id: PROVIDER_ID,
        name: 'Bench OIDC',
        auth: { mode: 'oauth2', oauth: { authorizationUrl: oidc.authorizationUrl, tokenUrl: oidc.tokenUrl, issuer: oidc.issuer, scopes: SCOPE.split(' ') } },
        api: { baseUrl: oidc.issuer, inject: { headers: { Authorization: 'Bearer {access_token}' } } },
      }),
    );
    // The authorization server listens on 127.0.0.1, which the outbound layer refuses unless allowlisted.
    coffer = await createCoffer({ ...config, providersDir, outboundAllow: ['127.0.0.1'] });
    const provider = coffer.providers.get(PROVIDER_ID);
    await coffer.tenants.create('global');
    for (let t = 0; t < TENANTS; t++) await coffer.tenants.create(`bench-${t}`);
    // The team's OAuth client, shared by every tenant.
    await coffer.secrets.put('global', `oauth-client.${PROVIDER_ID}`, { client_id: oidc.client.id, client_secret: oidc.client.secret });

    // Warm-up of both paths (JIT, connection pools, key caches), not measured.
    const warm = await oidc.seedRefreshTokens(2 * WARMUP);
    await direct(warm.slice(0, WARMUP));
    await cofferPass(coffer, await createConnections(coffer, provider, warm.slice(WARMUP)));

    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const setupStart = performance.now();
      const tokens = await oidc.seedRefreshTokens(3 * N);
      const connections = await createConnections(coffer, provider, tokens.slice(2 * N));
      const setupMs = performance.now() - setupStart;
      const before = await direct(tokens.slice(0, N));
      const cofferMs = await cofferPass(coffer, connections);
      const after = await direct(tokens.slice(N, 2 * N));
      const directMs = (before + after) / 2;
      rounds.push({ directMs, directPasses: [before, after], cofferMs, ratio: directMs / cofferMs, setupMs });
    }
    const directMs = rounds.reduce((s, r) => s + r.directMs, 0);
    const cofferMs = rounds.reduce((s, r) => s + r.cofferMs, 0);
    const result = { label, rounds, directMs, cofferMs, ratio: directMs / cofferMs };
    printTable(result);
    return result;
  } finally {
    await coffer?.close();
    await remove();
  }
}

function printTable({ label, rounds, directMs, cofferMs, ratio }) {
  const n = N * rounds.length;
  console.log(label);
  rounds.forEach((r, i) => {
    const prefix = rounds.length > 1 ? `round ${i + 1}: ` : '';
    console.log(`  ${prefix}setup ${fmtMs(r.setupMs)} (${N.toLocaleString('en-US')} connections); direct passes ${r.directPasses.map(fmtMs).join(' and ')} (before and after Coffer's), Coffer ${fmtMs(r.cofferMs)}: ratio ${r.ratio.toFixed(3)}x`);
  });
  console.log(`  verified: every pass ${N.toLocaleString('en-US')} refreshed, 0 failed; the server saw exactly ${N.toLocaleString('en-US')} refresh grants during each Coffer pass; 3 connections' new access tokens active at introspection`);
  console.log(`  ${'wall time'.padStart(20)} ${'per connection'.padStart(15)}`);
  console.log(`  direct ${fmtMs(directMs / rounds.length).padStart(13)} ${`${(directMs / n).toFixed(2)} ms`.padStart(15)}`);
  console.log(`  Coffer ${fmtMs(cofferMs / rounds.length).padStart(13)} ${`${(cofferMs / n).toFixed(2)} ms`.padStart(15)}`);
  console.log(`  ratio  ${`${ratio.toFixed(3)}x`.padStart(13)}   ${ratio >= TARGET ? 'meets' : 'MISSES'} (target >= ${TARGET}x)`);
  console.log('');
}

console.log(`Coffer token refresh benchmark (node ${process.version}): ${N.toLocaleString('en-US')} connections per round, ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}, concurrency ${CONCURRENCY}, ${TENANTS} tenants, OAuth client in tenant "global"`);
console.log(`authorization server: oidc-provider at ${oidc.issuer} (worker thread, refresh token rotation, opaque tokens, scope "${SCOPE}")\n`);
const results = [];
try {
  // The server's own warm-up (oidc-provider takes a few thousand requests to reach full speed).
  await direct(await oidc.seedRefreshTokens(SERVER_WARMUP));
  const dir = tempDir('coffer-bench-refresh-');
  try {
    results.push(await benchBackend('SQLite', { dataDir: dir.path }));
  } finally {
    await dir.remove();
  }

  const dbName = `coffer_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 5000 });
  let pgUp = true;
  try {
    await admin.connect();
  } catch {
    pgUp = false;
    console.log(`PostgreSQL   not reachable at ${PG_ADMIN}: SKIPPED\n`);
  }
  if (pgUp) {
    await admin.query(`create database ${dbName}`);
    let dropped;
    const dropDb = () =>
      (dropped ??= (async () => {
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      })());
    cleanups.push(dropDb);
    const url = new URL(PG_ADMIN);
    url.pathname = `/${dbName}`;
    const pgDir = tempDir('coffer-bench-refresh-pg-');
    try {
      results.push(await benchBackend('PostgreSQL', { dataDir: pgDir.path, databaseUrl: url.toString(), rootKey: randomBytes(32).toString('base64') }));
    } finally {
      await dropDb();
      await pgDir.remove();
    }
  }
} finally {
  await oidc.close();
  clearTimeout(watchdog);
}

for (const r of results) {
  console.log(`${r.ratio >= TARGET ? 'meets ' : 'MISSES'}  refresh pass vs direct requests on ${r.label}: ${r.ratio.toFixed(3)}x (target >= ${TARGET}x)`);
}
