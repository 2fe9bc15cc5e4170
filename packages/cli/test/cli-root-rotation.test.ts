/**
 * Issue 8 §1, as reported: with the database's write lock held for a few seconds,
 * `coffer key rotate --root &` and meanwhile `coffer tenant list`. The list used to delete the
 * staged `root.key.next`; the rotation then moved the database to that key and could not
 * promote the file: ROOT_KEY_MISMATCH at every later start. Now both commands succeed and every
 * secret reads. (On PostgreSQL the lock is taken on root_keys, so the rotation waits with its
 * key staged; on SQLite the whole file is locked, so it waits before staging.)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { backendEnv, coffer, expectOk, forEachBackendInParallel, okJson } from './support/cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forEachBackendInParallel('coffer key rotate --root while other commands run', (backend) => {
  const env = () => backendEnv(backend());
  const run = (args: string[]) => coffer(args, { env: env() });
  const keyFile = () => join(backend().dataDir, 'root.key');
  const value = `sk_live_${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'acme']));
    expectOk(await run(['secret', 'put', 'token', '--tenant', 'acme', '--value', value]));
  });

  /** Holds the database's write lock (SQLite) or an exclusive lock on root_keys (PostgreSQL) until released. */
  async function holdLock(): Promise<() => Promise<void>> {
    const b = backend();
    if (b.name === 'sqlite') {
      const db = new Database(join(b.dataDir, 'coffer.db'));
      db.exec('begin immediate');
      return async () => {
        db.exec('rollback');
        db.close();
      };
    }
    const client = new pg.Client({ connectionString: b.databaseUrl });
    await client.connect();
    await client.query('begin');
    await client.query('lock table root_keys in exclusive mode');
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }

  it('a `tenant list` during a held-up rotation works, the rotation finishes, nothing is lost', async () => {
    const before = readFileSync(keyFile(), 'utf8');
    const release = await holdLock();
    let released = false;
    try {
      const rotation = run(['key', 'rotate', '--root', '--json']);
      // wait for the staged key where the lock lets it be written (PostgreSQL), at most 4 s
      for (let i = 0; i < 40 && !existsSync(`${keyFile()}.next`); i++) await sleep(100);
      const list = await run(['tenant', 'list', '--json']);
      expect(okJson<Array<{ id: string }>>(list).map((t) => t.id)).toEqual(['acme']);
      if (backend().name === 'postgres') expect(existsSync(`${keyFile()}.next`), 'the staged key was deleted').toBe(true);
      await release();
      released = true;
      const r = okJson<{ keyId: string; previousKeyId: string; rewrapped: number }>(await rotation);
      expect(r.rewrapped).toBe(1);

      const after = readFileSync(keyFile(), 'utf8');
      expect(after).not.toBe(before);
      expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
      expect(existsSync(`${keyFile()}.next`)).toBe(false);
      expect(readFileSync(`${keyFile()}.previous`, 'utf8')).toBe(before);
      const [get, status] = await Promise.all([run(['secret', 'get', 'token', '--tenant', 'acme']), run(['key', 'status', '--json'])]);
      expect(expectOk(get).stdout).toBe(value);
      const s = okJson<{ root: Array<{ id: string; state: string; tenantKeys: number }>; rotation: unknown }>(status);
      expect(s.rotation).toBeNull();
      expect(s.root.map((k) => [k.id, k.state, k.tenantKeys])).toEqual([
        [r.previousKeyId, 'previous', 0],
        [r.keyId, 'current', 1],
      ]);

      // retiring the old key removes it from root.key.previous, and says so
      const retired = await run(['key', 'retire', r.previousKeyId]);
      expect(expectOk(retired).stdout).toBe(`Retired ${r.previousKeyId}. No tenant key is under it: it was the last key in ${keyFile()}.previous, which was deleted.\n`);
      expect(existsSync(`${keyFile()}.previous`)).toBe(false);
      expect(expectOk(await run(['secret', 'get', 'token', '--tenant', 'acme'])).stdout).toBe(value);
    } finally {
      if (!released) await release();
    }
  });
});
