import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-walsync-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real SQLite database in WAL mode with commits that are not synced, like the audit file. */
function walDatabase(dir: string) {
  const db = new SqliteDatabase(join(dir, 'a.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table t (n integer)');
  return db;
}

describe('WalSync', () => {
  it('flushes the WAL of a real database after commits', async () => {
    const dir = tempDir();
    const db = walDatabase(dir);
    const sync = new WalSync(join(dir, 'a.db-wal'));
    for (let i = 0; i < 3; i++) {
      db.prepare('insert into t values (?)').run(i);
      await expect(sync.sync()).resolves.toBeUndefined();
    }
    await sync.close();
    db.close();
  });

  it('lets callers that arrive during a flush share the next one, which starts after it', async () => {
    const dir = tempDir();
    const db = walDatabase(dir);
    const sync = new WalSync(join(dir, 'a.db-wal'));
    const first = sync.sync();
    const second = sync.sync();
    const third = sync.sync();
    // The running flush may have begun before the second and third callers' commits, so they
    // must not be answered by it; they share one new flush instead of starting two.
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    // With nothing running, a call starts a fresh flush.
    const fourth = sync.sync();
    expect(fourth).not.toBe(second);
    await fourth;
    await sync.close();
    db.close();
  });

  it('rejects while the file cannot be opened and recovers once it can', async () => {
    const dir = tempDir();
    const file = join(dir, 'missing-wal');
    const sync = new WalSync(file);
    await expect(sync.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    writeFileSync(file, 'frames');
    await expect(sync.sync()).resolves.toBeUndefined();
    await sync.close();
  });

  it('refuses to flush after close', async () => {
    const dir = tempDir();
    const db = walDatabase(dir);
    const sync = new WalSync(join(dir, 'a.db-wal'));
    await sync.sync();
    await sync.close();
    await expect(sync.sync()).rejects.toThrow(/closed/);
    db.close();
  });
});
