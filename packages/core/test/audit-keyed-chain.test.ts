/**
 * The keyed audit chain: events are HMAC-SHA-256 under an audit key wrapped by the root key, so
 * someone who can write the database (but holds no root key) cannot re-hash an edited chain the
 * way plain SHA-256 allowed. A log from before audit keys migrates forward: its first keyed event
 * MACs the last SHA-256 head, and verify labels the earlier events as an unkeyed segment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash } from '../src/audit/audit-chain.js';
import { AuditLog } from '../src/audit/audit-log.js';
import { AuditKeys } from '../src/keys/audit-keys.js';
import { Keyring } from '../src/keys/keyring.js';
import { fileRootKeyProvider, staticRootKeyProvider } from '../src/keys/root-key-provider.js';
import { generateKey } from '../src/crypto/key-check.js';
import { auditFileFor, openStore, parseDatabaseUrl } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrations/index.js';
import type { Coffer } from '../src/index.js';
import { forEachBackend, makeBackend, type Backend } from './support/backends.js';
import { expectCode, openCoffer, rawDb, withRaw, type RawDb } from './helpers.js';

type Row = Record<string, any>;

/** Appends `n` events the way the server and CLI do (independent of which library calls audit themselves). */
async function appendEvents(c: Coffer, n: number, target = 'k'): Promise<void> {
  for (let i = 0; i < n; i++) await c.audit.append({ actor: 'tok_0000000000000000', action: 'secret.reveal', tenant: 'acme', target: `${target}${i}`, outcome: 'success' });
}

const rowsOf = (db: RawDb): Promise<Row[]> => db.all('select * from audit_events order by seq');

/** What an attacker without the root key can do: recompute plain SHA-256 hashes from `fromSeq` on and move the head. */
async function rehashPlain(db: RawDb, fromSeq: number, edit: (row: Row) => void, options: { dropKeyVersion: boolean }): Promise<void> {
  const rows = await rowsOf(db);
  let prev = fromSeq === 1 ? '0'.repeat(64) : rows.find((r) => Number(r.seq) === fromSeq - 1)!.hash;
  for (const row of rows.filter((r) => Number(r.seq) >= fromSeq)) {
    if (Number(row.seq) === fromSeq) edit(row);
    const { hash: _h, prev_hash: _p, key_version: _k, ...content } = row;
    const hash = eventHash(prev, { ...content, seq: Number(row.seq), at: Number(row.at) } as never);
    await db.run(`update audit_events set target = ?, prev_hash = ?, hash = ?${options.dropKeyVersion ? ', key_version = null' : ''} where seq = ?`, [row.target, prev, hash, row.seq]);
    prev = hash;
  }
  await db.run('update audit_head set hash = ? where id = 1', [prev]);
}

/** Puts every event and the head back as they were. */
async function restore(db: RawDb, rows: Row[]): Promise<void> {
  for (const r of rows) await db.run('update audit_events set target = ?, prev_hash = ?, hash = ?, key_version = ? where seq = ?', [r.target, r.prev_hash, r.hash, r.key_version, r.seq]);
  const last = rows[rows.length - 1]!;
  await db.run('update audit_head set seq = ?, hash = ? where id = 1', [last.seq, last.hash]);
}

/** The plaintext audit keys of a vault, copied out (for the scan); opened the way createCoffer opens them. */
async function plaintextAuditKeys(b: Backend): Promise<Buffer[]> {
  const store = await openStore(parseDatabaseUrl(b.databaseUrl));
  const keyring = await Keyring.open(store, fileRootKeyProvider(join(b.dataDir, 'root.key')), { createIfMissing: false });
  try {
    const keys = await AuditKeys.open(store, keyring);
    const copy = Buffer.from(keys.current.key);
    keys.close();
    expect(keys.current.key.equals(Buffer.alloc(32)), 'zeroed at close').toBe(true);
    return [copy];
  } finally {
    await store.close();
    keyring.close();
  }
}

forEachBackend('keyed audit chain', (backend) => {
  let coffer: Coffer;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
    await coffer.tenants.create('acme');
    for (let i = 0; i < 4; i++) await coffer.secrets.put('acme', `k${i}`, `value-${i}-${'x'.repeat(20)}`);
    await coffer.secrets.reveal('acme', 'k1');
    await appendEvents(coffer, 6);
  });
  afterAll(async () => coffer?.close());

  it('a new vault is keyed from its first event, and verifies', async () => {
    const result = await coffer.audit.verify();
    expect(result.ok).toBe(true);
    expect(result.segments).toEqual([{ from: 1, to: result.checked, keyed: true, keyVersion: 1 }]);
    await withRaw(backend(), async (db) => {
      const rows = await rowsOf(db);
      expect(rows.length).toBe(result.checked);
      expect(rows.every((r) => Number(r.key_version) === 1)).toBe(true);
      const keys = await db.all('select version, first_seq from audit_keys');
      expect(keys.map((k) => [Number(k.version), Number(k.first_seq)])).toEqual([[1, 0]]);
    });
  });

  it('an event rewritten and re-hashed with plain SHA-256 (as one could before) is detected', async () => {
    await withRaw(backend(), async (db) => {
      const original = await rowsOf(db);
      const mid = Number(original[Math.floor(original.length / 2)]!.seq);
      try {
        // Keeping the key version: the hash is no longer the MAC under that key.
        await rehashPlain(db, mid, (r) => (r.target = 'forged'), { dropKeyVersion: false });
        expect((await coffer.audit.verify()).firstBroken).toEqual({ seq: mid, reason: expect.stringMatching(/altered/) });
        await restore(db, original);
        // Dropping the key version to pass as the older SHA-256 log: refused after the keyed start.
        await rehashPlain(db, mid, (r) => (r.target = 'forged'), { dropKeyVersion: true });
        expect((await coffer.audit.verify()).firstBroken).toEqual({ seq: mid, reason: expect.stringMatching(/not keyed/) });
        await restore(db, original);
        // The whole log rewritten as plain SHA-256 from the genesis: refused at its first event.
        await rehashPlain(db, 1, (r) => (r.target = 'forged'), { dropKeyVersion: true });
        expect((await coffer.audit.verify()).firstBroken).toEqual({ seq: 1, reason: expect.stringMatching(/not keyed/) });
      } finally {
        await restore(db, original);
      }
      expect((await coffer.audit.verify()).ok).toBe(true);
    });
  });

  it('an event claiming an audit key version that does not exist is refused', async () => {
    await withRaw(backend(), async (db) => {
      const [first] = await rowsOf(db);
      await db.run('update audit_events set key_version = 7 where seq = ?', [first!.seq]);
      try {
        expect((await coffer.audit.verify()).firstBroken).toEqual({ seq: 1, reason: expect.stringMatching(/audit key version 7/) });
      } finally {
        await db.run('update audit_events set key_version = ? where seq = ?', [first!.key_version, first!.seq]);
      }
    });
  });

  it('a root rotation and the retirement of the old root key keep every segment verifiable', async () => {
    const before = await coffer.audit.verify();
    const { previousKeyId } = await coffer.keys.rotateRootKey();
    await withRaw(backend(), async (db) => {
      const roots = await db.all('select id from root_keys where state = ?', ['current']);
      const audit = await db.all('select root_key_id from audit_keys');
      expect(audit.map((a) => Number(a.root_key_id))).toEqual([Number(roots[0]!.id)]);
    });
    await coffer.keys.retire(previousKeyId);
    await coffer.secrets.reveal('acme', 'k2');
    await appendEvents(coffer, 2, 'after-rotation-');
    await coffer.close();
    coffer = await openCoffer(backend());
    const after = await coffer.audit.verify();
    expect(after.ok).toBe(true);
    expect(after.checked).toBeGreaterThan(before.checked);
    expect(after.segments).toEqual([{ from: 1, to: after.checked, keyed: true, keyVersion: 1 }]);
  });

  it('a root key that still wraps the audit key cannot be retired', async () => {
    const { previousKeyId } = await coffer.keys.rotateRootKey();
    // Put the audit key back under the old root key (as an interrupted rewrap would leave it).
    await withRaw(backend(), async (db) => {
      const old = Number.parseInt(previousKeyId.slice('root/'.length), 16);
      const current = await db.all('select id from root_keys where state = ?', ['current']);
      expect(await db.run('update audit_keys set root_key_id = ?', [old])).toBe(1);
      try {
        await expectCode(coffer.keys.retire(previousKeyId), 'KEY_IN_USE');
      } finally {
        await db.run('update audit_keys set root_key_id = ?', [Number(current[0]!.id)]);
      }
    });
    await coffer.keys.retire(previousKeyId);
    expect((await coffer.audit.verify()).ok).toBe(true);
  });

  it('moving the keyed start (first_seq) in the database stops the vault from opening', async () => {
    await coffer.close();
    await withRaw(backend(), (db) => db.run('update audit_keys set first_seq = first_seq + 3'));
    try {
      await expectCode(openCoffer(backend()), 'DECRYPTION_FAILED');
    } finally {
      await withRaw(backend(), (db) => db.run('update audit_keys set first_seq = first_seq - 3'));
      coffer = await openCoffer(backend());
    }
    expect((await coffer.audit.verify()).ok).toBe(true);
  });

  it('the audit key never appears in the database in plaintext', async () => {
    await coffer.close();
    const keys = await plaintextAuditKeys(backend());
    coffer = await openCoffer(backend());
    const forms = keys.flatMap((k) => [k, Buffer.from(k.toString('hex')), Buffer.from(k.toString('base64')), Buffer.from(k.toString('base64url'))]);
    const b = backend();
    const location = parseDatabaseUrl(b.databaseUrl);
    const hits: string[] = [];
    if (location.dialect === 'sqlite') {
      for (const file of [location.target, auditFileFor(location.target)]) {
        for (const f of [file, `${file}-wal`, `${file}-shm`]) {
          if (!existsSync(f)) continue;
          const bytes = readFileSync(f);
          forms.forEach((form, i) => bytes.includes(form) && hits.push(`form ${i} in ${f}`));
        }
      }
    } else {
      const db = await rawDb(b);
      try {
        const tables = await db.all<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'");
        expect(tables.map((t) => t.table_name)).toContain('audit_keys');
        for (const { table_name } of tables) {
          for (const row of await db.all(`select * from "${table_name}"`)) {
            for (const value of Object.values(row)) {
              if (value === null || value === undefined) continue;
              const bytes = Buffer.isBuffer(value) ? Buffer.concat([value, Buffer.from(value.toString('hex'))]) : Buffer.from(typeof value === 'object' ? JSON.stringify(value) : String(value));
              forms.forEach((form, i) => bytes.includes(form) && hits.push(`form ${i} in ${table_name}`));
            }
          }
        }
      } finally {
        await db.close();
      }
    }
    expect(hits).toEqual([]);
  });

  describe('a log from before audit keys', () => {
    let legacy: Backend & { dispose(): Promise<void> };
    const rootKey = generateKey();
    beforeAll(async () => {
      legacy = await makeBackend(backend().name);
      // The older writer: plain SHA-256 events, no audit key.
      const store = await openStore(parseDatabaseUrl(legacy.databaseUrl));
      try {
        await migrateToLatest(store.db, store.dialect);
        const keyring = await Keyring.open(store, staticRootKeyProvider(rootKey), { createIfMissing: true });
        keyring.close();
        const log = new AuditLog(store);
        for (let i = 0; i < 3; i++) await log.append({ actor: 'cli:old', action: 'secret.reveal', tenant: 'acme', target: `old-${i}`, outcome: 'success' });
        const before = await log.verify();
        expect(before).toMatchObject({ ok: true, checked: 3, segments: [{ from: 1, to: 3, keyed: false }] });
      } finally {
        await store.close();
      }
    });
    afterAll(async () => legacy?.dispose());

    it('migrates forward: the first keyed event MACs the last SHA-256 head; verify reports both segments', async () => {
      const c = await openCoffer(legacy, { rootKey });
      try {
        await c.tenants.create('acme');
        await c.secrets.put('acme', 'k', 'a value of some length');
        await c.secrets.reveal('acme', 'k');
        await appendEvents(c, 3);
        const result = await c.audit.verify();
        expect(result.ok).toBe(true);
        expect(result.segments).toEqual([
          { from: 1, to: 3, keyed: false },
          { from: 4, to: result.checked, keyed: true, keyVersion: 1 },
        ]);
        await withRaw(legacy, async (db) => {
          const rows = await rowsOf(db);
          expect(rows[3]!.prev_hash).toBe(rows[2]!.hash);
          expect(rows.map((r) => (r.key_version === null ? null : Number(r.key_version)))).toEqual([null, null, null, ...rows.slice(3).map(() => 1)]);
          const keys = await db.all('select first_seq from audit_keys');
          expect(keys.map((k) => Number(k.first_seq))).toEqual([3]);

          // The unkeyed segment is anchored by the first keyed event: re-hashing it breaks the MAC there.
          const original = rows;
          try {
            await rehashPlain(db, 2, (r) => (r.target = 'forged'), { dropKeyVersion: false });
            const broken = await c.audit.verify();
            expect(broken.ok).toBe(false);
            expect(broken.firstBroken!.seq).toBe(4);
          } finally {
            await restore(db, original);
          }
        });
        expect((await c.audit.verify()).ok).toBe(true);
      } finally {
        await c.close();
      }
      // Reopened: the same key, the same segments.
      const again = await openCoffer(legacy, { rootKey });
      try {
        expect((await again.audit.verify()).segments.map((s) => s.keyed)).toEqual([false, true]);
      } finally {
        await again.close();
      }
    });
  });
});
