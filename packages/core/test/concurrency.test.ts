/**
 * Check-and-set under real concurrency: many writers over several PostgreSQL connection pools,
 * and two separate Node processes on one SQLite file. The version sequence must have no gaps
 * and no duplicates, every writer's write must land exactly once, and a race on one cas value
 * must have exactly one winner.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoffer, isCofferError, type Coffer } from '../src/index.js';
import { BACKENDS, createPostgresDatabase, forEachBackend } from './support/backends.js';
import { expectCode, openCoffer } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the current version (0 when the secret does not exist yet). */
async function currentVersion(c: Coffer, tenant: string, name: string): Promise<number> {
  try {
    return (await c.secrets.reveal(tenant, name)).version;
  } catch (err) {
    if (isCofferError(err, 'SECRET_NOT_FOUND')) return 0;
    throw err;
  }
}

/** Reads, then writes with cas=current; retries on CAS_MISMATCH until the write lands once. */
async function landOnce(c: Coffer, tenant: string, name: string, value: string): Promise<{ version: number; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const current = await currentVersion(c, tenant, name);
    try {
      const { version } = await c.secrets.put(tenant, name, value, { cas: current, maxVersions: 1000 });
      return { version, attempts };
    } catch (err) {
      if (!isCofferError(err, 'CAS_MISMATCH')) throw err;
      await sleep(Math.random() * 3);
    }
  }
}

/** Every kept version of a secret, oldest first, with its value. */
async function history(c: Coffer, tenant: string, name: string): Promise<Array<{ version: number; value: unknown }>> {
  const versions = (await c.secrets.versions(tenant, name)).map((v) => v.version).reverse();
  return Promise.all(versions.map(async (version) => ({ version, value: (await c.secrets.reveal(tenant, name, { version })).value })));
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

(BACKENDS.includes('postgres') ? describe : describe.skip)('concurrency [postgres]', () => {
  const WRITERS = 50;
  let dataDir: string;
  let drop: (() => Promise<void>) | undefined;
  const instances: Coffer[] = [];
  const tenant = 'conc';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-conc-pg-'));
    const db = await createPostgresDatabase();
    drop = db.drop;
    // the first open creates the root key file; the others open the initialised vault
    instances.push(await createCoffer({ dataDir, databaseUrl: db.url, poolSize: 10 }));
    for (let i = 1; i < 5; i++) instances.push(await createCoffer({ dataDir, databaseUrl: db.url, poolSize: 10, createIfMissing: false }));
    await instances[0]!.tenants.create(tenant);
  });
  afterAll(async () => {
    await Promise.all(instances.map((c) => c.close()));
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const pick = (i: number) => instances[i % instances.length]!;

  it(`${WRITERS} CAS writers, each retrying until its write lands: versions 1..${WRITERS}, every write exactly once`, async () => {
    const name = 'contended';
    const results = await Promise.all(range(WRITERS, 0).map((i) => landOnce(pick(i), tenant, name, `writer-${i}`)));
    const versions = results.map((r) => r.version).sort((a, b) => a - b);
    expect(versions).toEqual(range(WRITERS));
    const h = await history(instances[0]!, tenant, name);
    expect(h.map((e) => e.version)).toEqual(range(WRITERS));
    expect(h.map((e) => e.value).sort()).toEqual(range(WRITERS, 0).map((i) => `writer-${i}`).sort());
    // each writer's reported version holds its own value
    for (const [i, r] of results.entries()) expect(h[r.version - 1]!.value).toBe(`writer-${i}`);
    // there was real contention
    expect(results.reduce((n, r) => n + r.attempts, 0)).toBeGreaterThan(WRITERS);
  });

  it(`${WRITERS} concurrent writes with the same cas=N: exactly one winner`, async () => {
    const name = 'one-winner';
    await instances[0]!.secrets.put(tenant, name, 'base', { maxVersions: 1000 });
    const outcomes = await Promise.allSettled(range(WRITERS, 0).map((i) => pick(i).secrets.put(tenant, name, `racer-${i}`, { cas: 1 })));
    const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ i, version: o.value.version }] : []));
    expect(winners).toHaveLength(1);
    expect(winners[0]!.version).toBe(2);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(isCofferError(o.reason, 'CAS_MISMATCH'), String(o.reason)).toBe(true);
        expect(o.reason.details).toEqual({ expected: 1, current: 2 });
      }
    }
    const h = await history(instances[1]!, tenant, name);
    expect(h).toEqual([
      { version: 1, value: 'base' },
      { version: 2, value: `racer-${winners[0]!.i}` },
    ]);
  });

  it(`${WRITERS} concurrent creates with cas=0: exactly one winner`, async () => {
    const name = 'create-race';
    const outcomes = await Promise.allSettled(range(WRITERS, 0).map((i) => pick(i).secrets.put(tenant, name, `creator-${i}`, { cas: 0 })));
    const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(isCofferError(o.reason, 'CAS_MISMATCH'), String(o.reason)).toBe(true);
    expect(await history(instances[2]!, tenant, name)).toEqual([{ version: 1, value: `creator-${winners[0]}` }]);
  });

  it(`${WRITERS} concurrent unconditional writes: versions 1..${WRITERS}, no gaps or duplicates`, async () => {
    const name = 'no-cas';
    const results = await Promise.all(range(WRITERS, 0).map((i) => pick(i).secrets.put(tenant, name, `w-${i}`, { maxVersions: 1000 })));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(range(WRITERS));
    const h = await history(instances[3]!, tenant, name);
    expect(h.map((e) => e.version)).toEqual(range(WRITERS));
    for (const [i, r] of results.entries()) expect(h[r.version - 1]!.value).toBe(`w-${i}`);
  });

  it('concurrent creates of one tenant: exactly one, the rest TENANT_EXISTS', async () => {
    const outcomes = await Promise.allSettled(range(20, 0).map((i) => pick(i).tenants.create('conc-tenant', { name: `creator-${i}` })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(isCofferError(o.reason, 'TENANT_EXISTS'), String(o.reason)).toBe(true);
    // and the surviving tenant works from every instance
    await instances[0]!.secrets.put('conc-tenant', 'k', 'v');
    for (const c of instances) expect((await c.secrets.reveal('conc-tenant', 'k')).value).toBe('v');
    await expectCode(instances[4]!.tenants.create('conc-tenant'), 'TENANT_EXISTS');
  });
});

describe('concurrency [sqlite, two processes]', () => {
  const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const PER_PROCESS = 100;
  let dir: string;
  let dataDir: string;
  let script: string;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build first (npm run build, or npx tsc -b packages/core).`);
    dir = mkdtempSync(join(tmpdir(), 'coffer-conc-sqlite-'));
    dataDir = join(dir, 'data');
    script = join(dir, 'worker.mjs');
    writeFileSync(script, WORKER.replace('__DIST__', pathToFileURL(DIST).href));
    const c = await createCoffer({ dataDir });
    await c.tenants.create('mp');
    await c.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface WorkerResult {
    id: string;
    landed: number[];
    attempts: number;
    mismatches: number;
  }

  /**
   * Starts both workers and acts as their barrier: a worker prints "ready" or "at <round>" and
   * waits for "go"; both are released together once both have arrived. Collects the results.
   */
  async function runPair(mode: 'inc' | 'race', name: string): Promise<WorkerResult[]> {
    const arrivals = [0, 0];
    let released = 0;
    const children = ['A', 'B'].map((id, index) => {
      const child = spawn(process.execPath, [script, dataDir, mode, name, id, String(PER_PROCESS)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let pending = '';
      let result: WorkerResult | undefined;
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdin.on('error', () => {}); // a worker that died is reported by its exit code
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        pending += d;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line === 'ready' || line.startsWith('at ')) {
            arrivals[index]!++;
            release();
          } else if (line.startsWith('{')) {
            result = JSON.parse(line) as WorkerResult;
          }
        }
      });
      const done = new Promise<WorkerResult>((resolve, reject) => {
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`worker ${id} exited with ${code}: ${err}`));
          if (!result) return reject(new Error(`worker ${id} printed no result: ${err}`));
          resolve(result);
        });
      });
      return { child, done };
    });
    function release() {
      while (Math.min(...arrivals) > released) {
        released++;
        for (const c of children) c.child.stdin.write('go\n');
      }
    }
    try {
      return await Promise.all(children.map((c) => c.done));
    } finally {
      for (const c of children) c.child.stdin.end();
    }
  }

  it(`two processes, ${PER_PROCESS} CAS-guarded increments each: versions 1..${2 * PER_PROCESS}, each process landed ${PER_PROCESS}`, async () => {
    const results = await runPair('inc', 'counter');
    for (const r of results) expect(r.landed).toHaveLength(PER_PROCESS);
    // (No interleaving is asserted: SQLite's busy handler backs off up to 100 ms, so one
    // process may legitimately land a long run of writes while the other waits.)
    expect(results.flatMap((r) => r.landed).sort((a, b) => a - b)).toEqual(range(2 * PER_PROCESS));

    const c = await createCoffer({ dataDir });
    try {
      const h = await history(c, 'mp', 'counter');
      expect(h.map((e) => e.version)).toEqual(range(2 * PER_PROCESS));
      for (const r of results) {
        // process r wrote p<id>-0 .. p<id>-99, in order, at the versions it reported
        r.landed.forEach((version, k) => expect(h[version - 1]!.value).toBe(`p${r.id}-${k}`));
      }
      expect((await c.secrets.get('mp', 'counter')).currentVersion).toBe(2 * PER_PROCESS);
    } finally {
      await c.close();
    }
  });

  it(`two processes racing cas=N for N = 0..${PER_PROCESS - 1}, released together each round: exactly one winner per version`, async () => {
    const results = await runPair('race', 'race');
    const all = results.flatMap((r) => r.landed).sort((a, b) => a - b);
    expect(all).toEqual(range(PER_PROCESS)); // every version won exactly once
    for (const r of results) expect(r.landed.length + r.mismatches).toBe(PER_PROCESS);
    // released together each round, both won some rounds
    for (const r of results) expect(r.landed.length).toBeGreaterThan(0);
    const c = await createCoffer({ dataDir });
    try {
      const h = await history(c, 'mp', 'race');
      expect(h.map((e) => e.version)).toEqual(range(PER_PROCESS));
      for (const r of results) for (const v of r.landed) expect(h[v - 1]!.value).toBe(`p${r.id}-v${v}`);
    } finally {
      await c.close();
    }
  });
});

// Regression: reveal reads the version row in one query and, when there is none, works out what
// is missing with further queries. A reader racing the commit that creates a secret used to miss
// the row, then find the committed secret and answer SECRET_VERSION_NOT_FOUND "has no version 1
// (current is 1)" for the *current* version, which is never true. Callers doing read-then-cas
// (treating SECRET_NOT_FOUND as version 0) tripped over it. It reproduced reliably on PostgreSQL.
forEachBackend('concurrency: reading a secret while it is created', (backend) => {
  let writer: Coffer;
  let reader: Coffer;
  beforeAll(async () => {
    writer = await openCoffer(backend());
    reader = await openCoffer(backend());
    await writer.tenants.create('born');
  });
  afterAll(async () => {
    await reader?.close();
    await writer?.close();
  });

  it('a reader sees SECRET_NOT_FOUND or the value, never SECRET_VERSION_NOT_FOUND for the current version', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const name = `born-${i}`;
      let done = false;
      const pollers = range(5).map(async () => {
        while (!done) {
          try {
            await reader.secrets.reveal('born', name);
            seen.value = (seen.value ?? 0) + 1;
          } catch (err) {
            const code = isCofferError(err) ? err.code : String(err);
            seen[code] = (seen[code] ?? 0) + 1;
          }
          await new Promise((r) => setImmediate(r));
        }
      });
      await sleep(2);
      await writer.secrets.put('born', name, `value-${i}`);
      done = true;
      await Promise.all(pollers);
    }
    expect(seen.SECRET_NOT_FOUND).toBeGreaterThan(0);
    expect(Object.keys(seen).filter((code) => code !== 'SECRET_NOT_FOUND' && code !== 'value')).toEqual([]);
  });
});

/** The worker: opens the vault from the built package and writes with cas. */
const WORKER = `
import { createInterface } from 'node:readline';
import { createCoffer } from '__DIST__';
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
/** Tells the parent we arrived, and waits for its "go". */
async function barrier(tag) {
  process.stdout.write(tag + '\\n');
  const { done } = await lines.next();
  if (done) throw new Error('stdin closed at the barrier');
}
const [dataDir, mode, name, id, countText] = process.argv.slice(2);
const count = Number(countText);
const tenant = 'mp';
const coffer = await createCoffer({ dataDir, createIfMissing: false });
await barrier('ready');
const landed = [];
let attempts = 0;
let mismatches = 0;
async function current() {
  try {
    return (await coffer.secrets.reveal(tenant, name)).version;
  } catch (err) {
    if (err.code === 'SECRET_NOT_FOUND') return 0;
    throw err;
  }
}
if (mode === 'inc') {
  while (landed.length < count) {
    attempts++;
    const cas = await current();
    try {
      const r = await coffer.secrets.put(tenant, name, 'p' + id + '-' + landed.length, { cas, maxVersions: 1000 });
      landed.push(r.version);
    } catch (err) {
      if (err.code !== 'CAS_MISMATCH') throw err;
      mismatches++;
    }
  }
} else {
  for (let v = 0; v < count; v++) {
    await barrier('at ' + v);
    attempts++;
    try {
      const r = await coffer.secrets.put(tenant, name, 'p' + id + '-v' + (v + 1), { cas: v, maxVersions: 1000 });
      landed.push(r.version);
    } catch (err) {
      if (err.code !== 'CAS_MISMATCH') throw err;
      mismatches++;
    }
  }
}
await coffer.close();
process.stdout.write(JSON.stringify({ id, landed, attempts, mismatches }) + '\\n');
process.exit(0);
`;
