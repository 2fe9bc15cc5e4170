/**
 * One storage suite, every backend: `forEachBackend` runs a describe block against a fresh
 * SQLite file and a fresh PostgreSQL database, both real, and removes them afterwards.
 *
 * Under CI=true an unreachable PostgreSQL fails the run. Elsewhere the PostgreSQL half is
 * skipped with a loud warning naming what was skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';

export type BackendName = 'sqlite' | 'postgres';

export const PG_ADMIN_URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: Promise<boolean> | undefined;

export function postgresReachable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

/** Creates an empty PostgreSQL database and returns its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `coffer_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface Backend {
  readonly name: BackendName;
  /** A fresh data directory for this suite (root key files, SQLite files). */
  readonly dataDir: string;
  /** COFFER_DATABASE_URL for this suite: sqlite:<file> or postgres://…/coffer_test_… */
  readonly databaseUrl: string;
}

/** Makes a fresh backend; call `dispose` when done. */
export async function makeBackend(name: BackendName): Promise<Backend & { dispose(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), `coffer-${name}-`));
  if (name === 'sqlite') {
    return { name, dataDir, databaseUrl: `sqlite:${join(dataDir, 'coffer.db')}`, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const db = await createPostgresDatabase();
  return {
    name,
    dataDir,
    databaseUrl: db.url,
    dispose: async () => {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const reachable = await postgresReachable();
if (!reachable) {
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL}; under CI=true that is a failure, not a skip.`);
  }
  console.warn(`\n!!! PostgreSQL is not reachable at ${PG_ADMIN_URL}: every PostgreSQL suite in this file is SKIPPED. Start it or set COFFER_TEST_PG_URL. !!!\n`);
}

/** The backends this run tests: both, or SQLite alone (loudly) when PostgreSQL is down outside CI. */
export const BACKENDS: BackendName[] = reachable ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * `describe` once per backend. The callback receives a getter, valid inside hooks and tests,
 * for a backend created before the block's tests and disposed after them.
 */
export function forEachBackend(title: string, body: (backend: () => Backend) => void): void {
  for (const name of ['sqlite', 'postgres'] as const) {
    const run = BACKENDS.includes(name) ? describe : describe.skip;
    run(`${title} [${name}]`, () => {
      let current: (Backend & { dispose(): Promise<void> }) | undefined;
      beforeAll(async () => {
        current = await makeBackend(name);
      });
      afterAll(async () => {
        await current?.dispose();
      });
      body(() => {
        if (!current) throw new Error('backend used outside a test');
        return current;
      });
    });
  }
}
