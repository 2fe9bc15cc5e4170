/**
 * The key hierarchy under load of real databases: tenant key rotation, rewrap (batched,
 * resumable), retirement, root key rotation with the key file and with supplied keys, crash
 * recovery of a file rotation, and the start-up checks of the root key.
 */
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileRootKeyProvider, formatRootKeyId, generateKey, type Coffer } from '../src/index.js';
import { rootKeyId } from '../src/crypto/key-check.js';
import { forEachBackend, makeBackend, type Backend } from './support/backends.js';
import { errorText, expectCode, hex, openCoffer, tenantId, withRaw } from './helpers.js';

const b64 = () => generateKey().toString('base64');
const idOf = (base64: string) => formatRootKeyId(rootKeyId(Buffer.from(base64, 'base64')));
const modeOf = (path: string) => statSync(path).mode & 0o777;
const readKey = (path: string) => readFileSync(path, 'utf8').trim();

/** Every form a key could leak in. */
const keyForms = (base64: string) => {
  const raw = Buffer.from(base64, 'base64');
  return [base64, raw.toString('hex'), raw.toString('base64url')];
};

forEachBackend('keys', (backend) => {
  let coffer: Coffer;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
  });
  afterAll(async () => coffer?.close());

  /** A fresh, empty backend of the same kind for tests that change the root key. */
  async function withScratch<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
    const scratch = await makeBackend(backend().name);
    try {
      return await fn(scratch);
    } finally {
      await scratch.dispose();
    }
  }

  /** Opens, runs, closes. */
  async function using<T>(b: Backend, extra: Parameters<typeof openCoffer>[1], fn: (c: Coffer) => Promise<T>, hooks: Parameters<typeof openCoffer>[2] = {}): Promise<T> {
    const c = await openCoffer(b, extra, hooks);
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }

  /** Fills tenants with secrets; returns what to expect on reveal. */
  async function seed(c: Coffer, tenants: string[], secrets = 2, versions = 2): Promise<Map<string, unknown>> {
    const expected = new Map<string, unknown>();
    for (const t of tenants) {
      await c.tenants.create(t);
      for (let s = 0; s < secrets; s++) {
        for (let v = 1; v <= versions; v++) {
          const value = s % 2 === 0 ? `value-${t}-${s}-${v}-${hex(4)}` : { id: `${t}-${s}`, secret: `sec-${v}-${hex(4)}` };
          await c.secrets.put(t, `s${s}`, value);
          expected.set(`${t}|s${s}|${v}`, value);
        }
      }
    }
    return expected;
  }

  async function expectAllReadable(c: Coffer, expected: Map<string, unknown>): Promise<void> {
    for (const [key, value] of expected) {
      const [t, s, v] = key.split('|') as [string, string, string];
      expect((await c.secrets.reveal(t, s, { version: Number(v) })).value, key).toEqual(value);
    }
  }

  const keyVersionsInDb = (b: Backend, tenant: string) =>
    withRaw(b, async (db) =>
      (await db.all<{ key_version: number | null }>('select key_version from secret_versions where tenant_id = ? order by secret_id, version', [tenant])).map((r) => r.key_version),
    );

  describe('tenant keys', () => {
    it('reports key status', async () => {
      const t = tenantId('status');
      await coffer.tenants.create(t);
      await coffer.secrets.put(t, 'a', 'x');
      await coffer.secrets.put(t, 'a', 'y');
      const status = await coffer.keys.status();
      expect(status.rootKeyProvider).toContain('root key file');
      expect(status.rootKeyProvider).not.toContain(readKey(join(backend().dataDir, 'root.key')));
      const current = status.root.filter((r) => r.state === 'current');
      expect(current).toHaveLength(1);
      expect(current[0]!.id).toBe(idOf(readKey(join(backend().dataDir, 'root.key'))));
      expect(current[0]!.tenantKeys).toBeGreaterThanOrEqual(1);
      expect(status.tenants.filter((k) => k.tenant === t)).toEqual([
        expect.objectContaining({ id: `${t}/v1`, tenant: t, version: 1, state: 'active', newest: true, rootKeyId: current[0]!.id, secretVersions: 2 }),
      ]);
    });

    it('rotating a tenant key: new writes use the new key, old versions still read', async () => {
      const t = tenantId('rotate');
      await coffer.tenants.create(t);
      await coffer.secrets.put(t, 's1', 'one');
      await coffer.secrets.put(t, 's2', 'two');
      expect(await coffer.keys.rotateTenantKey(t)).toEqual({ keyId: `${t}/v2`, version: 2 });
      await coffer.secrets.put(t, 's1', 'one-b');
      await coffer.secrets.put(t, 's3', 'three');
      expect((await coffer.secrets.versions(t, 's1')).map((v) => [v.version, v.keyId])).toEqual([
        [2, `${t}/v2`],
        [1, `${t}/v1`],
      ]);
      expect((await coffer.secrets.versions(t, 's3'))[0]!.keyId).toBe(`${t}/v2`);
      const keys = (await coffer.keys.status()).tenants.filter((k) => k.tenant === t);
      expect(keys.map((k) => [k.id, k.newest, k.state, k.secretVersions])).toEqual([
        [`${t}/v1`, false, 'active', 2],
        [`${t}/v2`, true, 'active', 2],
      ]);
      await using(backend(), {}, async (fresh) => {
        expect((await fresh.secrets.reveal(t, 's1', { version: 1 })).value).toBe('one');
        expect((await fresh.secrets.reveal(t, 's1')).value).toBe('one-b');
        expect((await fresh.secrets.reveal(t, 's2')).value).toBe('two');
        expect((await fresh.secrets.reveal(t, 's3')).value).toBe('three');
      });
      await expectCode(coffer.keys.rotateTenantKey(tenantId('ghost')), 'TENANT_NOT_FOUND');
    });

    it('a tenant key rotated by another instance is used by the next write here', async () => {
      const t = tenantId('rotate-elsewhere');
      await coffer.tenants.create(t);
      await coffer.secrets.put(t, 'k', 'before');
      await using(backend(), {}, async (other) => {
        await other.keys.rotateTenantKey(t);
      });
      await coffer.secrets.put(t, 'k', 'after');
      expect((await coffer.secrets.versions(t, 'k'))[0]!.keyId).toBe(`${t}/v2`);
      expect((await coffer.secrets.reveal(t, 'k')).value).toBe('after');
    });

    it('rewrap moves every version to the newest key, reporting progress', async () => {
      const t = tenantId('rewrap');
      const expected = await seed(coffer, [t], 4, 3); // 12 versions
      await coffer.secrets.delete(t, 's0', { versions: [2] });
      await coffer.secrets.destroy(t, 's1', { versions: [1] });
      expected.delete(`${t}|s1|1`);
      await coffer.keys.rotateTenantKey(t);
      const progress: Array<[number, number]> = [];
      const result = await coffer.keys.rewrapTenant(t, { batchSize: 3, onProgress: (d, n) => progress.push([d, n]) });
      expect(result).toEqual({ tenant: t, keyId: `${t}/v2`, rewrapped: 11 }); // the destroyed version has no key
      expect(progress[0]).toEqual([0, 11]);
      expect(progress.at(-1)).toEqual([11, 11]);
      expect(progress.map(([d]) => d)).toEqual([0, 3, 6, 9, 11]);
      expect(progress.every(([, n]) => n === 11)).toBe(true);

      expect(new Set(await keyVersionsInDb(backend(), t))).toEqual(new Set([2, null]));
      for (let s = 0; s < 4; s++) {
        for (const v of await coffer.secrets.versions(t, `s${s}`)) expect(v.keyId).toBe(v.state === 'destroyed' ? null : `${t}/v2`);
      }
      await coffer.secrets.undelete(t, 's0', { versions: [2] });
      await using(backend(), {}, (fresh) => expectAllReadable(fresh, expected));
      await expectAllReadable(coffer, expected);
      const status = (await coffer.keys.status()).tenants.filter((k) => k.tenant === t);
      expect(status.map((k) => k.secretVersions)).toEqual([0, 11]);
    });

    it('rewrap is idempotent and resumes after an interruption', async () => {
      const t = tenantId('resume');
      const expected = await seed(coffer, [t], 3, 3); // 9 versions
      await coffer.keys.rotateTenantKey(t);
      await coffer.keys.rewrapTenant(t);
      await coffer.keys.rotateTenantKey(t); // v3

      const crash = new Error('simulated crash after the first batch');
      await expect(
        coffer.keys.rewrapTenant(t, {
          batchSize: 2,
          onProgress: (done) => {
            if (done > 0) throw crash;
          },
        }),
      ).rejects.toBe(crash);
      const midway = await keyVersionsInDb(backend(), t);
      expect(midway.filter((v) => v === 3)).toHaveLength(2);
      expect(midway.filter((v) => v === 2)).toHaveLength(7);
      await using(backend(), {}, (fresh) => expectAllReadable(fresh, expected));

      const progress: Array<[number, number]> = [];
      const rerun = await coffer.keys.rewrapTenant(t, { batchSize: 2, onProgress: (d, n) => progress.push([d, n]) });
      expect(rerun).toEqual({ tenant: t, keyId: `${t}/v3`, rewrapped: 7 });
      expect(progress.at(-1)).toEqual([7, 7]);
      expect(await keyVersionsInDb(backend(), t)).toEqual(Array(9).fill(3));

      const again: Array<[number, number]> = [];
      expect(await coffer.keys.rewrapTenant(t, { onProgress: (d, n) => again.push([d, n]) })).toEqual({ tenant: t, keyId: `${t}/v3`, rewrapped: 0 });
      expect(again).toEqual([[0, 0]]);
      await using(backend(), {}, (fresh) => expectAllReadable(fresh, expected));
      await expectCode(coffer.keys.rewrapTenant(tenantId('ghost')), 'TENANT_NOT_FOUND');
    });

    it('retire refuses the newest key and a key in use, then wipes it after rewrap', async () => {
      const t = tenantId('retire');
      const expected = await seed(coffer, [t], 2, 2);
      await expectCode(coffer.keys.retire(`${t}/v1`), 'KEY_ACTIVE');
      await coffer.keys.rotateTenantKey(t);
      const inUse = await expectCode(coffer.keys.retire(`${t}/v1`), 'KEY_IN_USE');
      expect(inUse.details).toEqual({ uses: 4 });
      await expectCode(coffer.keys.retire(`${t}/v2`), 'KEY_ACTIVE');
      await expectCode(coffer.keys.retire(`${t}/v9`), 'KEY_NOT_FOUND');
      await expectCode(coffer.keys.retire('not a key id'), 'KEY_ID_INVALID');

      await coffer.keys.rewrapTenant(t);
      expect(await coffer.keys.retire(`${t}/v1`)).toEqual({ keyId: `${t}/v1` });
      expect(await coffer.keys.retire(`${t}/v1`)).toEqual({ keyId: `${t}/v1` }); // idempotent
      await withRaw(backend(), async (db) => {
        const rows = await db.all<{ version: number; state: string; wrapped_key: Buffer | null; retired_at: number | null }>(
          'select version, state, wrapped_key, retired_at from tenant_keys where tenant_id = ? order by version',
          [t],
        );
        expect(rows.map((r) => [r.version, r.state, r.wrapped_key === null, r.retired_at === null])).toEqual([
          [1, 'retired', true, false],
          [2, 'active', false, true],
        ]);
      });
      const status = (await coffer.keys.status()).tenants.filter((k) => k.tenant === t);
      expect(status.map((k) => [k.id, k.state, k.rootKeyId === null, k.newest])).toEqual([
        [`${t}/v1`, 'retired', true, false],
        [`${t}/v2`, 'active', false, true],
      ]);
      // the retired key stays out of use, also for new key versions
      expect((await coffer.keys.rotateTenantKey(t)).version).toBe(3);
      await coffer.secrets.put(t, 's0', 'after-retire');
      await using(backend(), {}, async (fresh) => {
        await expectAllReadable(fresh, expected);
        expect((await fresh.secrets.reveal(t, 's0')).value).toBe('after-retire');
      });
    });

    it('reads keep working while a rewrap runs', async () => {
      const t = tenantId('live');
      const expected = await seed(coffer, [t], 10, 2); // 20 versions
      await coffer.keys.rotateTenantKey(t);
      const reader = await openCoffer(backend());
      try {
        const checks: Array<Promise<void>> = [];
        const revealAll = (c: Coffer) => {
          for (const [key, value] of expected) {
            const [tt, s, v] = key.split('|') as [string, string, string];
            checks.push(c.secrets.reveal(tt, s, { version: Number(v) }).then((r) => expect(r.value, key).toEqual(value)));
          }
        };
        let running = true;
        let rounds = 0;
        const loop = (async () => {
          while (running) {
            for (const [key, value] of expected) {
              const [tt, s, v] = key.split('|') as [string, string, string];
              expect((await reader.secrets.reveal(tt, s, { version: Number(v) })).value, key).toEqual(value);
            }
            rounds++;
            await new Promise((r) => setImmediate(r));
          }
        })();
        let batches = 0;
        const result = await coffer.keys.rewrapTenant(t, {
          batchSize: 2,
          onProgress: () => {
            batches++;
            revealAll(coffer);
            revealAll(reader);
          },
        }).finally(() => {
          running = false;
        });
        await loop;
        await Promise.all(checks);
        expect(result.rewrapped).toBe(20);
        expect(batches).toBe(11);
        expect(rounds).toBeGreaterThan(0);
        await expectAllReadable(reader, expected);
      } finally {
        await reader.close();
      }
    });
  });

  describe('root key from the key file', () => {
    it('rotates: new current and previous in status, everything readable, reopen works, the old key is refused, mode stays 0600', async () => {
      await withScratch(async (s) => {
        const keyFile = join(s.dataDir, 'root.key');
        const expected = await using(s, {}, async (c) => {
          const e = await seed(c, ['r1', 'r2'], 2, 2);
          await c.keys.rotateTenantKey('r1');
          return e;
        });
        expect(modeOf(keyFile)).toBe(0o600);
        const oldKey = readKey(keyFile);

        const c = await openCoffer(s);
        try {
          const before = await c.keys.status();
          expect(before.root).toEqual([expect.objectContaining({ id: idOf(oldKey), state: 'current', tenantKeys: 3 })]);
          const progress: Array<[number, number]> = [];
          const result = await c.keys.rotateRootKey({ onProgress: (d, n) => progress.push([d, n]) });
          const newKey = readKey(keyFile);
          expect(newKey).not.toBe(oldKey);
          expect(result).toEqual({ keyId: idOf(newKey), previousKeyId: idOf(oldKey), rewrapped: 3 });
          expect(progress.at(-1)).toEqual([3, 3]);
          expect(existsSync(`${keyFile}.next`)).toBe(false);
          expect(modeOf(keyFile)).toBe(0o600);

          const after = await c.keys.status();
          expect(after.root.map((r) => [r.id, r.state, r.tenantKeys])).toEqual([
            [idOf(oldKey), 'previous', 0],
            [idOf(newKey), 'current', 3],
          ]);
          expect(after.tenants.every((k) => k.rootKeyId === idOf(newKey))).toBe(true);
          await expectAllReadable(c, expected);
          await c.secrets.put('r2', 'post-rotation', 'written after the root rotation');
          await c.tenants.create('r3');
          await c.secrets.put('r3', 'x', 'new tenant after rotation');
        } finally {
          await c.close();
        }

        await using(s, {}, async (c2) => {
          await expectAllReadable(c2, expected);
          expect((await c2.secrets.reveal('r3', 'x')).value).toBe('new tenant after rotation');
        });
        const refused = await expectCode(openCoffer(s, { rootKey: oldKey }), 'ROOT_KEY_MISMATCH');
        for (const form of [...keyForms(oldKey), ...keyForms(readKey(keyFile))]) expect(errorText(refused)).not.toContain(form);
        // an old key file is refused the same way
        const oldFile = join(s.dataDir, 'old.key');
        writeFileSync(oldFile, `${oldKey}\n`, { mode: 0o600 });
        await expectCode(openCoffer(s, { rootKeyFile: oldFile }), 'ROOT_KEY_MISMATCH');
        expect(modeOf(keyFile)).toBe(0o600);
        // the old key is kept (0600) until it is retired: promotion never destroys a key
        expect(readdirSync(s.dataDir).filter((f) => f.startsWith('root.key')).sort()).toEqual(['root.key', 'root.key.previous']);
        expect(modeOf(`${keyFile}.previous`)).toBe(0o600);
        expect(readKey(`${keyFile}.previous`)).toBe(oldKey);
      });
    });

    it('retires the previous root key after rotation, and the retired key is refused', async () => {
      await withScratch(async (s) => {
        const keyFile = join(s.dataDir, 'root.key');
        const expected = await using(s, {}, (c) => seed(c, ['q1', 'q2'], 1, 2));
        const oldKey = readKey(keyFile);
        await using(s, {}, async (c) => {
          const { keyId, previousKeyId } = await c.keys.rotateRootKey();
          await expectCode(c.keys.retire(keyId), 'KEY_ACTIVE');
          await expectCode(c.keys.retire('root/00000000'), 'KEY_NOT_FOUND');
          expect(existsSync(`${keyFile}.previous`)).toBe(true);
          expect(await c.keys.retire(previousKeyId)).toEqual({ keyId: previousKeyId, keyFile: { path: `${keyFile}.previous`, deleted: true } });
          expect(existsSync(`${keyFile}.previous`)).toBe(false);
          expect(await c.keys.retire(previousKeyId)).toEqual({ keyId: previousKeyId }); // idempotent
          const status = await c.keys.status();
          expect(status.root.map((r) => [r.id, r.state])).toEqual([
            [previousKeyId, 'retired'],
            [keyId, 'current'],
          ]);
          await expectAllReadable(c, expected);
        });
        await using(s, {}, (c) => expectAllReadable(c, expected));
        const err = await expectCode(openCoffer(s, { rootKey: oldKey }), 'ROOT_KEY_RETIRED');
        for (const form of keyForms(oldKey)) expect(errorText(err)).not.toContain(form);
        await withRaw(s, async (db) => {
          const rows = await db.all<{ state: string; retired_at: number | null }>('select state, retired_at from root_keys order by created_at');
          expect(rows.map((r) => [r.state, r.retired_at === null])).toEqual([
            ['retired', false],
            ['current', true],
          ]);
        });
      });
    });

    // Issue 8 §1: start-up never deletes a staged key (it may belong to a rotation about to switch).
    it('keeps a staged root.key.next that the database never adopted; the next rotation replaces it', async () => {
      await withScratch(async (s) => {
        const keyFile = join(s.dataDir, 'root.key');
        const expected = await using(s, {}, (c) => seed(c, ['n1'], 2, 1));
        const key = readKey(keyFile);
        // what a rotation leaves behind when it dies before the database transaction
        fileRootKeyProvider(keyFile).rotation!.stage(generateKey());
        expect(existsSync(`${keyFile}.next`)).toBe(true);
        expect(modeOf(`${keyFile}.next`)).toBe(0o600);
        const orphan = readKey(`${keyFile}.next`);

        await using(s, {}, async (c) => {
          expect(readKey(`${keyFile}.next`)).toBe(orphan);
          expect(readKey(keyFile)).toBe(key);
          expect((await c.keys.status()).root.map((r) => [r.id, r.state])).toEqual([[idOf(key), 'current']]);
          await expectAllReadable(c, expected);
          // and a later rotation works normally, with a key of its own
          const { keyId } = await c.keys.rotateRootKey();
          expect(existsSync(`${keyFile}.next`)).toBe(false);
          expect(keyId).toBe(idOf(readKey(keyFile)));
          expect(keyId).not.toBe(idOf(orphan));
          await expectAllReadable(c, expected);
        });
        expect(modeOf(keyFile)).toBe(0o600);
        await using(s, {}, (c) => expectAllReadable(c, expected));
      });
    });

    it('finishes a rotation interrupted after the database adopted the new key, at the next open', async () => {
      await withScratch(async (s) => {
        const keyFile = join(s.dataDir, 'root.key');
        const expected = await using(s, {}, (c) => seed(c, ['i1', 'i2', 'i3'], 1, 2));
        const oldKey = readKey(keyFile);
        let staged = '';
        await using(s, {}, async (c) => {
          const crash = new Error('simulated crash during the tenant key rewrap');
          await expect(
            c.keys.rotateRootKey({
              batchSize: 1,
              onProgress: (done) => {
                if (done > 0) throw crash;
              },
            }),
          ).rejects.toBe(crash);
          // the old file is still in place, the new key is staged, the database has moved
          expect(readKey(keyFile)).toBe(oldKey);
          expect(existsSync(`${keyFile}.next`)).toBe(true);
          staged = readKey(`${keyFile}.next`);
          const status = await c.keys.status();
          expect(status.root.map((r) => [r.id, r.state, r.tenantKeys])).toEqual([
            [idOf(oldKey), 'previous', 2],
            [idOf(staged), 'current', 1],
          ]);
          const inUse = await expectCode(c.keys.retire(idOf(oldKey)), 'KEY_IN_USE');
          expect(inUse.details).toEqual({ uses: 2 });
          // the interrupted instance still reads everything
          await expectAllReadable(c, expected);
        });

        // the next open completes the job
        await using(s, {}, async (c) => {
          expect(existsSync(`${keyFile}.next`)).toBe(false);
          expect(readKey(keyFile)).toBe(staged);
          expect(modeOf(keyFile)).toBe(0o600);
          const status = await c.keys.status();
          expect(status.root.map((r) => [r.id, r.state, r.tenantKeys])).toEqual([
            [idOf(oldKey), 'previous', 0],
            [idOf(staged), 'current', 3],
          ]);
          await expectAllReadable(c, expected);
          await c.keys.retire(idOf(oldKey));
        });
        await using(s, {}, (c) => expectAllReadable(c, expected));
        await expectCode(openCoffer(s, { rootKey: oldKey }), 'ROOT_KEY_RETIRED');
      });
    });

    it('an instance opened before another rotated the root key creates tenants under the new root key', async () => {
      await withScratch(async (s) => {
        const early = await openCoffer(s);
        const late = await openCoffer(s);
        try {
          await early.tenants.create('early');
          await early.secrets.put('early', 'k', 'early-value');
          const { previousKeyId } = await early.keys.rotateRootKey();
          await early.keys.retire(previousKeyId);
          // `late` still holds the old root key in memory
          await late.tenants.create('late');
          await late.secrets.put('late', 'k', 'late-value');
          await late.keys.rotateTenantKey('early');
          await late.secrets.put('early', 'k', 'early-value-2');
        } finally {
          await late.close();
          await early.close();
        }
        await using(s, {}, async (fresh) => {
          expect((await fresh.secrets.reveal('late', 'k')).value).toBe('late-value');
          expect((await fresh.secrets.reveal('early', 'k')).value).toBe('early-value-2');
          expect((await fresh.secrets.reveal('early', 'k', { version: 1 })).value).toBe('early-value');
        });
      });
    });

    it('refuses a root key file other users can read', async () => {
      await withScratch(async (s) => {
        const keyFile = join(s.dataDir, 'root.key');
        await using(s, {}, async () => {});
        chmodSync(keyFile, 0o644);
        const err = await expectCode(openCoffer(s), 'ROOT_KEY_FILE_UNSAFE');
        for (const form of keyForms(readKey(keyFile))) expect(errorText(err)).not.toContain(form);
        chmodSync(keyFile, 0o600);
        await using(s, {}, async () => {});
      });
    });
  });

  describe('root key supplied in configuration', () => {
    it('rotates from key A to key B with previousRootKeys and allowRootRotation', async () => {
      await withScratch(async (s) => {
        const A = b64();
        const B = b64();
        const expected = await using(s, { rootKey: A }, (c) => seed(c, ['e1', 'e2'], 2, 2));
        expect(existsSync(join(s.dataDir, 'root.key'))).toBe(false);

        // an unknown key is refused, with or without the old one as previous, unless a rotation is asked for
        await expectCode(openCoffer(s, { rootKey: B }), 'ROOT_KEY_MISMATCH');
        const refused = await expectCode(openCoffer(s, { rootKey: B, previousRootKeys: [A] }), 'ROOT_KEY_MISMATCH');
        for (const form of [...keyForms(A), ...keyForms(B)]) expect(errorText(refused)).not.toContain(form);
        await expectCode(openCoffer(s, { rootKey: B }, { allowRootRotation: true }), 'ROOT_KEY_MISMATCH');

        await using(
          s,
          { rootKey: B, previousRootKeys: [A] },
          async (c) => {
            await expectAllReadable(c, expected); // usable before the rotation
            const result = await c.keys.rotateRootKey();
            expect(result).toEqual({ keyId: idOf(B), previousKeyId: idOf(A), rewrapped: 2 });
            await expectAllReadable(c, expected);
            await c.secrets.put('e1', 's0', 'after-env-rotation');
            expected.set('e1|s0|3', 'after-env-rotation');
          },
          { allowRootRotation: true },
        );
        expect(existsSync(join(s.dataDir, 'root.key'))).toBe(false);

        await using(s, { rootKey: B }, async (c) => {
          await expectAllReadable(c, expected);
          expect((await c.keys.status()).root.map((r) => [r.id, r.state])).toEqual([
            [idOf(A), 'previous'],
            [idOf(B), 'current'],
          ]);
        });
        const old = await expectCode(openCoffer(s, { rootKey: A }), 'ROOT_KEY_MISMATCH');
        for (const form of [...keyForms(A), ...keyForms(B)]) expect(errorText(old)).not.toContain(form);
        // the same with raw key bytes
        await using(s, { rootKey: Buffer.from(B, 'base64') }, (c) => expectAllReadable(c, expected));
        await expectCode(openCoffer(s, { rootKey: Buffer.from(A, 'base64') }), 'ROOT_KEY_MISMATCH');

        await using(s, { rootKey: B }, (c) => c.keys.retire(idOf(A)));
        await expectCode(openCoffer(s, { rootKey: A }), 'ROOT_KEY_RETIRED');
        await using(s, { rootKey: B }, (c) => expectAllReadable(c, expected));
      });
    });

    it('cannot rotate a supplied key by itself (ROTATION_UNAVAILABLE)', async () => {
      await withScratch(async (s) => {
        const A = b64();
        await using(s, { rootKey: A }, async (c) => {
          await c.tenants.create('u1');
          await expectCode(c.keys.rotateRootKey(), 'ROTATION_UNAVAILABLE');
          expect((await c.keys.status()).root).toHaveLength(1);
        });
      });
    });

    // Regression: rotateRootKey is documented as "rerunning after an interruption finishes the
    // job", but with supplied keys the rerun found the new key already current, had no rotation
    // candidate and threw ROTATION_UNAVAILABLE; the tenant keys not yet rewrapped stayed under
    // key A, unreadable once A was dropped from the previous keys (KEY_NOT_FOUND).
    it('rerunning an interrupted rotation with supplied keys finishes it', async () => {
      await withScratch(async (s) => {
        const A = b64();
        const B = b64();
        const expected = await using(s, { rootKey: A }, (c) => seed(c, ['x1', 'x2', 'x3'], 1, 1));
        const crash = new Error('simulated crash during the tenant key rewrap');
        await using(
          s,
          { rootKey: B, previousRootKeys: [A] },
          async (c) => {
            await expect(
              c.keys.rotateRootKey({
                batchSize: 1,
                onProgress: (done) => {
                  if (done > 0) throw crash;
                },
              }),
            ).rejects.toBe(crash);
          },
          { allowRootRotation: true },
        );
        // the operator reruns the same command
        await using(s, { rootKey: B, previousRootKeys: [A] }, (c) => c.keys.rotateRootKey(), { allowRootRotation: true });
        await using(s, { rootKey: B }, async (c) => {
          expect((await c.keys.status()).root.find((r) => r.id === idOf(A))?.tenantKeys).toBe(0);
          await expectAllReadable(c, expected);
        });
      });
    });
  });

  describe('start-up checks', () => {
    it('a wrong root key stops the open with ROOT_KEY_MISMATCH before any data is read, naming neither key', async () => {
      await withScratch(async (s) => {
        const A = b64();
        const C = b64();
        const expected = await using(s, { rootKey: A }, (c) => seed(c, ['w1'], 1, 1));
        // Hide every data table: an open that read any of them would fail differently.
        const tables = ['secret_versions', 'secrets', 'tenant_keys', 'tenants'];
        await withRaw(s, async (db) => {
          for (const t of tables) await db.run(`alter table ${t} rename to hidden_${t}`);
        });
        try {
          const err = await expectCode(openCoffer(s, { rootKey: C }), 'ROOT_KEY_MISMATCH');
          const text = errorText(err);
          for (const form of [...keyForms(A), ...keyForms(C)]) expect(text).not.toContain(form);
          const fileErr = join(s.dataDir, 'wrong.key');
          writeFileSync(fileErr, `${C}\n`, { mode: 0o600 });
          await expectCode(openCoffer(s, { rootKeyFile: fileErr }), 'ROOT_KEY_MISMATCH');
        } finally {
          await withRaw(s, async (db) => {
            for (const t of [...tables].reverse()) await db.run(`alter table hidden_${t} rename to ${t}`);
          });
        }
        await using(s, { rootKey: A }, (c) => expectAllReadable(c, expected));
      });
    });

    it('a short or malformed key is ROOT_KEY_INVALID, before the database is touched', async () => {
      await withScratch(async (s) => {
        const short = Buffer.alloc(16, 7).toString('base64');
        await expectCode(openCoffer(s, { rootKey: short }), 'ROOT_KEY_INVALID');
        await expectCode(openCoffer(s, { rootKey: Buffer.alloc(16, 7) }), 'ROOT_KEY_INVALID');
        await expectCode(openCoffer(s, { rootKey: 'not base64 at all, but long enough to be 44 chars!' }), 'ROOT_KEY_INVALID');
        await expectCode(openCoffer(s, { rootKey: b64(), previousRootKeys: [short] }), 'ROOT_KEY_INVALID');
        const keyFile = join(s.dataDir, 'short.key');
        writeFileSync(keyFile, `${short}\n`, { mode: 0o600 });
        const err = await expectCode(openCoffer(s, { rootKeyFile: keyFile }), 'ROOT_KEY_INVALID');
        expect(errorText(err)).not.toContain(short);
        if (s.name === 'sqlite') expect(existsSync(join(s.dataDir, 'coffer.db'))).toBe(false);
        else {
          await withRaw(s, async (db) => {
            expect(await db.all("select table_name from information_schema.tables where table_schema = 'public'")).toEqual([]);
          });
        }
      });
    });

    it('createIfMissing: false on an empty database is NOT_INITIALIZED', async () => {
      await withScratch(async (s) => {
        const err = await expectCode(openCoffer(s, { rootKey: b64(), createIfMissing: false }), 'NOT_INITIALIZED');
        expect(err.message).toMatch(/coffer init/);
        if (s.name === 'sqlite') {
          expect(existsSync(join(s.dataDir, 'coffer.db'))).toBe(false);
          // with the key file as the key source: nothing to open either, and nothing created
          await expect(openCoffer(s, { createIfMissing: false })).rejects.toMatchObject({ code: expect.stringMatching(/^(NOT_INITIALIZED|ROOT_KEY_MISSING)$/) });
          expect(readdirSync(s.dataDir)).toEqual([]);
        } else {
          await withRaw(s, async (db) => {
            expect(await db.all('select * from root_keys')).toEqual([]);
          });
        }
      });
    });
  });
});
