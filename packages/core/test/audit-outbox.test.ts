/**
 * Issue 9 §1, last point: a change and its audit event are atomic across a host crash.
 *
 * On SQLite the chain has a file of its own, and a transaction over two WAL files is not atomic
 * across a crash; so a change's events are committed in the main file's outbox with the change
 * and moved into the chain afterwards (audit/audit-log.ts). A process killed between the two
 * commits, or between the move and the outbox cleanup, must lose no event and chain none twice;
 * the next start moves what is left before serving. On PostgreSQL the change and its event are
 * one transaction of one database: the same crash must leave both there too.
 *
 * The crashing writer is a real child process on the built core (support/audit-outbox-child.mjs)
 * that kills itself with SIGKILL at the crash point.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coffer } from '../src/index.js';
import { forEachBackend, makeBackend, type Backend } from './support/backends.js';
import { expectCode, hex, openCoffer, tenantId, withRaw, type RawDb } from './helpers.js';

const CHILD = fileURLToPath(new URL('./support/audit-outbox-child.mjs', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
  throw new Error('packages/core/dist is missing: run `npm run build` before this suite (its crashing child runs the built code).');
}

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Exit code, or the signal name; what it printed. */
  readonly exited: Promise<{ code: number | string; stdout: string; stderr: string }>;
  /** Resolves once the child has printed a line matching `re`. */
  waitFor(re: RegExp): Promise<void>;
}

function startChild(backend: Backend, options: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, ...options })], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    for (const w of [...waiters]) if (stdout.split('\n').some((l) => w.re.test(l))) waiters.splice(waiters.indexOf(w), 1), w.resolve();
  });
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  proc.stdin.on('error', () => {});
  const exited = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code: code ?? signal ?? -1, stdout, stderr }));
  });
  return {
    proc,
    exited,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ re, resolve });
        void exited.then((e) => reject(new Error(`child exited (${e.code}) before printing ${re}:\n${e.stdout}\n${e.stderr}`)));
      }),
  };
}

/** Runs a child that writes `name` and kills itself at `crashAt`; asserts it died there. */
async function crashWhileWriting(backend: Backend, tenant: string, name: string, crashAt: 'afterChangeCommit' | 'afterChainCommit'): Promise<void> {
  const exit = await startChild(backend, { mode: 'crash', tenant, name, value: `value-of-${name}`, crashAt }).exited;
  expect(exit, `the child should have died at ${crashAt} (a stale dist? run the build)`).toMatchObject({ code: 'SIGKILL', stdout: 'committing\n' });
}

interface ChainedEvent {
  seq: number;
  id: string;
  at: number;
  action: string;
  target: string;
}

const chainedFor = (db: RawDb, tenant: string, target: string): Promise<ChainedEvent[]> =>
  db.all<ChainedEvent>('select seq, id, at, action, target from audit_events where tenant_id = ? and target = ? order by seq', [tenant, target]);

const outboxRows = (db: RawDb): Promise<Array<{ id: number; event_id: string; at: number; action: string; target: string }>> =>
  db.all('select id, event_id, at, action, target from audit_outbox order by id');

const secretCount = async (db: RawDb, tenant: string, name: string): Promise<number> =>
  Number((await db.all<{ n: number }>('select count(*) as n from secrets where tenant_id = ? and name = ?', [tenant, name]))[0]!.n);

const headSeq = async (db: RawDb): Promise<number> => Number((await db.all<{ seq: number }>('select seq from audit_head where id = 1'))[0]!.seq);

/** Makes inserts into `table` fail (a trigger), runs `fn`, and always removes the trigger. */
async function withInsertsFailing(backend: Backend, table: 'audit_events' | 'audit_outbox', fn: () => Promise<void>): Promise<void> {
  const trigger = `coffer_test_block_${table}`;
  await withRaw(backend, async (db) => {
    if (db.dialect === 'sqlite') {
      // A trigger lives in its table's schema: the chain in the audit file, the outbox in main.
      const schema = table === 'audit_events' ? 'audit' : 'main';
      await db.run(`create trigger ${schema}.${trigger} before insert on ${table} begin select raise(abort, 'blocked by the test'); end`);
    } else {
      await db.run(`create function ${trigger}() returns trigger language plpgsql as $$ begin raise exception 'blocked by the test'; end $$`);
      await db.run(`create trigger ${trigger} before insert on ${table} for each row execute function ${trigger}()`);
    }
  });
  try {
    await fn();
  } finally {
    await withRaw(backend, async (db) => {
      if (db.dialect === 'sqlite') await db.run(`drop trigger ${table === 'audit_events' ? 'audit' : 'main'}.${trigger}`);
      else await db.run(`drop function ${trigger}() cascade`);
    });
  }
}

forEachBackend('audit outbox', (backend) => {
  let coffer: Coffer;
  const tenant = tenantId('obx');

  beforeAll(async () => {
    coffer = await openCoffer(backend());
    await coffer.tenants.create(tenant);
  });
  afterAll(async () => {
    await coffer?.close();
  });

  it("a change's events are in the chain when the call returns, in order, and the outbox is empty", async () => {
    await coffer.secrets.put(tenant, 'one', 'first', { maxVersions: 1 });
    // A write that destroys the version beyond max_versions: two events from one change.
    await coffer.secrets.put(tenant, 'one', 'second', { maxVersions: 1 });
    await withRaw(backend(), async (db) => {
      const events = await chainedFor(db, tenant, 'one');
      expect(events.map((e) => e.action)).toEqual(['secret.write', 'secret.write', 'secret.version.destroy']);
      expect(events[2]!.seq).toBe(events[1]!.seq + 1);
      expect(await outboxRows(db)).toEqual([]);
    });
    expect(await coffer.audit.pendingOutbox()).toBe(0);
    expect(coffer.audit.outboxDrainFailures).toBe(0);
    expect(await coffer.audit.verify()).toMatchObject({ ok: true });
  });

  it('a process killed right after the change commits loses neither: the change and its event are there, once, after the next start', async () => {
    const name = `crashed-${hex(3)}`;
    await crashWhileWriting(backend(), tenant, name, 'afterChangeCommit');
    const pending = await withRaw(backend(), async (db) => {
      expect(await secretCount(db, tenant, name)).toBe(1);
      const outbox = (await outboxRows(db)).filter((r) => r.target === name);
      if (db.dialect === 'sqlite') {
        // Committed with the change, in the main file; not yet in the chain.
        expect(outbox.map((r) => r.action)).toEqual(['secret.write']);
        expect(await chainedFor(db, tenant, name)).toEqual([]);
      } else {
        // One transaction of one database: the event committed into the chain with the change.
        expect(outbox).toEqual([]);
        expect((await chainedFor(db, tenant, name)).map((e) => e.action)).toEqual(['secret.write']);
      }
      return outbox;
    });
    // The next start moves what the crash left before serving.
    const reopened = await openCoffer(backend());
    try {
      await withRaw(backend(), async (db) => {
        const events = await chainedFor(db, tenant, name);
        expect(events.map((e) => e.action)).toEqual(['secret.write']);
        // The event keeps the id and time it was given in the change's transaction.
        if (db.dialect === 'sqlite') expect({ id: events[0]!.id, at: Number(events[0]!.at) }).toEqual({ id: pending[0]!.event_id, at: Number(pending[0]!.at) });
        expect(await outboxRows(db)).toEqual([]);
      });
      expect((await reopened.secrets.reveal(tenant, name)).value).toBe(`value-of-${name}`);
      expect(await reopened.audit.verify()).toMatchObject({ ok: true, firstBroken: null });
    } finally {
      await reopened.close();
    }
  });

  it("with the chain unwritable: SQLite commits the change with its event held in the outbox and moves it once the chain is writable; PostgreSQL refuses the change", async () => {
    const before = await withRaw(backend(), headSeq);
    await withInsertsFailing(backend(), 'audit_events', async () => {
      if (backend().name === 'sqlite') {
        const written = await coffer.secrets.put(tenant, 'held', 'held-value');
        expect(written.version).toBe(1);
        expect(await coffer.audit.pendingOutbox()).toBe(1);
        expect(coffer.audit.outboxDrainFailures).toBe(1);
        // Reads still fail closed: their events go to the chain, which refuses them.
        await expectCode(coffer.secrets.reveal(tenant, 'held'), 'AUDIT_UNAVAILABLE');
      } else {
        await expectCode(coffer.secrets.put(tenant, 'held', 'held-value'), 'AUDIT_UNAVAILABLE');
      }
    });
    await withRaw(backend(), async (db) => {
      expect(await headSeq(db)).toBe(before);
      expect(await secretCount(db, tenant, 'held')).toBe(backend().name === 'sqlite' ? 1 : 0);
    });
    // The next change moves the held event first, then its own, in commit order.
    await coffer.secrets.put(tenant, 'after', 'after-value');
    await withRaw(backend(), async (db) => {
      const held = await chainedFor(db, tenant, 'held');
      const after = await chainedFor(db, tenant, 'after');
      if (backend().name === 'sqlite') {
        expect(held.map((e) => e.action)).toEqual(['secret.write']);
        expect(after[0]!.seq).toBe(held[0]!.seq + 1);
      } else {
        expect(held).toEqual([]);
      }
      expect(after.map((e) => e.action)).toEqual(['secret.write']);
      expect(await outboxRows(db)).toEqual([]);
    });
    expect(await coffer.audit.pendingOutbox()).toBe(0);
    expect(await coffer.audit.verify()).toMatchObject({ ok: true });
  });

  it('two processes making changes at once: every event in the chain once, the chain whole, the outbox empty', async () => {
    const COUNT = 30;
    const runs = ['a', 'b'].map((p) => startChild(backend(), { mode: 'write', tenant, prefix: `mp-${p}`, count: COUNT, parallel: 5 }));
    // Reads from this process interleave their group-committed events with the moves.
    let writing = true;
    void Promise.all(runs.map((r) => r.exited)).then(() => (writing = false));
    const reads = (async () => {
      let n = 0;
      for (; writing; n++) await coffer.secrets.reveal(tenant, 'after');
      return n;
    })();
    const exits = await Promise.all(runs.map((r) => r.exited));
    for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0, stdout: `wrote ${COUNT} failures 0\n` });
    expect(await reads).toBeGreaterThan(0);
    await withRaw(backend(), async (db) => {
      const rows = await db.all<{ target: string; n: number }>(
        "select target, count(*) as n from audit_events where tenant_id = ? and action = 'secret.write' and target like 'mp-%' group by target",
        [tenant],
      );
      const expected = ['a', 'b'].flatMap((p) => Array.from({ length: COUNT }, (_, i) => `mp-${p}-${i}`)).sort();
      expect(rows.map((r) => r.target).sort()).toEqual(expected);
      expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
      expect(await outboxRows(db)).toEqual([]);
    });
    expect(await coffer.audit.verify()).toMatchObject({ ok: true });
  });
});

describe('audit outbox [sqlite]', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let coffer: Coffer;
  const tenant = tenantId('obs');

  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    coffer = await openCoffer(backend);
    await coffer.tenants.create(tenant);
  });
  afterAll(async () => {
    await coffer?.close();
    await backend?.dispose();
  });

  it('a process killed after the move, before the outbox cleanup: after the next start the event is in the chain once and the outbox is empty', async () => {
    const name = `moved-${hex(3)}`;
    await crashWhileWriting(backend, tenant, name, 'afterChainCommit');
    await withRaw(backend, async (db) => {
      const events = await chainedFor(db, tenant, name);
      expect(events.map((e) => e.action)).toEqual(['secret.write']);
      // Chained, and still in the outbox: the next drain must skip it, not chain it again.
      expect((await outboxRows(db)).map((r) => r.event_id)).toEqual([events[0]!.id]);
    });
    const reopened = await openCoffer(backend);
    try {
      await withRaw(backend, async (db) => {
        expect((await chainedFor(db, tenant, name)).map((e) => e.action)).toEqual(['secret.write']);
        expect(await outboxRows(db)).toEqual([]);
      });
      expect(await reopened.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await reopened.close();
    }
  });

  it('an outbox row at or below the last moved id is skipped only when its event is found in the chain (a main file restored from an older copy reuses ids)', async () => {
    // As if the main file were older than the audit file: its next outbox ids are ones the
    // chain has already recorded as moved.
    await withRaw(backend, (db) => db.run('update audit_head set outbox_id = outbox_id + 1000 where id = 1'));
    const name = `reused-${hex(3)}`;
    await coffer.secrets.put(tenant, name, 'reused-id-value');
    await withRaw(backend, async (db) => {
      expect((await chainedFor(db, tenant, name)).map((e) => e.action)).toEqual(['secret.write']);
      expect(await outboxRows(db)).toEqual([]);
    });
    expect(await coffer.audit.verify()).toMatchObject({ ok: true });
  });

  it('with the outbox unwritable too, a change is refused with AUDIT_UNAVAILABLE and nothing changes (fail closed)', async () => {
    const before = await withRaw(backend, headSeq);
    const refusedTenant = tenantId('refused');
    await withInsertsFailing(backend, 'audit_events', () =>
      withInsertsFailing(backend, 'audit_outbox', async () => {
        await expectCode(coffer.secrets.put(tenant, 'refused', 'refused-value'), 'AUDIT_UNAVAILABLE');
        await expectCode(coffer.tenants.create(refusedTenant), 'AUDIT_UNAVAILABLE');
      }),
    );
    await withRaw(backend, async (db) => {
      expect(await secretCount(db, tenant, 'refused')).toBe(0);
      expect(await db.all('select id from tenants where id = ?', [refusedTenant])).toEqual([]);
      expect(await outboxRows(db)).toEqual([]);
      // An attempt refused for the audit log records no failure event of its own.
      expect(await headSeq(db)).toBe(before);
    });
    await expectCode(coffer.secrets.get(tenant, 'refused'), 'SECRET_NOT_FOUND');
  });

  it('two processes draining the same outbox at once: each event chained once', async () => {
    const names = [1, 2, 3].map((i) => `race-${i}-${hex(2)}`);
    for (const name of names) await crashWhileWriting(backend, tenant, name, 'afterChangeCommit');
    await withRaw(backend, async (db) => expect((await outboxRows(db)).map((r) => r.target)).toEqual(names));
    const drainers = [0, 1].map(() => startChild(backend, { mode: 'drain', tenant }));
    await Promise.all(drainers.map((d) => d.waitFor(/^ready$/)));
    for (const d of drainers) d.proc.stdin.write('go\n');
    const exits = await Promise.all(drainers.map((d) => d.exited));
    for (const e of exits) expect(e.code, e.stderr).toBe(0);
    const drained = exits.map((e) => Number(/^drained (\d+)$/m.exec(e.stdout)?.[1]));
    expect(drained[0]! + drained[1]!).toBe(3);
    await withRaw(backend, async (db) => {
      for (const name of names) expect((await chainedFor(db, tenant, name)).map((e) => e.action)).toEqual(['secret.write']);
      expect(await outboxRows(db)).toEqual([]);
    });
    expect(await coffer.audit.verify()).toMatchObject({ ok: true });
  });
});
