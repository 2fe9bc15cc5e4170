/**
 * Shared helpers for the integration suites: opening a vault on a backend, asserting error
 * codes, and raw SQL access to the same database (for checks and deliberate tampering).
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { auditFileFor, createCoffer, CofferError, parseDatabaseUrl, type Coffer, type CofferConfig, type ErrorCode, type OpenHooks } from '../src/index.js';
import type { Backend } from './support/backends.js';

/**
 * Opens a vault on `backend`, with optional overrides. Outbound requests may reach 127.0.0.1:
 * the suites' OAuth, provider and token stand-ins listen there (the outbound layer refuses
 * loopback unless the operator allowlists it).
 */
export function openCoffer(backend: Backend, extra: CofferConfig = {}, hooks: OpenHooks = {}): Promise<Coffer> {
  return createCoffer({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, outboundAllow: ['127.0.0.1'], ...extra }, hooks);
}

/** Awaits `work` and asserts it rejects with a CofferError of `code`; returns the error. */
export async function expectCode(work: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<CofferError> {
  let result: unknown;
  try {
    result = await (typeof work === 'function' ? work() : work);
  } catch (err) {
    expect(err, `expected CofferError ${code}, got ${String(err)}`).toBeInstanceOf(CofferError);
    expect((err as CofferError).code, (err as Error).message).toBe(code);
    return err as CofferError;
  }
  throw new Error(`expected a CofferError ${code}, but the call succeeded with ${JSON.stringify(result)?.slice(0, 200)}`);
}

/** A short random hex id. */
export const hex = (bytes = 6): string => randomBytes(bytes).toString('hex');

/** A unique tenant id for one test. */
export const tenantId = (prefix = 't'): string => `${prefix}-${hex(4)}`;

/** Everything a CofferError exposes, as text: for "never contains plaintext" checks. */
export function errorText(err: unknown): string {
  const e = err as CofferError;
  return [e.message, e.stack ?? '', JSON.stringify(e.details ?? {}), String(e)].join('\n');
}

/**
 * Raw SQL on the database behind a backend. Queries use `?` placeholders for both dialects.
 * Integers come back as numbers, binary columns as Buffers.
 */
export interface RawDb {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, any>>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export async function rawDb(backend: Backend): Promise<RawDb> {
  const location = parseDatabaseUrl(backend.databaseUrl);
  if (location.dialect === 'sqlite') {
    const db = new SqliteDatabase(location.target);
    db.pragma('busy_timeout = 10000');
    // The audit log has its own file, attached as "audit" by Coffer too.
    db.prepare('attach database ? as audit').run(auditFileFor(location.target));
    return {
      dialect: 'sqlite',
      all: async (sql, params = []) => db.prepare(sql).all(...params) as never,
      run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
      close: async () => void db.close(),
    };
  }
  // bigint columns (timestamps, ids, counts) as numbers, like Coffer's own pool.
  const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };
  const client = new pg.Client({ connectionString: location.target, types });
  await client.connect();
  const toPg = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  return {
    dialect: 'postgres',
    all: async (sql, params = []) => (await client.query(toPg(sql), params)).rows as never,
    run: async (sql, params = []) => (await client.query(toPg(sql), params)).rowCount ?? 0,
    close: () => client.end(),
  };
}

/** Runs `fn` with a raw connection, closing it afterwards. */
export async function withRaw<T>(backend: Backend, fn: (db: RawDb) => Promise<T>): Promise<T> {
  const db = await rawDb(backend);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The internal id of a secret, from the raw table. */
export async function secretIdOf(db: RawDb, tenant: string, name: string): Promise<string> {
  const rows = await db.all<{ id: string }>('select id from secrets where tenant_id = ? and name = ?', [tenant, name]);
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

export interface VersionBlobs {
  secret_id: string;
  version: number;
  key_version: number | null;
  wrapped_dek: Buffer | null;
  ciphertext: Buffer | null;
  masked: Buffer | null;
  state: string;
}

/** The stored blobs of one secret version. */
export async function versionRow(db: RawDb, tenant: string, name: string, version: number): Promise<VersionBlobs> {
  const id = await secretIdOf(db, tenant, name);
  const rows = await db.all<VersionBlobs>('select secret_id, version, key_version, wrapped_dek, ciphertext, masked, state from secret_versions where secret_id = ? and version = ?', [id, version]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** Rejects with a plain Error when `work` has not settled after `ms`: turns a hang into a failure. */
export function within<T>(work: Promise<T>, ms: number, what = 'the call'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hung / deadlocked)`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
