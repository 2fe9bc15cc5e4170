import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { createCoffer } from '../packages/core/dist/index.js';
import { SCOPE, startOidcServer } from './support/oidc.mjs';
const N = Number(process.env.N ?? 500);
const BACKEND = process.env.BACKEND ?? 'sqlite';
const oidc = await startOidcServer();
const providersDir = mkdtempSync(join(tmpdir(), 'prof-prov-'));
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
writeFileSync(join(providersDir, 'bench-oidc.json'), JSON.stringify({ id: 'bench-oidc', name: 'B', auth: { mode: 'oauth2', oauth: { authorizationUrl: oidc.authorizationUrl, tokenUrl: oidc.tokenUrl, issuer: oidc.issuer, scopes: SCOPE.split(' ') } }, api: { baseUrl: oidc.issuer, inject: { headers: { Authorization: 'Bearer {access_token}' } } } }));
let config = { dataDir: dir, providersDir };
let admin, dbName;
if (BACKEND === 'pg') {
  dbName = `coffer_prof_${randomBytes(4).toString('hex')}`;
  admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' }); await admin.connect(); await admin.query(`create database ${dbName}`);
  config = { ...config, databaseUrl: `postgres://postgres@127.0.0.1:5432/${dbName}`, rootKey: randomBytes(32).toString('base64') };
}
const coffer = await createCoffer(config);
const provider = coffer.providers.get('bench-oidc');
await coffer.tenants.create('global');
for (let t = 0; t < 20; t++) await coffer.tenants.create(`bench-${t}`);
await coffer.secrets.put('global', 'oauth-client.bench-oidc', { client_id: oidc.client.id, client_secret: oidc.client.secret });
async function make(n) {
  const rts = await oidc.seedRefreshTokens(n);
  const exp = Date.now() + 60_000;
  let i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => { while (i < n) { const k = i++; await coffer.connections.storeAuthorization(`bench-${k % 20}`, provider, { connectionId: null, displayName: null, config: {}, tokens: { access_token: 'x' + k, token_type: 'Bearer', refresh_token: rts[k], scope: SCOPE, expires_at: exp }, onCommit: async () => {} }); } }));
}
// instrumentation
const r = coffer.refresher;
const timers = {};
const wrap = (obj, name, label) => { const orig = obj[name].bind(obj); obj[name] = async (...a) => { const t = performance.now(); try { return await orig(...a); } finally { const e = performance.now() - t; (timers[label] ??= { n: 0, ms: 0 }); timers[label].n++; timers[label].ms += e; } }; };
wrap(r.store, 'writeTransaction', 'writeTransaction');
wrap(r.secrets, 'reveal', 'secrets.reveal');
wrap(r, 'claim', 'claim'); wrap(r.auditLog, 'appendWithin', 'audit.appendWithin (lock wait+3 stmts)'); wrap(r.secrets, 'putWithin', 'secrets.putWithin');
wrap(r, 'requestNewTokens', 'requestNewTokens (HTTP)');
wrap(r, 'refreshIfDue', 'refreshIfDue total');
const origFetch = globalThis.fetch; globalThis.fetch = async (...a) => { const t = performance.now(); try { return await origFetch(...a); } finally { (timers.fetch ??= { n: 0, ms: 0 }); timers.fetch.n++; timers.fetch.ms += performance.now() - t; } };
const h0 = r.store.sqlite;
if (h0) { const prep = h0.prepare.bind(h0); h0.prepare = (sqlText) => { const st = prep(sqlText); const k = sqlText.replace(/\s+/g,' ').slice(0, 48); for (const m of ['run','all','get']) { const o = st[m].bind(st); st[m] = (...a) => { const t = performance.now(); try { return o(...a); } finally { const e = performance.now() - t; (timers['sql: '+k] ??= { n: 0, ms: 0 }); timers['sql: '+k].n++; timers['sql: '+k].ms += e; } }; } return st; }; }
await make(100); await r.refreshDue({ windowMs: 600000, concurrency: 16 });
for (const k in timers) delete timers[k];
let t = performance.now(); await make(N); console.log('setup', performance.now() - t); for (const k in timers) delete timers[k];
const session = new Session(); session.connect();
if (process.env.PROF) { await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 }); await session.post('Profiler.start'); }
// event loop blocking measure
const { monitorEventLoopDelay } = await import('node:perf_hooks'); const h = monitorEventLoopDelay({ resolution: 5 }); h.enable();
const elu0 = performance.eventLoopUtilization();
t = performance.now();
const out = await r.refreshDue({ windowMs: 600000, concurrency: 16 });
const ms = performance.now() - t;
const elu = performance.eventLoopUtilization(elu0);
h.disable();
console.log(BACKEND, out, 'pass ms', ms.toFixed(0), 'per conn', (ms / N).toFixed(2), 'ELU', elu.utilization.toFixed(2), 'loop delay p50/p99/max', (h.percentile(50)/1e6).toFixed(1), (h.percentile(99)/1e6).toFixed(1), (h.max/1e6).toFixed(1));
for (const [k, v] of Object.entries(timers)) console.log(k.padEnd(26), 'n', v.n, 'avg ms', (v.ms / v.n).toFixed(2), 'sum/N', (v.ms / N).toFixed(2));
if (process.env.PROF) { const { profile } = await session.post('Profiler.stop'); writeFileSync(`/tmp/refresh-${BACKEND}.cpuprofile`, JSON.stringify(profile)); }
console.log(await oidc.stats());
await coffer.close(); await oidc.close(); rmSync(dir, { recursive: true, force: true }); rmSync(providersDir, { recursive: true, force: true });
if (admin) { await admin.query(`drop database ${dbName} with (force)`); await admin.end(); }
