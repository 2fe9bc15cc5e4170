/**
 * Opens the database behind Coffer: SQLite (better-sqlite3) for the embedded default,
 * PostgreSQL (pg) for production. Both go through Kysely with one schema and one set of
 * migrations; the few places where the dialects differ are named here.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { CofferError } from '../errors.js';
import type { Database } from './schema.js';
import { WalSync } from './wal-sync.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseLocation {
  readonly dialect: Dialect;
  /** File path for SQLite, connection string for PostgreSQL. */
  readonly target: string;
}

export interface OpenOptions {
  /** PostgreSQL pool size. */
  readonly poolSize?: number;
  /** Milliseconds to wait for a locked SQLite file before giving up. */
  readonly busyTimeoutMs?: number;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The raw SQLite write handle (pragmas, checkpoints); undefined on PostgreSQL. */
  readonly sqlite: SqliteDatabase.Database | undefined;
  /**
   * A second, read-only SQLite connection for prepared statements on the hot path. Being a
   * separate connection, it sees only committed data, never a write transaction in flight.
   */
  readonly sqliteReader: SqliteDatabase.Database | undefined;
  /**
   * PostgreSQL only: a named prepared statement on the pool, for the hot path. The server plans
   * it once per connection instead of on every call.
   */
  preparedQuery<R>(name: string, text: string, values: unknown[]): Promise<R[]>;
  /**
   * PostgreSQL only: a transaction of named prepared statements on one pooled connection,
   * for the audit batch (a name of undefined runs the statement unprepared).
   */
  preparedTransaction<T>(fn: (query: <R>(name: string | undefined, text: string, values: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T>;
  /** Describes the location without credentials, for messages. */
  readonly description: string;
  /**
   * Runs `fn` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so two processes on
   * one file queue on the write lock instead of failing when a read turns into a write.
   */
  writeTransaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` once the write transaction `trx` (the one a {@link writeTransaction} callback
   * received) has committed, after its connection is released and before writeTransaction
   * resolves; never if it rolls back. The same `fn` registered twice in one transaction runs
   * once. Its rejection reaches writeTransaction's caller, so `fn` should not reject for work
   * that does not undo the commit. The audit log moves a change's outbox events into the chain
   * with it (audit/audit-log.ts).
   */
  afterCommit(trx: Kysely<Database>, fn: () => Promise<void>): void;
  /**
   * SQLite only: runs `fn` synchronously on the write handle while holding Kysely's connection,
   * so nothing else interleaves. For short, hot write paths that gain from prepared statements
   * and no await between statements.
   */
  withSqliteWriter<T>(fn: (handle: SqliteDatabase.Database) => T): Promise<T>;
  /**
   * Resolves once audit events committed so far are on stable storage. On SQLite the audit
   * file's commits do not wait for the disk (see wal-sync.ts), so this flushes its WAL off the
   * event loop; PostgreSQL commits are durable already.
   */
  syncAuditLog(): Promise<void>;
  close(): Promise<void>;
}

export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', target: url };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', target: url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new CofferError('CONFIG_INVALID', 'COFFER_DATABASE_URL must be postgres://… or sqlite:<path> (or a plain file path).');
  }
  return { dialect: 'sqlite', target: url };
}

/** A connection string with its password replaced, safe for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

// int8 (oid 20) holds our epoch-millisecond timestamps: parse them as numbers, which is exact
// far beyond any date we will store.
const pgTypesFor = (types: typeof pg.types) => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
});

/**
 * Registers `fn` to run once `trx` commits. A transaction that is not one of ours (or already
 * over) is a programming error: silently dropping the hook could leave work undone.
 */
function registerAfterCommit(hooks: WeakMap<Kysely<Database>, Set<() => Promise<void>>>, trx: Kysely<Database>, fn: () => Promise<void>): void {
  const pending = hooks.get(trx);
  if (!pending) throw new CofferError('INTERNAL', 'afterCommit needs the transaction of a running writeTransaction.');
  pending.add(fn);
}

/** Runs every hook, in registration order, each even if an earlier one failed; rethrows the first failure. */
async function runAfterCommit(hooks: Set<() => Promise<void>>): Promise<void> {
  let failure: { err: unknown } | undefined;
  for (const fn of hooks) {
    try {
      await fn();
    } catch (err) {
      failure ??= { err };
    }
  }
  if (failure) throw failure.err;
}

export async function openStore(location: DatabaseLocation, options: OpenOptions = {}): Promise<Store> {
  return location.dialect === 'sqlite' ? openSqlite(location.target, options) : openPostgres(location.target, options);
}

/** `coffer.db` → `coffer-audit.db`: the SQLite file that holds the audit log. */
export function auditFileFor(file: string): string {
  return file.endsWith('.db') ? `${file.slice(0, -3)}-audit.db` : `${file}-audit`;
}

function openSqlite(file: string, options: OpenOptions): Store {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const created = !existsSync(file);
  let handle: SqliteDatabase.Database;
  try {
    handle = new SqliteDatabase(file);
    // Ciphertext only, but nobody else needs to read it; SQLite gives the WAL the same mode.
    if (created) chmodSync(file, 0o600);
  } catch (err) {
    throw new CofferError('DATABASE_UNAVAILABLE', `Cannot open the SQLite database at ${file}: ${(err as Error).message}`);
  }
  handle.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  // The audit log lives in a file of its own, attached as schema "audit": its constant appends
  // then leave the main file (and the read connection's cache of it) untouched, which keeps
  // token and secret reads fast (measured: 6.9 µs against 15.9 µs a read under audit load).
  const auditFile = auditFileFor(file);
  const auditCreated = !existsSync(auditFile);
  handle.prepare('attach database ? as audit').run(auditFile);
  if (auditCreated) chmodSync(auditFile, 0o600);
  for (const schema of ['main', 'audit']) {
    handle.pragma(`${schema}.journal_mode = WAL`);
    // Deleted rows must not linger in free pages.
    handle.pragma(`${schema}.secure_delete = ON`);
  }
  // A vault must not lose an acknowledged write. The main file syncs on every commit. The audit
  // file's commits only write the WAL, which WalSync then flushes on the thread pool before any
  // event is acknowledged: the same durability, without holding the event loop for the disk
  // (reveal p99 18-22 ms before, 14-16 ms after, in alternating runs of bench/service.bench.mjs).
  handle.pragma('main.synchronous = FULL');
  handle.pragma('audit.synchronous = NORMAL');
  const auditWal = new WalSync(`${auditFile}-wal`);
  const syncAudit = () =>
    auditWal.sync().catch((err: NodeJS.ErrnoException) => {
      throw new CofferError('DATABASE_UNAVAILABLE', `The audit log at ${auditFile} could not be flushed to disk (${err.code ?? 'I/O error'}). Check the disk; the last change may be applied but its audit event is not confirmed durable.`);
    });
  handle.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  let reader: SqliteDatabase.Database | undefined;
  const afterCommitHooks = new WeakMap<Kysely<Database>, Set<() => Promise<void>>>();
  return {
    db,
    dialect: 'sqlite',
    sqlite: handle,
    get sqliteReader() {
      // Opened on first use: the file must exist and be in WAL mode first.
      if (!reader) {
        reader = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
        reader.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      }
      return reader;
    },
    description: `SQLite ${file}`,
    async writeTransaction(fn) {
      // Kysely's SQLite driver holds one connection behind a mutex, so everything inside
      // `connection()` runs on it alone, between our BEGIN IMMEDIATE and COMMIT. A change's
      // audit events go to the outbox in the main file (synchronous FULL), so the commit alone
      // makes the change and its events durable; the audit file is not written here.
      const committed = new Set<() => Promise<void>>();
      const result = await db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        afterCommitHooks.set(conn, committed);
        try {
          const value = await fn(conn);
          await sql`commit`.execute(conn);
          return value;
        } catch (err) {
          committed.clear();
          if (handle.inTransaction) await sql`rollback`.execute(conn);
          throw err;
        } finally {
          afterCommitHooks.delete(conn);
        }
      });
      // After the connection is released: the hooks may need it themselves.
      await runAfterCommit(committed);
      return result;
    },
    afterCommit: (trx, fn) => registerAfterCommit(afterCommitHooks, trx, fn),
    withSqliteWriter: (fn) => db.connection().execute(async () => fn(handle)),
    syncAuditLog: syncAudit,
    preparedQuery: () => Promise.reject(new CofferError('INTERNAL', 'preparedQuery is for PostgreSQL only.')),
    preparedTransaction: () => Promise.reject(new CofferError('INTERNAL', 'preparedTransaction is for PostgreSQL only.')),
    async close() {
      reader?.close();
      await auditWal.close();
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Store> {
  // Loaded on demand: the embedded SQLite default (and every CLI start) does without it.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypesFor(pg.types) });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const afterCommitHooks = new WeakMap<Kysely<Database>, Set<() => Promise<void>>>();
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy();
    throw new CofferError(
      'DATABASE_UNAVAILABLE',
      `Cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}. Check COFFER_DATABASE_URL and that the server is running.`,
    );
  }
  return {
    db,
    dialect: 'postgres',
    sqlite: undefined,
    sqliteReader: undefined,
    description: `PostgreSQL ${redactUrl(url)}`,
    async writeTransaction(fn) {
      const committed = new Set<() => Promise<void>>();
      const result = await db.transaction().execute(async (trx) => {
        afterCommitHooks.set(trx, committed);
        try {
          return await fn(trx);
        } catch (err) {
          committed.clear();
          throw err;
        } finally {
          afterCommitHooks.delete(trx);
        }
      });
      await runAfterCommit(committed);
      return result;
    },
    afterCommit: (trx, fn) => registerAfterCommit(afterCommitHooks, trx, fn),
    withSqliteWriter: () => Promise.reject(new CofferError('INTERNAL', 'withSqliteWriter is for SQLite only.')),
    syncAuditLog: () => Promise.resolve(),
    preparedQuery: async <R>(name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows as R[],
    async preparedTransaction(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('begin');
        const result = await fn(async (name, text, values) => (await client.query(name ? { name, text, values } : { text, values })).rows);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      await db.destroy();
    },
  };
}
