/**
 * Audit events are acknowledged only once durable. On SQLite the audit file's commits are
 * flushed to disk after the commit, off the event loop (store/wal-sync.ts); here that flush is
 * made to fail on a real database, and nothing may be acknowledged or written twice.
 *
 * A change's events on SQLite are durable with the change itself (the outbox in the main file);
 * a failed flush of their move into the chain leaves them in the outbox, and the next drain
 * neither loses nor repeats them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { openStore, parseDatabaseUrl, type Store } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrations/index.js';
import { forEachBackend, makeBackend, type Backend } from './support/backends.js';
import { expectCode } from './helpers.js';

const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function openMigrated(databaseUrl: string): Promise<Store> {
  const store = await openStore(parseDatabaseUrl(databaseUrl));
  opened.push(store);
  await migrateToLatest(store.db, store.dialect);
  return store;
}

const event = (n: number) => ({ actor: 'tok_0000000000000000', action: 'secret.reveal', tenant: 'acme', target: `key-${n}`, outcome: 'success' as const });

forEachBackend('audit durability', (backend) => {
  it('acknowledges events only after their flush', async () => {
    const store = await openMigrated(backend().databaseUrl);
    const order: string[] = [];
    const log = new AuditLog(
      Object.assign(Object.create(store) as Store, {
        syncAuditLog: async () => {
          await store.syncAuditLog();
          order.push('flush');
        },
      }),
    );
    const before = (await log.verify()).checked;
    const events = await Promise.all([1, 2, 3].map((n) => log.append(event(n)).then((e) => (order.push('ack'), e))));
    expect(events.map((e) => e.target)).toEqual(['key-1', 'key-2', 'key-3']);
    // Concurrent appends share a commit and its flush, which precedes every acknowledgement.
    expect(order).toEqual(['flush', 'ack', 'ack', 'ack']);
    expect(await log.verify()).toMatchObject({ ok: true, checked: before + 3 });
  });

  it('refuses every event of a batch whose flush fails, without writing any of them twice', async () => {
    const store = await openMigrated(backend().databaseUrl);
    const failing = Object.assign(Object.create(store) as Store, {
      syncAuditLog: () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
    });
    const log = new AuditLog(failing);
    const before = (await log.verify()).checked;
    const results = [4, 5, 6, 7].map((n) => expectCode(log.append(event(n)), 'AUDIT_UNAVAILABLE'));
    const errors = await Promise.all(results);
    // The message says what to do and does not leak the driver's text.
    for (const err of errors) expect(err.message).not.toMatch(/EIO|fdatasync/);
    // The events were committed once (fail closed: the callers were refused) and never re-sent
    // one by one, which would have duplicated them in the chain.
    const after = await new AuditLog(store).verify();
    expect(after).toMatchObject({ ok: true, checked: before + 4 });
    const page = await new AuditLog(store).list({ tenant: 'acme', limit: 1000 });
    const targets = page.items.map((e) => e.target).filter((t) => ['key-4', 'key-5', 'key-6', 'key-7'].includes(t!));
    expect(targets.sort()).toEqual(['key-4', 'key-5', 'key-6', 'key-7']);
  });
});

describe('audit durability: a change\'s events on SQLite', () => {
  let backend: Backend & { dispose(): Promise<void> };
  beforeAll(async () => {
    backend = await makeBackend('sqlite');
  });
  afterAll(async () => {
    await backend?.dispose();
  });

  it('a change whose move into the chain cannot be flushed is still acknowledged; its event stays in the outbox and the next drain chains it once', async () => {
    const store = await openMigrated(backend.databaseUrl);
    let flushFails = true;
    const flaky = Object.assign(Object.create(store) as Store, {
      syncAuditLog: () => (flushFails ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : store.syncAuditLog()),
    });
    const log = new AuditLog(flaky);
    const before = (await log.verify()).checked;
    // Committed with the change in the main file: durable, so the change is not an error.
    await store.writeTransaction((trx) => log.appendWithin(trx, event(8)));
    expect(log.outboxDrainFailures).toBe(1);
    // Chained, but not confirmed durable there: the outbox keeps it until a flush succeeds.
    expect(await log.pendingOutbox()).toBe(1);
    flushFails = false;
    expect(await log.drainOutbox()).toBe(0);
    expect(await log.pendingOutbox()).toBe(0);
    expect(await log.verify()).toMatchObject({ ok: true, checked: before + 1 });
    const page = await log.list({ tenant: 'acme', target: 'key-8' });
    expect(page.items).toHaveLength(1);
    // The outbox cleanup does not wait for the disk, and leaves the main file syncing every commit.
    expect(store.sqlite!.pragma('main.synchronous', { simple: true })).toBe(2);
  });
});
