/**
 * Signed audit checkpoints (issue 9 §3): the chain head signed with Ed25519 under a key derived
 * from the audit key. Every forgery a database writer (or a root key holder) can make of the
 * log — cut the tail and move the head back, drop an event and re-hash the rest, edit an event,
 * replace the audit keys and pass the log off as an old unkeyed one — is caught against a
 * checkpoint made before it; a third party checks a checkpoint with the public key alone.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash, type AuditKey } from '../src/audit/audit-chain.js';
import { canonicalPayload, CHECKPOINT_FORMAT, parseCheckpoint, verifyCheckpoint, type SignedCheckpoint } from '../src/audit/checkpoints.js';
import { ed25519KeyId, parseEd25519PublicKeys } from '../src/crypto/ed25519.js';
import { AuditKeys } from '../src/keys/audit-keys.js';
import { Keyring } from '../src/keys/keyring.js';
import { fileRootKeyProvider } from '../src/keys/root-key-provider.js';
import { openStore, parseDatabaseUrl } from '../src/store/database.js';
import type { Coffer } from '../src/index.js';
import { forEachBackend, type Backend } from './support/backends.js';
import { expectCode, openCoffer, withRaw, type RawDb } from './helpers.js';

type Row = Record<string, any>;

interface Snapshot {
  events: Row[];
  head: Row;
  keys: Row[];
}

async function appendEvents(c: Coffer, n: number, target = 'k'): Promise<void> {
  for (let i = 0; i < n; i++) await c.audit.append({ actor: 'tok_0000000000000000', action: 'secret.reveal', tenant: 'acme', target: `${target}${i}`, outcome: 'success' });
}

const eventsOf = (db: RawDb): Promise<Row[]> => db.all('select * from audit_events order by seq');

async function snapshot(db: RawDb): Promise<Snapshot> {
  const [head] = await db.all('select seq, hash from audit_head where id = 1');
  return { events: await eventsOf(db), head: head!, keys: await db.all('select * from audit_keys order by version') };
}

async function insertRow(db: RawDb, table: string, row: Row): Promise<void> {
  const cols = Object.keys(row);
  await db.run(`insert into ${table} (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c]));
}

/** Puts the audit log, its head and its keys back exactly as they were. */
async function restore(db: RawDb, snap: Snapshot): Promise<void> {
  await db.run('delete from audit_events');
  for (const r of snap.events) await insertRow(db, 'audit_events', r);
  await db.run('update audit_head set seq = ?, hash = ? where id = 1', [snap.head.seq, snap.head.hash]);
  await db.run('delete from audit_keys');
  for (const k of snap.keys) await insertRow(db, 'audit_keys', k);
}

/**
 * Re-chains `rows` (in order, renumbered from `firstSeq`) after `prev`: the hashes a forger
 * computes, MACed under `key` (a root key holder) or plain SHA-256 (no key). Writes them over
 * the rows with the same ids and moves the head to the last.
 */
async function rechain(db: RawDb, rows: Row[], prev: string, key: AuditKey | undefined): Promise<void> {
  let seq = rows.length > 0 ? Number(rows[0]!.seq) : 0;
  for (const row of rows) {
    const { hash: _h, prev_hash: _p, key_version: _k, ...content } = row;
    const hash = eventHash(prev, { ...content, seq, at: Number(row.at) } as never, key);
    await db.run('update audit_events set seq = ?, target = ?, prev_hash = ?, hash = ?, key_version = ? where id = ?', [seq, row.target, prev, hash, key ? key.version : null, row.id]);
    prev = hash;
    seq += 1;
  }
  await db.run('update audit_head set seq = ?, hash = ? where id = 1', [seq - 1, prev]);
}

/** The plaintext audit key, unwrapped the way createCoffer does it: what a root key holder has. */
async function auditKeyOf(b: Backend): Promise<AuditKey> {
  const store = await openStore(parseDatabaseUrl(b.databaseUrl));
  const keyring = await Keyring.open(store, fileRootKeyProvider(join(b.dataDir, 'root.key')), { createIfMissing: false });
  try {
    const keys = await AuditKeys.open(store, keyring);
    const copy = { version: keys.current.version, key: Buffer.from(keys.current.key) };
    keys.close();
    return copy;
  } finally {
    await store.close();
    keyring.close();
  }
}

/** A checkpoint with one field changed, keeping the rest (signature included) as signed. */
const altered = (c: SignedCheckpoint, change: Partial<SignedCheckpoint>): SignedCheckpoint => ({ ...c, ...change });

forEachBackend('audit checkpoints', (backend) => {
  let coffer: Coffer;
  let outside: string;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
    await coffer.tenants.create('acme');
    await coffer.secrets.put('acme', 'k1', 'value-one-of-some-length');
    await coffer.secrets.reveal('acme', 'k1');
    await appendEvents(coffer, 8);
    outside = mkdtempSync(join(tmpdir(), 'coffer-checkpoints-'));
  });
  afterAll(async () => {
    await coffer?.close();
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  it('signs the head; it verifies with its own key, with the PEM a third party holds, and against the vault', async () => {
    const head = await coffer.checkpoints.head();
    const c = await coffer.checkpoints.create();
    expect(c).toMatchObject({ format: CHECKPOINT_FORMAT, seq: head.seq, hash: head.hash, keyVersion: 1 });
    expect(Date.parse(c.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(c.keyId).toBe(ed25519KeyId(Buffer.from(c.publicKey, 'base64')));

    const [pub] = coffer.checkpoints.publicKeys();
    expect(pub).toMatchObject({ version: 1, keyId: c.keyId, current: true, publicKey: c.publicKey });
    expect(pub!.pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);

    // The third party: the file's text and a PEM received out of band, no vault, no secret.
    const fileText = JSON.stringify(c, null, 2);
    expect(verifyCheckpoint(fileText, parseEd25519PublicKeys(pub!.pem))).toMatchObject({ ok: true, reason: null, trustedKey: true });
    expect(verifyCheckpoint(fileText, parseEd25519PublicKeys(`# audit key v1\n${pub!.publicKey}\n`)).ok).toBe(true);
    expect(verifyCheckpoint(fileText)).toMatchObject({ ok: true, trustedKey: false });

    const v = await coffer.checkpoints.verifyAgainst(c);
    expect(v).toMatchObject({ ok: true, reason: null, problems: [], signatureValid: true, vaultKey: true, anchoredThrough: c.seq, unanchored: 0 });
    expect(v.chain).toMatchObject({ ok: true, checked: c.seq });
  });

  it('events after the checkpoint are reported as unanchored', async () => {
    const c = await coffer.checkpoints.create();
    await appendEvents(coffer, 3, 'later-');
    const v = await coffer.checkpoints.verifyAgainst(c);
    expect(v).toMatchObject({ ok: true, anchoredThrough: c.seq, unanchored: 3, head: { seq: c.seq + 3 } });
  });

  it('the signing key is HKDF-SHA256 of the audit key ("coffer audit checkpoint signing key v1"), the same after a reopen', async () => {
    const auditKey = await auditKeyOf(backend());
    const seed = Buffer.from(hkdfSync('sha256', auditKey.key, Buffer.alloc(0), 'coffer audit checkpoint signing key v1', 32));
    const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
    const raw = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(coffer.checkpoints.publicKeys()[0]!.publicKey).toBe(Buffer.from(raw).toString('base64'));
    // Nothing a checkpoint or the key listing shows holds the audit key or the seed, in any form.
    const shown = JSON.stringify([await coffer.checkpoints.create(), coffer.checkpoints.publicKeys()]);
    for (const secret of [auditKey.key, seed]) for (const form of ['hex', 'base64', 'base64url'] as const) expect(shown.includes(secret.toString(form))).toBe(false);
  });

  it('a checkpoint altered after signing (seq, hash, time, key version) fails its signature, and verifyAgainst says so', async () => {
    const c = await coffer.checkpoints.create();
    const other = 'f'.repeat(64);
    for (const change of [{ seq: c.seq - 1 }, { hash: other }, { at: new Date(0).toISOString() }, { keyVersion: 2 }] as Partial<SignedCheckpoint>[]) {
      const forged = altered(c, change);
      expect(verifyCheckpoint(forged), JSON.stringify(change)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not match/) });
      const v = await coffer.checkpoints.verifyAgainst(forged);
      expect(v).toMatchObject({ ok: false, signatureValid: false, anchoredThrough: null, chain: null });
      expect(v.reason).toMatch(/signature is not valid/);
    }
    // A key id that is not the embedded key's.
    expect(verifyCheckpoint(altered(c, { keyId: '0123456789abcdef' })).reason).toMatch(/key id/);
  });

  it("a checkpoint re-signed with the forger's own key is refused by a third party and by the vault", async () => {
    const c = await coffer.checkpoints.create();
    const trusted = parseEd25519PublicKeys(coffer.checkpoints.publicKeys()[0]!.pem);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
    const payload = { format: CHECKPOINT_FORMAT, seq: c.seq + 50, hash: 'a'.repeat(64), at: c.at, keyVersion: 1, keyId: ed25519KeyId(raw) } as const;
    const forged: SignedCheckpoint = { ...payload, signature: sign(null, canonicalPayload(payload), privateKey).toString('base64'), publicKey: raw.toString('base64') };
    // Self-consistent: only the file's own key vouches for it…
    expect(verifyCheckpoint(forged)).toMatchObject({ ok: true, trustedKey: false });
    // …which a third party holding the real public key refuses…
    expect(verifyCheckpoint(forged, trusted)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a trusted key/) });
    // …and so does the vault: not its key, so nothing is anchored.
    const v = await coffer.checkpoints.verifyAgainst(forged);
    expect(v).toMatchObject({ ok: false, signatureValid: true, vaultKey: false, anchoredThrough: null });
    expect(v.problems).toContainEqual(expect.stringMatching(/this vault's audit key v1 signs as/));
  });

  it('malformed checkpoints are INVALID_ARGUMENT, naming the field and never the value', async () => {
    const c = await coffer.checkpoints.create();
    expect((await expectCode(() => parseCheckpoint('{not json'), 'INVALID_ARGUMENT')).message).toMatch(/not JSON/);
    expect((await expectCode(() => parseCheckpoint({ ...c, extra: 'sk_live_canary' }), 'INVALID_ARGUMENT')).message).not.toContain('sk_live_canary');
    expect((await expectCode(() => parseCheckpoint({ ...c, hash: 'sk_live_canary' }), 'INVALID_ARGUMENT')).message).toMatch(/^Not a Coffer audit checkpoint.*hash: /);
    await expectCode(() => parseCheckpoint({ ...c, format: 'coffer-audit-checkpoint/2' }), 'INVALID_ARGUMENT');
    await expectCode(() => parseCheckpoint({ ...c, seq: -1 }), 'INVALID_ARGUMENT');
    await expectCode(coffer.checkpoints.verifyAgainst({ ...c, signature: 'short' }), 'INVALID_ARGUMENT');
    await expectCode(() => parseEd25519PublicKeys('not a key'), 'INVALID_ARGUMENT');
    await expectCode(() => parseEd25519PublicKeys(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString()), 'INVALID_ARGUMENT');
  });

  describe('forgeries, each caught against a checkpoint made before it', () => {
    let checkpoint: SignedCheckpoint;
    let snap: Snapshot;
    beforeAll(async () => {
      await appendEvents(coffer, 4, 'pre-forgery-');
      checkpoint = await coffer.checkpoints.create();
      await withRaw(backend(), async (db) => (snap = await snapshot(db)));
    });
    const forge = async (tamper: (db: RawDb) => Promise<void>, check: () => Promise<void>) => {
      await withRaw(backend(), async (db) => {
        try {
          await tamper(db);
          await check();
        } finally {
          await restore(db, snap);
        }
      });
      expect((await coffer.checkpoints.verifyAgainst(checkpoint)).ok, 'restored').toBe(true);
    };

    it('the tail dropped and the head moved back: verify alone says intact, the checkpoint names the cut events', async () => {
      const n = checkpoint.seq;
      await forge(
        async (db) => {
          await db.run('delete from audit_events where seq > ?', [n - 3]);
          const [last] = await db.all('select hash from audit_events where seq = ?', [n - 3]);
          await db.run('update audit_head set seq = ?, hash = ? where id = 1', [n - 3, last!.hash]);
        },
        async () => {
          expect((await coffer.audit.verify()).ok, 'the forgery fools verify without a checkpoint').toBe(true);
          const v = await coffer.checkpoints.verifyAgainst(checkpoint);
          expect(v).toMatchObject({ ok: false, anchoredThrough: null, unanchored: 0 });
          expect(v.reason).toBe(`truncated: events ${n - 2} to ${n} were cut (the log ends at event ${n - 3}, the checkpoint covers ${n})`);
          // And no new checkpoint is signed over the cut log.
          await expectCode(coffer.checkpoints.create(), 'AUDIT_CHECKPOINT_MISMATCH');
        },
      );
    });

    it('one event dropped and the rest re-MACed with the real audit key (a root key holder): caught', async () => {
      const key = await auditKeyOf(backend());
      const drop = Math.floor(checkpoint.seq / 2);
      await forge(
        async (db) => {
          const rows = await eventsOf(db);
          await db.run('delete from audit_events where seq = ?', [drop]);
          const rest = rows.filter((r) => Number(r.seq) > drop).map((r) => ({ ...r, seq: Number(r.seq) - 1 }));
          await rechain(db, rest, rows.find((r) => Number(r.seq) === drop - 1)!.hash, key);
        },
        async () => {
          expect((await coffer.audit.verify()).ok, 'the forgery fools verify without a checkpoint').toBe(true);
          const v = await coffer.checkpoints.verifyAgainst(checkpoint);
          expect(v.ok).toBe(false);
          expect(v.reason).toMatch(new RegExp(`^truncated: events ${checkpoint.seq} to ${checkpoint.seq} were cut`));
        },
      );
      // The same, with a forged event appended so the head is back at the checkpoint's seq.
      await forge(
        async (db) => {
          const rows = await eventsOf(db);
          await db.run('delete from audit_events where seq = ?', [drop]);
          const last = rows[rows.length - 1]!;
          await insertRow(db, 'audit_events', { ...last, id: '00000000-0000-4000-8000-000000000000', seq: Number(last.seq) + 1, target: 'filler' });
          const rest = [...rows.filter((r) => Number(r.seq) > drop), { ...last, id: '00000000-0000-4000-8000-000000000000', target: 'filler' }].map((r, i) => ({ ...r, seq: drop + i }));
          await rechain(db, rest, rows.find((r) => Number(r.seq) === drop - 1)!.hash, key);
        },
        async () => {
          expect((await coffer.audit.verify()).ok).toBe(true);
          expect((await coffer.checkpoints.head()).seq).toBe(checkpoint.seq);
          const v = await coffer.checkpoints.verifyAgainst(checkpoint);
          expect(v).toMatchObject({ ok: false, anchoredThrough: null });
          expect(v.reason).toMatch(new RegExp(`^rewritten before the checkpoint: event ${checkpoint.seq} has hash [0-9a-f]{16}…, the checkpoint signed ${checkpoint.hash.slice(0, 16)}…$`));
          await expectCode(coffer.checkpoints.create(), 'AUDIT_CHECKPOINT_MISMATCH');
        },
      );
    });

    it('one event edited: caught by the chain, and, re-MACed by a root key holder, by the hash at the checkpoint', async () => {
      const key = await auditKeyOf(backend());
      const edit = 3;
      await forge(
        (db) => db.run("update audit_events set target = 'forged' where seq = ?", [edit]).then(() => {}),
        async () => {
          const v = await coffer.checkpoints.verifyAgainst(checkpoint);
          expect(v.ok).toBe(false);
          expect(v.reason).toBe(`rewritten before the checkpoint: event ${edit} was altered after it was written`);
        },
      );
      await forge(
        async (db) => {
          const rows = await eventsOf(db);
          const from = rows.filter((r) => Number(r.seq) >= edit).map((r) => (Number(r.seq) === edit ? { ...r, target: 'forged' } : r));
          await rechain(db, from, rows.find((r) => Number(r.seq) === edit - 1)!.hash, key);
        },
        async () => {
          expect((await coffer.audit.verify()).ok).toBe(true);
          const v = await coffer.checkpoints.verifyAgainst(checkpoint);
          expect(v.ok).toBe(false);
          expect(v.reason).toMatch(new RegExp(`^rewritten before the checkpoint: event ${checkpoint.seq} has hash`));
        },
      );
    });

    it('the audit keys deleted and the whole log re-hashed as plain SHA-256: verify says intact, the checkpoint does not', async () => {
      const trusted = parseEd25519PublicKeys(coffer.checkpoints.publicKeys()[0]!.pem);
      await coffer.close();
      try {
        await withRaw(backend(), async (db) => {
          try {
            await db.run('delete from audit_keys');
            const rows = (await eventsOf(db)).map((r) => ({ ...r, target: Number(r.seq) === 2 ? 'forged' : r.target }));
            await rechain(db, rows, '0'.repeat(64), undefined);
            // The vault opens and makes itself a new audit key, as for a log from before audit keys.
            const reopened = await openCoffer(backend());
            try {
              const chain = await reopened.audit.verify();
              expect(chain.ok, 'the known gap: it looks like an old unkeyed log').toBe(true);
              expect(chain.segments).toEqual([{ from: 1, to: checkpoint.seq, keyed: false }]);
              const v = await reopened.checkpoints.verifyAgainst(checkpoint, { trustedPublicKeys: trusted });
              expect(v).toMatchObject({ ok: false, signatureValid: true, vaultKey: false, anchoredThrough: null });
              expect(v.problems[0]).toMatch(new RegExp(`^rewritten before the checkpoint: event ${checkpoint.seq} has hash`));
              expect(v.problems[1]).toMatch(/audit keys were replaced/);
              // New checkpoints come with a new key id, which a third party holding the old key refuses.
              const next = await reopened.checkpoints.create();
              expect(next.keyId).not.toBe(checkpoint.keyId);
              expect(verifyCheckpoint(next, trusted).ok).toBe(false);
            } finally {
              await reopened.close();
            }
          } finally {
            await restore(db, snap);
          }
        });
      } finally {
        coffer = await openCoffer(backend());
      }
      expect((await coffer.checkpoints.verifyAgainst(checkpoint)).ok).toBe(true);
    });
  });

  it('a root rotation and the retirement of the old root key: the signing key and every checkpoint stay valid', async () => {
    const before = await coffer.checkpoints.create();
    const keyBefore = coffer.checkpoints.publicKeys();
    const { previousKeyId } = await coffer.keys.rotateRootKey();
    await coffer.keys.retire(previousKeyId);
    await coffer.secrets.reveal('acme', 'k1');
    await appendEvents(coffer, 2, 'after-rotation-');
    const after = await coffer.checkpoints.create();
    await coffer.close();
    coffer = await openCoffer(backend());
    expect(coffer.checkpoints.publicKeys()).toEqual(keyBefore);
    expect(after.keyId).toBe(before.keyId);
    const v1 = await coffer.checkpoints.verifyAgainst(before);
    const v2 = await coffer.checkpoints.verifyAgainst(after);
    expect(v1).toMatchObject({ ok: true, anchoredThrough: before.seq, unanchored: after.seq - before.seq });
    expect(v2).toMatchObject({ ok: true, anchoredThrough: after.seq, unanchored: 0 });
    expect(v2.chain!.segments).toEqual([{ from: 1, to: after.seq, keyed: true, keyVersion: 1 }]);
  });

  describe('files', () => {
    it('writeTo writes checkpoint-<seq>-<time>.json atomically, mode 0600; newest() finds the newest', async () => {
      const dir = join(outside, 'new', 'nested');
      const first = await coffer.checkpoints.writeTo(dir);
      await appendEvents(coffer, 1, 'file-');
      const second = await coffer.checkpoints.writeTo(dir);
      const names = readdirSync(dir).sort();
      expect(names).toEqual([first.file, second.file].map((f) => f.slice(dir.length + 1)).sort());
      expect(names.every((n) => /^checkpoint-\d{12}-\d{8}T\d{9}Z\.json$/.test(n))).toBe(true);
      expect(first.file).toContain(`checkpoint-${String(first.checkpoint.seq).padStart(12, '0')}-`);
      expect(statSync(second.file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(second.file, 'utf8'))).toEqual(second.checkpoint);
      // A stray file is passed over.
      writeFileSync(join(dir, 'checkpoint-999999999999-20990101T000000000Z.json'), 'garbage');
      expect(await coffer.checkpoints.newest(dir)).toEqual(second);
      expect((await coffer.checkpoints.verifyAgainst(readFileSync(second.file, 'utf8'))).ok).toBe(true);
    });

    it('refuses a directory inside the data directory, directly or through a symlink (CONFIG_INVALID)', async () => {
      const dataDir = backend().dataDir;
      const inside = await expectCode(coffer.checkpoints.writeTo(join(dataDir, 'checkpoints')), 'CONFIG_INVALID');
      expect(inside.message).toMatch(/can be rewritten along with it/);
      await expectCode(coffer.checkpoints.writeTo(dataDir), 'CONFIG_INVALID');
      await expectCode(coffer.checkpoints.writeTo(join(dataDir, '..hidden')), 'CONFIG_INVALID');
      const link = join(outside, 'link-into-data');
      symlinkSync(dataDir, link);
      await expectCode(coffer.checkpoints.writeTo(join(link, 'sub')), 'CONFIG_INVALID');
      // A sibling whose name merely starts with the data directory's is fine.
      const sibling = `${dataDir}-checkpoints`;
      mkdirSync(sibling);
      try {
        expect((await coffer.checkpoints.writeTo(sibling)).file.startsWith(sibling)).toBe(true);
      } finally {
        rmSync(sibling, { recursive: true, force: true });
      }
    });

    it('a reopened vault takes the newest checkpoint it signed in the directory as the one to extend', async () => {
      const dir = join(outside, 'anchor');
      const written = await coffer.checkpoints.writeTo(dir);
      // A planted file of another key, far ahead, is no anchor.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = Buffer.from(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
      const payload = { format: CHECKPOINT_FORMAT, seq: written.checkpoint.seq + 1000, hash: 'b'.repeat(64), at: written.checkpoint.at, keyVersion: 1, keyId: ed25519KeyId(raw) } as const;
      writeFileSync(join(dir, `checkpoint-${String(payload.seq).padStart(12, '0')}-20990101T000000000Z.json`), JSON.stringify({ ...payload, signature: sign(null, canonicalPayload(payload), privateKey).toString('base64'), publicKey: raw.toString('base64') }));
      await coffer.close();
      coffer = await openCoffer(backend());
      await withRaw(backend(), async (db) => {
        const snap = await snapshot(db);
        try {
          // Cut the last event: the fresh process finds its own newest checkpoint and refuses to sign.
          const n = written.checkpoint.seq;
          await db.run('delete from audit_events where seq = ?', [n]);
          const [last] = await db.all('select hash from audit_events where seq = ?', [n - 1]);
          await db.run('update audit_head set seq = ?, hash = ? where id = 1', [n - 1, last!.hash]);
          const refused = await expectCode(coffer.checkpoints.writeTo(dir), 'AUDIT_CHECKPOINT_MISMATCH');
          expect(refused.message).toMatch(new RegExp(`ends at event ${n - 1}, before the last checkpoint \\(event ${n}\\)`));
        } finally {
          await restore(db, snap);
        }
      });
      const next = await coffer.checkpoints.writeTo(dir);
      expect(next.checkpoint.seq).toBe(written.checkpoint.seq);
      expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    });
  });
});
