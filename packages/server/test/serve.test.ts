/**
 * `coffer serve`, the real CLI as a child process (packages/cli/bin/coffer.js; build first):
 * first run and restart in a temp data dir, draining an in-flight request on SIGTERM, a bad
 * COFFER_PORT, and on PostgreSQL two replicas over one database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCoffer } from '@coffer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createPostgresDatabase } from '../../core/test/support/backends.js';
import { CofferApiError, CofferClient, eventually, expectApiError, hex, rawDb, rawRequest } from './support.js';

const BIN = fileURLToPath(new URL('../../cli/bin/coffer.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url)))) {
  throw new Error('packages/cli/dist is missing: run `npm run build` before the serve suite.');
}
const TOKEN = /cfr_[0-9A-Za-z]{49}/;

/** PATH and the PG* client variables of the test process, and nothing else inherited. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if ((k === 'PATH' || k.startsWith('PG')) && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

const children = new Set<ChildProcess>();

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminToken: string | null;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `coffer serve --port 0` and resolves once it has printed where it listens. */
function serve(env: Record<string, string>, options: { json?: boolean } = {}): Promise<Served> {
  const json = options.json ?? true;
  const child = spawn(process.execPath, [BIN, ...(json ? ['--json'] : []), 'serve', '--port', '0'], { env: childEnv({ COFFER_LOG_LEVEL: 'warn', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`coffer serve did not start within 20 s\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
    }, 20_000);
    const done = (url: string, adminToken: string | null) => {
      clearTimeout(timer);
      resolve({
        child,
        url,
        adminToken,
        stdout: () => out,
        stderr: () => err,
        exited,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (json) {
        try {
          const parsed = JSON.parse(out) as { url: string; adminToken: string | null };
          done(parsed.url, parsed.adminToken);
        } catch {
          // not complete yet
        }
      } else {
        const url = /Coffer is listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url && (out.includes('Try: curl') || !out.includes('First run'))) done(url, TOKEN.exec(out)?.[0] ?? null);
      }
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`coffer serve exited (${code ?? signal}) before it was ready\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
    });
  });
}

/** Runs `coffer ...args` to completion. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('coffer serve (SQLite in a temp data dir)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const tenant = `zqsrv${hex(4)}`;
  const secret = `sk_live_${hex(16)}Sv9Q`;
  let token: string;
  let second: Served | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-serve-'));
    env = { COFFER_DATA_DIR: dataDir };
  });
  afterAll(async () => {
    if (second && second.child.exitCode === null) await second.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('first run: initialises the data dir, prints the URL and a one-time admin token, and stops with exit 0 on SIGTERM', async () => {
    const first = await serve(env, { json: false });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.adminToken).toMatch(TOKEN);
    expect(first.stdout()).toContain('First run: an admin token was created');
    token = first.adminToken!;
    expect(existsSync(join(dataDir, 'root.key'))).toBe(true);
    expect(existsSync(join(dataDir, 'coffer.db'))).toBe(true);

    const admin = new CofferClient({ url: first.url, token });
    expect(await admin.health()).toEqual({ status: 'ok' });
    await admin.tenants.create(tenant);
    await admin.secrets.put(tenant, 'k', secret);
    expect((await admin.secrets.reveal(tenant, 'k')).value).toBe(secret);

    expect(await first.stop()).toEqual({ code: 0, signal: null });
    expect(first.stderr()).toContain('Shutting down');
    expect(first.stderr()).not.toContain(secret);
  });

  it('restart: prints no token, and the first token still works', async () => {
    second = await serve(env, { json: true });
    expect(second.adminToken).toBeNull();
    expect(JSON.parse(second.stdout())).toEqual({ url: second.url, database: expect.stringContaining('coffer.db'), adminToken: null });
    expect(second.stdout()).not.toMatch(TOKEN);
    const admin = new CofferClient({ url: second.url, token });
    expect((await admin.secrets.reveal(tenant, 'k')).value).toBe(secret);
    expect((await admin.tokens.list()).map((t) => t.description)).toEqual(['first admin token, made by coffer serve']);
  });

  it('/metrics of `coffer serve` counts audit events (coffer_audit_events_total)', async () => {
    const admin = new CofferClient({ url: second!.url, token });
    await admin.secrets.reveal(tenant, 'k');
    const metrics = await rawRequest(second!.url, 'GET', '/metrics', { token });
    expect(metrics.text).toMatch(/coffer_http_requests_total\{/);
    expect(metrics.text).toMatch(/coffer_process_/);
    const count = Number(/^coffer_audit_events_total (\d+)/m.exec(metrics.text)?.[1] ?? 'NaN');
    expect(count, 'coffer_audit_events_total after two audited reveals').toBeGreaterThanOrEqual(1);
  });

  it('SIGTERM during an in-flight request lets it complete, then exits 0', async () => {
    const served = second!;
    const drainedValue = `drained-${hex(16)}`;
    const body = JSON.stringify({ value: drainedValue });
    const url = new URL(served.url);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: `/v1/tenants/${tenant}/secrets/drained`,
          agent: false,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // Headers and half the body now; the rest after SIGTERM.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        served.child.kill('SIGTERM');
        void eventually(() => served.stderr().includes('Shutting down'), 5000, 'the shutdown notice')
          .then(() => new Promise((r) => setTimeout(r, 200)))
          // A new request while draining is turned away (connection refused, or 503 while closing).
          .then(() => rawRequest(served.url, 'GET', '/healthz').then((r) => r.status, () => 'refused'))
          .then((late) => {
            expect([503, 'refused']).toContain(late);
            expect(served.child.exitCode, 'the server must wait for the in-flight request').toBeNull();
            req.end(body.slice(10));
          })
          .catch(reject);
      }, 300);
    });
    const res = await response;
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ name: 'drained', version: 1 });
    expect(await served.exited).toEqual({ code: 0, signal: null });

    // The drained write and its audit event are durable.
    const coffer = await createCoffer({ dataDir, databaseUrl: `sqlite:${join(dataDir, 'coffer.db')}` });
    try {
      expect((await coffer.secrets.reveal(tenant, 'drained')).value).toBe(drainedValue);
      expect((await coffer.audit.list({ tenant, target: 'drained' })).items.map((e) => e.action)).toContain('secret.write');
      expect((await coffer.audit.verify()).ok).toBe(true);
    } finally {
      await coffer.close();
    }
  });

  it('a bad COFFER_PORT stops start-up with a message naming COFFER_PORT', async () => {
    const r = await run(['serve'], { ...env, COFFER_PORT: 'abc' });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('COFFER_PORT');
    expect(r.stdout).toBe('');
    const j = await run(['--json', 'serve'], { ...env, COFFER_PORT: '99999' });
    expect(j.code).not.toBe(0);
    expect(JSON.parse(j.stderr).error.message).toContain('COFFER_PORT');
    const flag = await run(['serve', '--port', 'abc'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--port');
  });

  it('a bad COFFER_PORT stops start-up with CONFIG_INVALID naming the variable', async () => {
    const r = await run(['serve'], { ...env, COFFER_PORT: 'abc' });
    expect(r.stderr.trim()).toMatch(/^error \[CONFIG_INVALID\]: COFFER_PORT/);
    expect(r.stderr).not.toContain('unexpected');
  });
});

describe.skipIf(!BACKENDS.includes('postgres'))('two coffer serve replicas over one PostgreSQL database', () => {
  let database: { url: string; drop: () => Promise<void> };
  const dirs: string[] = [];
  const rootKey = randomBytes(32).toString('base64');
  let replicas: Served[] = [];
  let token: string;
  let clients: CofferClient[];
  const tenant = `zqrep${hex(4)}`;

  beforeAll(async () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'coffer-r1-')), mkdtempSync(join(tmpdir(), 'coffer-r2-')));
    database = await createPostgresDatabase();
  });
  afterAll(async () => {
    await Promise.all(replicas.filter((r) => r.child.exitCode === null).map((r) => r.stop()));
    await database?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('start together on a fresh database; exactly one prints the admin token', async () => {
    replicas = await Promise.all(dirs.map((d) => serve({ COFFER_DATA_DIR: d, COFFER_DATABASE_URL: database.url, COFFER_ROOT_KEY: rootKey })));
    const tokens = replicas.map((r) => r.adminToken).filter((t): t is string => t !== null);
    expect(tokens).toHaveLength(1);
    token = tokens[0]!;
    expect(replicas[0]!.url).not.toBe(replicas[1]!.url);
    clients = replicas.map((r) => new CofferClient({ url: r.url, token }));
    // No key file: the key came from COFFER_ROOT_KEY.
    for (const d of dirs) expect(existsSync(join(d, 'root.key'))).toBe(false);
  });

  it('a write through one is read through the other', async () => {
    const [a, b] = clients as [CofferClient, CofferClient];
    await a.tenants.create(tenant);
    const v = `sk_live_${hex(16)}Rp9Q`;
    await a.secrets.put(tenant, 'shared', v);
    expect((await b.secrets.reveal(tenant, 'shared')).value).toBe(v);
    const v2 = `sk_live_${hex(16)}Rp9Q`;
    await b.secrets.put(tenant, 'shared', v2);
    expect(await a.secrets.reveal(tenant, 'shared')).toMatchObject({ version: 2, value: v2 });
    await b.keys.rotate(tenant);
    const v3 = `sk_live_${hex(16)}Rp9Q`;
    await a.secrets.put(tenant, 'shared', v3);
    expect(await b.secrets.versions(tenant, 'shared')).toMatchObject([{ version: 3, keyId: `${tenant}/v2` }, { version: 2 }, { version: 1 }]);
    expect((await b.secrets.reveal(tenant, 'shared')).value).toBe(v3);
  });

  it('concurrent check-and-set writes through both: exactly one winner per version', async () => {
    const name = `race${hex(3)}`;
    // Creation race: cas 0 from six writers.
    const creates = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => clients[i % 2]!.secrets.put(tenant, name, `create-${i}`, { cas: 0 })));
    expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of creates) if (r.status === 'rejected') expect((r.reason as CofferApiError).code).toBe('CAS_MISMATCH');

    for (let version = 1; version <= 5; version++) {
      const values = Array.from({ length: 6 }, (_, i) => `v${version + 1}-writer${i}-${hex(4)}`);
      const results = await Promise.allSettled(values.map((v, i) => clients[i % 2]!.secrets.put(tenant, name, v, { cas: version })));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, version: r.value.version }] : []));
      expect(winners, `round cas=${version}`).toHaveLength(1);
      expect(winners[0]!.version).toBe(version + 1);
      for (const r of results) if (r.status === 'rejected') expect({ status: (r.reason as CofferApiError).status, code: (r.reason as CofferApiError).code }).toEqual({ status: 409, code: 'CAS_MISMATCH' });
      for (const c of clients) expect(await c.secrets.reveal(tenant, name)).toMatchObject({ version: version + 1, value: values[winners[0]!.i] });
    }
  });

  it('a token made through one works on the other; revoked through the other, it is refused by both', async () => {
    const [a, b] = clients as [CofferClient, CofferClient];
    const t = await a.tokens.create({ kind: 'tenant', tenant, scopes: ['secrets:read', 'secrets:reveal'] });
    const onB = new CofferClient({ url: replicas[1]!.url, token: t.token });
    const onA = new CofferClient({ url: replicas[0]!.url, token: t.token });
    expect((await onB.secrets.reveal(tenant, 'shared')).version).toBe(3);
    await b.tokens.revoke(t.id);
    await expectApiError(onA.secrets.list(tenant), 401, 'UNAUTHENTICATED');
    await expectApiError(onB.secrets.list(tenant), 401, 'UNAUTHENTICATED');
  });

  it('the audit chain verifies after interleaved writes through both', async () => {
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => clients[i % 2]!.secrets.put(tenant, `w${i % 5}`, `value-${i}-${hex(4)}`)));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const db = await rawDb({ name: 'postgres', dataDir: dirs[0]!, databaseUrl: database.url });
    try {
      const n = (await db.all<{ n: number }>('select count(*)::bigint as n from audit_events'))[0]!.n;
      const seqs = (await db.all<{ seq: number }>('select seq from audit_events order by seq')).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      for (const c of clients) expect(await c.audit.verify()).toEqual({ ok: true, checked: n, firstBroken: null, segments: [{ from: 1, to: n, keyed: true, keyVersion: 1 }] });
      const writes = await clients[1]!.audit.list(tenant, { action: 'secret.write', limit: 1000 });
      expect(writes.items.filter((e) => /^w\d$/.test(e.target ?? '') && e.outcome === 'success')).toHaveLength(40);
    } finally {
      await db.close();
    }
  });

  it('both replicas stop cleanly on SIGTERM', async () => {
    const exits = await Promise.all(replicas.map((r) => r.stop()));
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
