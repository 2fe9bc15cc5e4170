/**
 * No plaintext at rest: distinctive canary values go through every write path (strings, JSON
 * fields, short and long, many versions, key rotation and rewrap, delete, destroy, pruning,
 * tenant deletion), then the raw storage is searched for them: the SQLite file with its -wal
 * and -shm, or every row of every table in PostgreSQL. Masked output must not carry them either.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDatabaseUrl, type Coffer } from '../src/index.js';
import { forEachBackend, type Backend } from './support/backends.js';
import { errorText, expectCode, openCoffer, rawDb } from './helpers.js';
import { needles } from './canary-forms.js';

/** A canary: unique, recognisable, and with no prefix the masking would reveal. */
const canary = (bytes = 12) => `CANARY-${randomBytes(bytes).toString('hex').toUpperCase()}`;

function findCanaries(haystack: Buffer, canaries: string[], where: string): string[] {
  const hits: string[] = [];
  for (const c of canaries) for (const n of needles(c)) if (haystack.includes(n.bytes)) hits.push(`${c} as ${n.form} in ${where}`);
  return hits;
}

forEachBackend('canary', (backend) => {
  let coffer: Coffer;
  const canaries: string[] = [];
  const track = (c: string) => (canaries.push(c), c);
  const t1 = 'canary-tenant';
  const t2 = 'canary-other';
  const gone = 'canary-gone';
  const listed: unknown[] = [];
  let afterRotation = '';

  beforeAll(async () => {
    coffer = await openCoffer(backend());
    for (const t of [t1, t2, gone]) await coffer.tenants.create(t);

    // strings, short (< 16 chars: fully masked) and long, over several versions
    for (let v = 0; v < 5; v++) {
      await coffer.secrets.put(t1, 'short', track(`CANARY-${randomBytes(3).toString('hex')}`)); // 13 chars
      await coffer.secrets.put(t1, 'long', track(canary(24)));
      await coffer.secrets.put(t1, 'prefixed', `sk_live_${track(canary(16))}`);
    }
    // a large value with canaries inside
    const big = [track(canary()), 'x'.repeat(30_000), track(canary()), randomBytes(8_000).toString('hex'), track(canary())].join('|');
    await coffer.secrets.put(t1, 'big', big);
    // JSON fields
    for (let v = 0; v < 3; v++) {
      await coffer.secrets.put(t1, 'oauth', { client_id: track(canary(8)), client_secret: track(canary(20)), port: 443, enabled: true }, { type: 'oauth2' });
      await coffer.secrets.put(t2, 'db', { username: track(canary(6)), password: track(canary(30)) }, { type: 'basic' });
    }
    // pruned versions
    for (let v = 0; v < 5; v++) await coffer.secrets.put(t2, 'pruned', track(canary()), { maxVersions: 2 });

    // rotation and rewrap, then more writes under the new key
    await coffer.keys.rotateTenantKey(t1);
    await coffer.keys.rewrapTenant(t1, { batchSize: 4 });
    await coffer.secrets.put(t1, 'long', track(canary(24)));
    afterRotation = track(canary());
    await coffer.secrets.put(t1, 'after-rotation', afterRotation);
    await coffer.keys.retire(`${t1}/v1`);

    // delete and destroy
    await coffer.secrets.put(t2, 'deleted', track(canary()));
    await coffer.secrets.put(t2, 'deleted', track(canary()));
    await coffer.secrets.delete(t2, 'deleted', { versions: [1] });
    await coffer.secrets.put(t2, 'destroyed', track(canary()));
    await coffer.secrets.put(t2, 'destroyed', track(canary()));
    await coffer.secrets.destroy(t2, 'destroyed', { versions: [1] });
    await coffer.secrets.put(t2, 'destroyed-all', { token: track(canary()) });
    await coffer.secrets.destroy(t2, 'destroyed-all');

    // a deleted tenant
    await coffer.secrets.put(gone, 'k', track(canary()));
    await coffer.secrets.put(gone, 'k', { f: track(canary()) });

    // refused writes must not leave anything either
    const refused = track(canary());
    const err = await expectCode(coffer.secrets.put(t1, 'too-big', `${refused}${'y'.repeat(70_000)}`), 'SECRET_VALUE_TOO_LARGE');
    expect(errorText(err)).not.toContain(refused);
    const casRefused = track(canary());
    const cas = await expectCode(coffer.secrets.put(t1, 'long', casRefused, { cas: 1 }), 'CAS_MISMATCH');
    expect(errorText(cas)).not.toContain(casRefused);

    // masked output, collected before the tenant is deleted
    for (const t of [t1, t2, gone]) {
      const page = await coffer.secrets.list(t);
      listed.push(page);
      for (const item of page.items) {
        listed.push(await coffer.secrets.get(t, item.name));
        listed.push(await coffer.secrets.versions(t, item.name));
      }
    }
    await coffer.tenants.delete(gone);
    expect(canaries.length).toBeGreaterThan(40);
  });
  afterAll(async () => coffer?.close());

  it('the canaries are really stored (sanity)', async () => {
    expect((await coffer.secrets.reveal(t1, 'after-rotation')).value).toBe(afterRotation);
    const big = (await coffer.secrets.reveal(t1, 'big')).value as string;
    expect(big.length).toBeGreaterThan(40_000);
    expect(canaries.some((c) => big.includes(c))).toBe(true);
    const db = (await coffer.secrets.reveal(t2, 'db')).value as Record<string, string>;
    expect(canaries).toContain(db.password);
  });

  it('masked output never contains a full canary', () => {
    const text = JSON.stringify(listed);
    expect(text.length).toBeGreaterThan(1000);
    const hits = canaries.filter((c) => text.includes(c));
    expect(hits).toEqual([]);
    // and the canary body (without the "CANARY-" prefix) does not appear either
    expect(canaries.filter((c) => text.includes(c.slice('CANARY-'.length)))).toEqual([]);
  });

  /** Searches the raw storage for `list`; returns the hits. */
  async function scan(list: string[], opts: { reopen?: boolean } = {}): Promise<string[]> {
    const b: Backend = backend();
    if (b.name === 'sqlite') {
      const file = parseDatabaseUrl(b.databaseUrl).target;
      const inspect = () => {
        const hits: string[] = [];
        let bytes = 0;
        for (const suffix of ['', '-wal', '-shm', '-journal']) {
          const path = `${file}${suffix}`;
          if (!existsSync(path)) continue;
          const data = readFileSync(path);
          bytes += data.length;
          hits.push(...findCanaries(data, list, `coffer.db${suffix}`));
        }
        expect(bytes).toBeGreaterThan(50_000);
        return hits;
      };
      // while the vault is open: the WAL may still hold pages not yet checkpointed
      const hits = inspect();
      if (opts.reopen) {
        // and after the last connection closed (checkpointed into the main file)
        await coffer.close();
        hits.push(...inspect());
        coffer = await openCoffer(b);
      }
      return hits;
    }
    const db = await rawDb(b);
    try {
      const tables = await db.all<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'");
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['secrets', 'secret_versions', 'tenant_keys', 'tenants', 'root_keys']));
      const chunks: Buffer[] = [];
      let rows = 0;
      for (const { table_name } of tables) {
        for (const row of await db.all(`select * from "${table_name}"`)) {
          rows++;
          for (const value of Object.values(row)) {
            if (value === null || value === undefined) continue;
            if (Buffer.isBuffer(value)) {
              chunks.push(value, Buffer.from(value.toString('hex')), Buffer.from(value.toString('utf8')), Buffer.from(value.toString('latin1')));
            } else {
              chunks.push(Buffer.from(typeof value === 'object' ? JSON.stringify(value) : String(value)));
            }
          }
        }
        // the whole rows as PostgreSQL renders them as text, too
        for (const row of await db.all<{ t: string }>(`select t::text as t from "${table_name}" t`)) chunks.push(Buffer.from(row.t));
      }
      expect(rows).toBeGreaterThan(30);
      return findCanaries(Buffer.concat(chunks.flatMap((c) => [c, Buffer.from([0])])), list, 'PostgreSQL rows');
    } finally {
      await db.close();
    }
  }

  it('no canary is stored in plaintext or a plain encoding', async () => {
    expect(await scan(canaries, { reopen: true })).toEqual([]);
  });

  it('control: the scan does find a canary that is stored in the clear (metadata)', async () => {
    const visible = canary();
    await coffer.secrets.put(t2, 'control', 'not a canary', { metadata: { note: visible } });
    const hits = await scan([visible]);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.some((h) => h.includes('as utf8'))).toBe(true);
    // the real canaries are still absent after this write
    expect(await scan(canaries)).toEqual([]);
  });

  it('the canaries are still readable where they should be, and gone where they should be', async () => {
    expect((await coffer.secrets.reveal(t2, 'deleted', { version: 2 })).value).toMatch(/^CANARY-/);
    await expectCode(coffer.secrets.reveal(t2, 'destroyed', { version: 1 }), 'SECRET_VERSION_DESTROYED');
    await expectCode(coffer.secrets.reveal(t2, 'pruned', { version: 1 }), 'SECRET_VERSION_NOT_FOUND');
    await expectCode(coffer.secrets.reveal(gone, 'k'), 'TENANT_NOT_FOUND');
  });
});
