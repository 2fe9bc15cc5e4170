/**
 * A write that makes a secret exceed its kept number of versions destroys the oldest ones:
 * the write says which (`destroyedVersions`), and each destroyed version gets an event of its
 * own (`secret.version.destroy`, reason `max_versions`) from the same caller, in the same
 * transaction. Lowering `maxVersions` can destroy several at once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Coffer } from '../src/index.js';
import type { Store } from '../src/store/database.js';
import { forEachBackend } from './support/backends.js';
import { expectCode, openCoffer, secretIdOf, tenantId, withRaw } from './helpers.js';
import { withAuditRefused } from './support/audit-refused.js';

/** The caller of the writes (as the server names a request's token, address and id). */
const CALLER = { actor: 'tok_0123456789abcdef', ip: '192.0.2.7', requestId: 'req-max-versions' };

forEachBackend('maxVersions destroys old versions, says so and audits each', (backend) => {
  let coffer: Coffer;
  let caller: Coffer;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
    caller = coffer.as(CALLER);
  });
  afterAll(async () => coffer?.close());

  const stored = (t: string, name: string) =>
    withRaw(backend(), async (db) => {
      const id = await secretIdOf(db, t, name);
      return (await db.all<{ version: number }>('select version from secret_versions where secret_id = ? order by version', [id])).map((r) => r.version);
    });
  const destroyEvents = async (t: string) => (await coffer.audit.list({ tenant: t, action: 'secret.version.destroy', limit: 1000 })).items.reverse();

  it('lowering maxVersions reports every destroyed version and audits each one, by the writing caller', async () => {
    const t = tenantId('mv');
    await coffer.tenants.create(t);
    for (let v = 1; v <= 6; v++) expect((await caller.secrets.put(t, 'k', `value-${v}`)).destroyedVersions).toBeUndefined();
    expect(await destroyEvents(t)).toEqual([]);

    const lowered = await caller.secrets.put(t, 'k', 'value-7', { maxVersions: 2 });
    expect(lowered).toMatchObject({ name: 'k', version: 7, destroyedVersions: [1, 2, 3, 4, 5] });
    expect(await stored(t, 'k')).toEqual([6, 7]);

    const events = await destroyEvents(t);
    expect(events.map((e) => e.details.version)).toEqual([1, 2, 3, 4, 5]);
    for (const e of events) {
      expect(e).toMatchObject({ actor: 'tok_0123456789abcdef', action: 'secret.version.destroy', tenant: t, target: 'k', outcome: 'success', ip: '192.0.2.7', requestId: 'req-max-versions' });
      expect(e.details).toEqual({ version: expect.any(Number), reason: 'max_versions', maxVersions: 2 });
    }
    // The write's own event is there too, and the chain holds.
    const writes = (await coffer.audit.list({ tenant: t, action: 'secret.write', limit: 1000 })).items;
    expect(writes.map((e) => e.details.version)).toContain(7);
    expect((await coffer.audit.verify()).ok).toBe(true);
  });

  it('an ordinary write past the limit destroys and audits the oldest version; earlier writes destroy nothing', async () => {
    const t = tenantId('mv');
    await coffer.tenants.create(t);
    const results = [];
    for (let v = 1; v <= 4; v++) results.push(await caller.secrets.put(t, 'roll', `r-${v}`, { maxVersions: 2 }));
    expect(results.map((r) => r.destroyedVersions)).toEqual([undefined, undefined, [1], [2]]);
    expect((await destroyEvents(t)).map((e) => [e.target, e.details.version, e.details.reason])).toEqual([
      ['roll', 1, 'max_versions'],
      ['roll', 2, 'max_versions'],
    ]);
  });

  it('counts deleted versions as destroyed, but not versions destroyed before', async () => {
    const t = tenantId('mv');
    await coffer.tenants.create(t);
    for (let v = 1; v <= 4; v++) await coffer.secrets.put(t, 'mixed', `m-${v}`);
    await coffer.secrets.destroy(t, 'mixed', { versions: [1] });
    await coffer.secrets.delete(t, 'mixed', { versions: [2] });
    const r = await caller.secrets.put(t, 'mixed', 'm-5', { maxVersions: 1 });
    expect(r.destroyedVersions).toEqual([2, 3, 4]);
    expect(await stored(t, 'mixed')).toEqual([5]);
    expect((await destroyEvents(t)).map((e) => e.details.version)).toEqual([2, 3, 4]);
  });

  it('a write on the plain vault (an embedding application) reports what it destroyed and audits each as actor library', async () => {
    const t = tenantId('mv');
    await coffer.tenants.create(t);
    for (let v = 1; v <= 3; v++) await coffer.secrets.put(t, 'quiet', `q-${v}`);
    expect((await coffer.secrets.put(t, 'quiet', 'q-4', { maxVersions: 1 })).destroyedVersions).toEqual([1, 2, 3]);
    expect((await destroyEvents(t)).map((e) => [e.actor, e.details.version])).toEqual([
      ['library', 1],
      ['library', 2],
      ['library', 3],
    ]);
  });

  it('a write whose events cannot be written destroys nothing (one transaction)', async () => {
    const t = tenantId('mv');
    await coffer.tenants.create(t);
    for (let v = 1; v <= 3; v++) await coffer.secrets.put(t, 'atomic', `a-${v}`);
    await withAuditRefused(backend(), () => expectCode(caller.secrets.put(t, 'atomic', 'a-4', { maxVersions: 1 }), 'AUDIT_UNAVAILABLE'));
    expect(await stored(t, 'atomic')).toEqual([1, 2, 3]);
    expect(await destroyEvents(t)).toEqual([]);
  });

  it('putManyWithin (the refresh job\'s batch write) reports destroyed versions with the last write of each secret', async () => {
    const t = tenantId('mv');
    await coffer.tenants.create(t);
    for (let v = 1; v <= 2; v++) await coffer.secrets.put(t, 'batch-a', `a-${v}`, { maxVersions: 2 });
    await coffer.secrets.put(t, 'batch-b', 'b-1');
    // Internal: the store is not public; the batch write runs in the caller's transaction.
    const store = (coffer.secrets as unknown as { store: Store }).store;
    const results = await store.writeTransaction((trx) =>
      coffer.secrets.putManyWithin(trx, [
        { tenant: t, name: 'batch-a', value: 'a-3' },
        { tenant: t, name: 'batch-b', value: 'b-2' },
        { tenant: t, name: 'batch-a', value: 'a-4' },
      ]),
    );
    expect(results.map((r) => [r.name, r.version, r.destroyedVersions])).toEqual([
      ['batch-a', 3, undefined],
      ['batch-b', 2, undefined],
      ['batch-a', 4, [1, 2]],
    ]);
    expect(await stored(t, 'batch-a')).toEqual([3, 4]);
  });
});
