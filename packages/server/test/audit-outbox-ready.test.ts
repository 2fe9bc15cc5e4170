/**
 * `/readyz` and the SQLite audit outbox: a change whose events could not be moved into the chain
 * is committed with its events held, durable, in the outbox. The replica keeps serving and says
 * so (200 `degraded`, `checks.auditOutbox`), and is `ready` again once the next write moves them.
 * PostgreSQL has no outbox: a change whose event cannot be written is refused instead.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { expectErrorBody, hex, rawDb, startTestServer, type RawDb, type TestServer } from './support.js';

forEachBackend('readyz and the audit outbox', (backend) => {
  let s: TestServer;
  let db: RawDb;
  const T = `zqob${hex(4)}`;

  beforeAll(async () => {
    s = await startTestServer(backend());
    db = await rawDb(backend());
    await s.admin.tenants.create(T);
  });
  afterAll(async () => {
    await db?.close();
    await s?.close();
  });

  /** Makes only the chain refuse inserts (not the outbox), runs `fn`, and always undoes it. */
  async function withChainRefusing(fn: () => Promise<void>): Promise<void> {
    if (db.dialect === 'sqlite') {
      await db.run(`create trigger audit.zq_refuse_chain before insert on audit_events begin select raise(abort, 'refused by the test'); end`);
    } else {
      await db.run(`create or replace function zq_refuse_chain() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`);
      await db.run('create trigger zq_refuse_chain before insert on audit_events for each row execute function zq_refuse_chain()');
    }
    try {
      await fn();
    } finally {
      if (db.dialect === 'sqlite') await db.run('drop trigger if exists audit.zq_refuse_chain');
      else await db.run('drop trigger if exists zq_refuse_chain on audit_events');
    }
  }

  it('reports events held in the outbox as degraded (200), and ready once they are moved', async () => {
    expect((await s.request('GET', '/readyz')).json).toEqual({ status: 'ready' });
    await withChainRefusing(async () => {
      const put = await s.request('PUT', `/v1/tenants/${T}/secrets/k`, { token: s.adminToken, body: { value: `v-${hex(8)}` } });
      if (db.dialect === 'sqlite') {
        expect(put.status).toBe(200);
        const ready = await s.request('GET', '/readyz');
        expect({ status: ready.status, body: ready.json }).toEqual({ status: 200, body: { status: 'degraded', checks: { auditOutbox: 1 } } });
      } else {
        expectErrorBody(put, 503, 'AUDIT_UNAVAILABLE');
        expect((await s.request('GET', '/readyz')).json).toEqual({ status: 'ready' });
      }
    });
    // The next write moves what was held; both writes' events are in the chain, which verifies.
    expect((await s.request('PUT', `/v1/tenants/${T}/secrets/k2`, { token: s.adminToken, body: { value: `v-${hex(8)}` } })).status).toBe(200);
    expect((await s.request('GET', '/readyz')).json).toEqual({ status: 'ready' });
    const writes = (await s.admin.audit.list(T, { action: 'secret.write' })).items.map((e) => e.target).sort();
    expect(writes).toEqual(db.dialect === 'sqlite' ? ['k', 'k2'] : ['k2']);
    expect(await s.admin.audit.verify()).toMatchObject({ ok: true });
  });
});
