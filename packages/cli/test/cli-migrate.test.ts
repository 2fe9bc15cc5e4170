/**
 * `coffer migrate legacy`, run for real against SQLite and PostgreSQL vaults: plaintext
 * credentials from an NDJSON file, a SQLite table and a PostgreSQL table become vault-backed
 * connections, in batches, idempotently, verified, and without a source value ever printed.
 *
 * One vault per backend; the tests build on each other and run in order. The source files and
 * databases are made once and only read.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BACKENDS, createPostgresDatabase } from '../../core/test/support/backends.js';
import {
  backendEnv,
  coffer,
  expectError,
  expectNoneOf,
  expectOk,
  expectUsage,
  forEachBackendInParallel,
  okJson,
  show,
  type RunResult,
} from './support/cli.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const MASK = '••••••••';
const pad = (n: number, width = 3) => String(n).padStart(width, '0');

interface Summary {
  read: number;
  imported: number;
  skipped: number;
  verified: number;
  failed: Array<{ row: number; key: string | null; code: string; message: string; duplicateOf?: number[] }>;
  connections: Array<{ row: number; tenant: string; key: string; connectionId: string; outcome: 'imported' | 'skipped' }>;
  dryRun: boolean;
}
interface Connection {
  id: string;
  tenant: string;
  provider: string;
  displayName: string;
  status: string;
  config: Record<string, string>;
  secret: { name: string; owned: boolean };
  credentials: Record<string, string> | null;
  importKey: string | null;
}
interface AuditItem {
  actor: string;
  action: string;
  tenant: string | null;
  target: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

/** The masked form of a long value with a recognisable prefix such as `sk_live_`. */
const masked = (value: string, prefix: string) => `${prefix}${MASK}${value.slice(-4)}`;

/** A run that printed a JSON summary and exited with `exit` (1 when some row failed). */
function summaryOf(r: RunResult, exit: number): Summary {
  expect(r.code, show(r)).toBe(exit);
  try {
    return JSON.parse(r.stdout) as Summary;
  } catch {
    throw new Error(`stdout is not a JSON summary:\n${show(r)}`);
  }
}

/** Every plaintext a source holds; none of them may be printed by the import or the audit log. */
const canaries: string[] = [];
const canary = (prefix: string) => {
  const v = `${prefix}${hex(16)}`;
  canaries.push(v);
  return v;
};

// ---- 1. The bulk NDJSON file: 250 rows, two tenants, the same keys in both (keys are per tenant).
interface BulkRow {
  legacy_id: string;
  tenant_slug: string;
  api_key: string;
  api_host: string;
  label: string;
  notes: string;
}
const bulk: BulkRow[] = Array.from({ length: 250 }, (_, i) => {
  const tenant = i % 2 === 0 ? 'alpha' : 'beta';
  const n = Math.floor(i / 2);
  return {
    legacy_id: `legacy-${pad(n)}`,
    tenant_slug: tenant,
    api_key: canary('sk_live_'),
    api_host: `api${i % 3}.example.com`,
    label: `Legacy ${tenant} ${pad(n)}`,
    // An unmapped column with a secret in it: ignored, and never printed either.
    notes: canary('pw_'),
  };
});
const BULK_MAP = [
  '--map', 'key=legacy_id',
  '--map', 'tenant=tenant_slug',
  '--map', 'name=label',
  '--map', 'credentials.api_key=api_key',
  '--map', 'config.api_host=api_host',
  '--provider', 'generic-api-key',
];

// ---- 2. A fresh file for --dry-run: new rows, rows of a tenant that does not exist, two already imported.
const fresh = [
  ...Array.from({ length: 10 }, (_, i) => ({ legacy_id: `fresh-${pad(i)}`, tenant_slug: 'alpha', api_key: canary('sk_live_'), api_host: 'api.example.com', label: `Fresh ${i}` })),
  ...Array.from({ length: 6 }, (_, i) => ({ legacy_id: `fresh-${pad(i)}`, tenant_slug: 'gamma', api_key: canary('sk_live_'), api_host: 'api.example.com', label: `Gamma ${i}` })),
  { legacy_id: 'legacy-000', tenant_slug: 'alpha', api_key: canary('sk_live_'), api_host: 'api.example.com', label: 'Changed' },
  { legacy_id: 'legacy-124', tenant_slug: 'beta', api_key: canary('sk_live_'), api_host: 'api.example.com', label: 'Changed' },
];

// ---- 3. Good and bad rows mixed in the same batches, the provider from a column.
const MIXED_MAP = [
  '--map', 'key=legacy_id',
  '--map', 'tenant=tenant_slug',
  '--map', 'provider=provider_id',
  '--map', 'name=label',
  '--map', 'credentials.api_key=api_key',
  '--map', 'credentials.secret_key=secret_key',
];
const mixedGood = {
  1: { legacy_id: 'mixed-01', tenant_slug: 'alpha', provider_id: 'takealot', api_key: canary('tk_'), label: 'Mixed 01' },
  3: { legacy_id: 'mixed-03', tenant_slug: 'alpha', provider_id: 'clerk', secret_key: canary('sk_test_'), label: 'Mixed 03' },
  6: { legacy_id: 'mixed-06', tenant_slug: 'beta', provider_id: 'takealot', api_key: canary('tk_'), label: 'Mixed 06' },
  8: { legacy_id: 'mixed-08', tenant_slug: 'beta', provider_id: 'clerk', secret_key: canary('sk_live_'), label: 'Mixed 08' },
  10: { legacy_id: 'mixed-10', tenant_slug: 'alpha', provider_id: 'takealot', api_key: canary('tk_'), label: 'Mixed 10' },
};
const unknownTenantRow = { legacy_id: 'mixed-07', tenant_slug: 'delta', provider_id: 'takealot', api_key: canary('tk_'), label: 'Mixed 07' };
const mixedLines = [
  JSON.stringify(mixedGood[1]),
  // 2: not JSON (a truncated object), with a credential in it.
  `{"legacy_id":"mixed-02","tenant_slug":"alpha","provider_id":"clerk","secret_key":"${canary('sk_live_')}"`,
  JSON.stringify(mixedGood[3]),
  // 4: a Clerk secret key that does not have Clerk's form (a publishable key pasted by mistake).
  JSON.stringify({ legacy_id: 'mixed-04', tenant_slug: 'alpha', provider_id: 'clerk', secret_key: canary('pk_live_'), label: 'Mixed 04' }),
  // 5: no key.
  JSON.stringify({ tenant_slug: 'alpha', provider_id: 'takealot', api_key: canary('tk_'), label: 'Mixed 05' }),
  JSON.stringify(mixedGood[6]),
  // 7: a tenant that does not exist.
  JSON.stringify(unknownTenantRow),
  JSON.stringify(mixedGood[8]),
  // 9: a provider Coffer does not know.
  JSON.stringify({ legacy_id: 'mixed-09', tenant_slug: 'beta', provider_id: 'legacy-erp', api_key: canary('tk_'), label: 'Mixed 09' }),
  JSON.stringify(mixedGood[10]),
];

// ---- 4. Tables: the same shape in a SQLite file and in a PostgreSQL database.
interface TableRow {
  legacy_id: string | null;
  tenant_slug: string;
  provider_id: string;
  api_key: string | null;
  secret_key: string | null;
  label: string;
}
/** 30 rows, the same 15 keys in alpha and beta, Takealot and Clerk alternating. */
const tableRows = (prefix: string): TableRow[] =>
  Array.from({ length: 30 }, (_, i) => {
    const tenant = i % 2 === 0 ? 'alpha' : 'beta';
    const n = Math.floor(i / 2);
    const clerk = n % 2 === 1;
    return {
      legacy_id: `${prefix}-${pad(n, 2)}`,
      tenant_slug: tenant,
      provider_id: clerk ? 'clerk' : 'takealot',
      api_key: clerk ? null : canary('tk_'),
      secret_key: clerk ? canary('sk_live_') : null,
      label: `Table ${prefix} ${tenant} ${pad(n, 2)}`,
    };
  });
const sqliteRows = tableRows('sq');
const pgRows = tableRows('pg');
/**
 * 503 rows, sorted by key: "aaa" then dup-000 … dup-250, each in alpha and in beta. Rows 500
 * and 501 share the key dup-249: a reader that pages by key (500 a page) must not lose one.
 */
const manyRows: TableRow[] = [
  { legacy_id: 'aaa', tenant_slug: 'alpha', provider_id: 'takealot', api_key: 'tk_many', secret_key: null, label: 'aaa' },
  ...Array.from({ length: 251 }, (_, n) =>
    (['alpha', 'beta'] as const).map((t) => ({ legacy_id: `dup-${pad(n)}`, tenant_slug: t, provider_id: 'takealot', api_key: 'tk_many', secret_key: null, label: `dup ${t} ${n}` })),
  ).flat(),
];
/**
 * 501 rows: 500 keys, the last one twice in the same tenant (rows 500 and 501, either side of a
 * 500-row page). Neither may be lost, and neither imported: the vault keeps one connection per key.
 */
const boundaryRows: TableRow[] = [
  ...Array.from({ length: 500 }, (_, n) => ({ legacy_id: `edge-${pad(n)}`, tenant_slug: 'alpha', provider_id: 'takealot', api_key: 'tk_edge', secret_key: null, label: `edge ${n}` })),
  { legacy_id: 'edge-499', tenant_slug: 'alpha', provider_id: 'takealot', api_key: canary('tk_'), secret_key: null, label: 'edge 499 again' },
];
/** Credentials in a JSON column (text in SQLite, jsonb in PostgreSQL): a good row, a null one, an unparsable one. */
const jsonGood = canary('tk_');
const jsonRows: Array<{ legacy_id: string; tenant_slug: string; creds: string | null }> = [
  { legacy_id: 'json-1', tenant_slug: 'beta', creds: JSON.stringify({ takealot: { api_key: jsonGood }, note: canary('pw_') }) },
  { legacy_id: 'json-2', tenant_slug: 'beta', creds: null },
  { legacy_id: 'json-3', tenant_slug: 'beta', creds: `{"takealot":{"api_key":"${canary('tk_')}"}` },
];
/** A row without a key between two good ones. */
const nullKeyRows: TableRow[] = [
  { legacy_id: 'nk-1', tenant_slug: 'alpha', provider_id: 'takealot', api_key: 'tk_nk1', secret_key: null, label: 'nk 1' },
  { legacy_id: null, tenant_slug: 'alpha', provider_id: 'takealot', api_key: canary('tk_'), secret_key: null, label: 'nk null' },
  { legacy_id: 'nk-2', tenant_slug: 'alpha', provider_id: 'takealot', api_key: 'tk_nk2', secret_key: null, label: 'nk 2' },
];
const TABLE_COLUMNS = ['legacy_id', 'tenant_slug', 'provider_id', 'api_key', 'secret_key', 'label'] as const;

let work: string;
const file = (name: string) => join(work, name);
let sqliteSource: string;
let pgSource: { url: string; drop: () => Promise<void> } | undefined;
const havePostgres = BACKENDS.includes('postgres');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'coffer-cli-migrate-'));
  const ndjson = (rows: readonly unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
  writeFileSync(file('bulk.ndjson'), ndjson(bulk));
  // Blank lines are not rows.
  writeFileSync(file('fresh.ndjson'), `\n${ndjson(fresh)}\n`);
  writeFileSync(file('mixed.ndjson'), `${mixedLines.join('\n')}\n`);
  writeFileSync(
    file('bad-tenant.ndjson'),
    ndjson([
      { legacy_id: 'probe-01', tenant_slug: 'zeta', provider_id: 'takealot', api_key: canary('tk_'), label: 'Probe 01' },
      { legacy_id: 'probe-02', tenant_slug: 'Not A Tenant!', provider_id: 'takealot', api_key: canary('tk_'), label: 'Probe 02' },
    ]),
  );

  const tables: Array<[string, TableRow[]]> = [
    ['legacy_credentials', sqliteRows],
    ['legacy_many', manyRows],
    ['legacy_nullkey', nullKeyRows],
    ['legacy_boundary', boundaryRows],
  ];
  sqliteSource = file('legacy.db');
  const db = new Database(sqliteSource);
  try {
    for (const [name, rows] of tables) {
      db.exec(`create table ${name} (${TABLE_COLUMNS.map((c) => `${c} text`).join(', ')})`);
      const insert = db.prepare(`insert into ${name} (${TABLE_COLUMNS.join(', ')}) values (${TABLE_COLUMNS.map((c) => `@${c}`).join(', ')})`);
      db.transaction(() => rows.forEach((r) => insert.run(r)))();
    }
    db.exec('create table legacy_json (legacy_id text, tenant_slug text, creds text)');
    const insert = db.prepare('insert into legacy_json values (@legacy_id, @tenant_slug, @creds)');
    for (const r of jsonRows) insert.run(r);
  } finally {
    db.close();
  }

  if (havePostgres) {
    pgSource = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: pgSource.url });
    await client.connect();
    try {
      for (const [name, rows] of [['legacy_credentials', pgRows] as [string, TableRow[]], ...tables.slice(1)]) {
        await client.query(`create table ${name} (${TABLE_COLUMNS.map((c) => `${c} text`).join(', ')})`);
        const values: unknown[] = [];
        const tuples = rows.map((r) => `(${TABLE_COLUMNS.map((c) => `$${values.push(r[c])}`).join(', ')})`);
        await client.query(`insert into ${name} (${TABLE_COLUMNS.join(', ')}) values ${tuples.join(', ')}`, values);
      }
      // jsonb: the driver gives the column as an object; the unparsable row cannot be stored as jsonb, so it is text there.
      await client.query('create table legacy_json (legacy_id text, tenant_slug text, creds jsonb)');
      for (const r of jsonRows.slice(0, 2)) await client.query('insert into legacy_json values ($1, $2, $3)', [r.legacy_id, r.tenant_slug, r.creds]);
      await client.query('create table legacy_json_text (legacy_id text, tenant_slug text, creds text)');
      for (const r of jsonRows) await client.query('insert into legacy_json_text values ($1, $2, $3)', [r.legacy_id, r.tenant_slug, r.creds]);
    } finally {
      await client.end();
    }
  }
});

afterAll(async () => {
  await pgSource?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('usage mistakes exit 2 before any vault is opened', async () => {
  const env = { COFFER_DATA_DIR: join(work, 'no-vault'), COFFER_DATABASE_URL: `sqlite:${join(work, 'no-vault', 'coffer.db')}` };
  const migrate = (...args: string[]) => coffer(['migrate', 'legacy', ...args], { env });
  const map = ['--map', 'key=legacy_id', '--map', 'tenant=tenant_slug', '--map', 'credentials.api_key=api_key', '--provider', 'takealot'];
  const [both, noTable, badMap, noTenant] = await Promise.all([
    migrate('--from-file', file('bulk.ndjson'), '--from-url', `sqlite:${sqliteSource}`, '--table', 'legacy_credentials', ...map),
    migrate('--from-url', `sqlite:${sqliteSource}`, ...map),
    migrate('--from-file', file('bulk.ndjson'), ...map, '--map', 'credentials.api_key'),
    migrate('--from-file', file('bulk.ndjson'), '--map', 'key=legacy_id', '--map', 'credentials.api_key=api_key', '--provider', 'takealot'),
  ]);
  expectUsage(both, /--from-file/);
  expectUsage(noTable, /--table/);
  expectUsage(badMap, /--map/);
  expectUsage(noTenant, /tenant/);
});

forEachBackendInParallel('coffer migrate legacy', (backend) => {
  const env = () => backendEnv(backend());
  const run = (args: string[], timeoutMs?: number) => coffer(args, { env: env(), ...(timeoutMs ? { timeoutMs } : {}) });
  const migrate = (...args: string[]) => run(['migrate', 'legacy', ...args]);
  const list = async (tenant: string) => {
    const r = await run(['connection', 'list', '--tenant', tenant, '--json']);
    expectNoneOf(r, canaries);
    return okJson<Connection[]>(r);
  };
  const credentials = async (tenant: string, id: string) =>
    okJson<{ values: Record<string, string>; headers: Record<string, string>; baseUrl: string; provider: string }>(await run(['connection', 'credentials', id, '--tenant', tenant]));
  const byName = (items: Connection[]) => new Map(items.map((c) => [c.displayName, c]));

  beforeAll(async () => {
    // No tenant yet: the first import creates alpha and beta (--create-tenants).
    expectOk(await run(['init']));
  });

  it('imports 250 NDJSON rows into two new tenants in batches of 100, verified, listed masked, audited, never printed', async () => {
    const r = await migrate('--from-file', file('bulk.ndjson'), ...BULK_MAP, '--batch-size', '100', '--create-tenants');
    expectOk(r);
    expectNoneOf(r, canaries);
    expect(r.stdout).toBe('Read 250 row(s): imported 250, already imported 0, failed 0.\nVerified 250 of 250 imported value(s): each decrypts to its source.\n');
    expect(r.stderr).toBe('');

    const [alpha, beta] = await Promise.all([list('alpha'), list('beta')]);
    expect(alpha).toHaveLength(125);
    expect(beta).toHaveLength(125);
    const alphaByName = byName(alpha);
    const betaByName = byName(beta);
    for (const row of bulk) {
      const c = (row.tenant_slug === 'alpha' ? alphaByName : betaByName).get(row.label);
      expect(c, `connection for ${row.tenant_slug}/${row.legacy_id}`).toBeDefined();
      expect(c).toMatchObject({
        tenant: row.tenant_slug,
        provider: 'generic-api-key',
        status: 'active',
        config: { api_host: row.api_host },
        secret: { name: `${c!.id}.credentials`, owned: true },
        credentials: { api_key: masked(row.api_key, 'sk_live_') },
        importKey: row.legacy_id,
      });
    }

    const picks = [bulk[0]!, bulk[249]!]; // first row (alpha), last row (beta)
    const idOf = (row: BulkRow) => (row.tenant_slug === 'alpha' ? alphaByName : betaByName).get(row.label)!.id;
    const [audit, ...creds] = await Promise.all([
      run(['audit', 'list', '--action', 'connection.import', '--limit', '1000', '--json']),
      ...picks.map((row) => run(['connection', 'credentials', idOf(row), '--tenant', row.tenant_slug])),
    ]);
    picks.forEach((row, i) => {
      expect(okJson(creds[i]!)).toMatchObject({
        provider: 'generic-api-key',
        values: { api_key: row.api_key },
        baseUrl: `https://${row.api_host}`,
        headers: { Authorization: `Bearer ${row.api_key}` },
      });
    });

    const events = okJson<{ items: AuditItem[] }>(audit).items;
    expectNoneOf(audit, canaries);
    expect(events).toHaveLength(250);
    // Core records each import with the CLI user who ran it.
    expect(events.every((e) => /^cli(:.+)?$/.test(e.actor) && e.outcome === 'success' && e.details.provider === 'generic-api-key')).toBe(true);
    const ids = new Set([...alpha, ...beta].map((c) => c.id));
    expect(new Set(events.map((e) => e.target))).toEqual(ids);
    expect(events.filter((e) => e.tenant === 'alpha')).toHaveLength(125);
    expect(events.map((e) => e.details.row as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // Each event names the legacy key of the row its connection came from.
    const importKeyOf = new Map([...alpha, ...beta].map((c) => [c.id, c.importKey]));
    expect(events.every((e) => e.details.importKey === importKeyOf.get(e.target!) && e.details.importKey === bulk[(e.details.row as number) - 1]!.legacy_id)).toBe(true);
  });

  it('a re-run skips everything; --dry-run reports what it would import and writes nothing', async () => {
    const [again, dry] = await Promise.all([
      migrate('--from-file', file('bulk.ndjson'), ...BULK_MAP, '--batch-size', '100', '--json'),
      migrate('--from-file', file('fresh.ndjson'), ...BULK_MAP, '--create-tenants', '--dry-run'),
    ]);
    const againSummary = okJson<Summary>(again);
    expect(againSummary).toMatchObject({ read: 250, imported: 0, skipped: 250, verified: 0, failed: [], dryRun: false });
    // Every row's connection, made by the first run, found from its legacy key.
    expect(againSummary.connections).toHaveLength(250);
    expect(againSummary.connections.every((c, i) => c.row === i + 1 && c.outcome === 'skipped' && c.key === bulk[i]!.legacy_id && c.tenant === bulk[i]!.tenant_slug)).toBe(true);
    expectNoneOf(again, canaries);
    expect(again.stderr).toBe('');

    expectOk(dry);
    expectNoneOf(dry, canaries);
    // 10 new alpha rows and 6 of tenant gamma (which --create-tenants would create); 2 imported before.
    expect(dry.stdout).toBe('Dry run: nothing was written. Read 18 row(s): would import 16, already imported 2, failed 0.\n');

    // Nothing written: alpha still has its 125 connections (and tenant gamma was not created:
    // the next test lists the tenants).
    const alpha = await list('alpha');
    expect(alpha).toHaveLength(125);
    expect(alpha.some((c) => c.displayName.startsWith('Fresh') || c.displayName === 'Changed')).toBe(false);
  });

  it('bad rows are reported by row, key and code (exit 1) while the good rows of their batches are imported', async () => {
    // The import (--json) and, beside it, a dry run of the same file in human form: the table of
    // problems is the same whatever was imported meanwhile.
    const [first, human] = await Promise.all([
      migrate('--from-file', file('mixed.ndjson'), ...MIXED_MAP, '--batch-size', '4', '--json'),
      migrate('--from-file', file('mixed.ndjson'), ...MIXED_MAP, '--batch-size', '4', '--dry-run'),
    ]);
    expectNoneOf(first, canaries);
    const summary = summaryOf(first, 1);
    expect(summary).toEqual({
      read: 10,
      imported: 5,
      skipped: 0,
      verified: 5,
      failed: [
        { row: 2, key: null, code: 'INVALID_ARGUMENT', message: 'is not valid JSON' },
        { row: 4, key: 'mixed-04', code: 'CONNECTION_INVALID', message: expect.stringContaining('credentials.secret_key') },
        { row: 5, key: null, code: 'INVALID_ARGUMENT', message: expect.stringContaining('legacy_id') },
        { row: 7, key: 'mixed-07', code: 'TENANT_NOT_FOUND', message: expect.stringContaining('delta') },
        { row: 9, key: 'mixed-09', code: 'PROVIDER_NOT_FOUND', message: expect.any(String) },
      ],
      connections: [1, 3, 6, 8, 10].map((row) => ({ row, tenant: mixedGood[row as keyof typeof mixedGood].tenant_slug, key: mixedGood[row as keyof typeof mixedGood].legacy_id, connectionId: expect.stringMatching(/^con_/), outcome: 'imported' })),
      dryRun: false,
    });

    expect(human.code, show(human)).toBe(1);
    expectNoneOf(human, canaries);
    expect(human.stdout).toMatch(/^Dry run: nothing was written\. Read 10 row\(s\): would import \d, already imported \d, failed 5\.\n\n/);
    expect(human.stdout).toMatch(/^ROW\s+KEY\s+CODE\s+PROBLEM$/m);
    expect(human.stdout).toMatch(/^2\s+-\s+INVALID_ARGUMENT\s+is not valid JSON$/m);
    expect(human.stdout).toMatch(/^4\s+mixed-04\s+CONNECTION_INVALID\s+\S/m);
    expect(human.stdout).toMatch(/^5\s+-\s+INVALID_ARGUMENT\s+has no legacy_id/m);
    expect(human.stdout).toMatch(/^7\s+mixed-07\s+TENANT_NOT_FOUND\s+\S/m);
    expect(human.stdout).toMatch(/^9\s+mixed-09\s+PROVIDER_NOT_FOUND\s+\S/m);
    expect(human.stdout).toContain('run the same command again');

    // With --create-tenants the unknown tenant's row goes in; the other bad rows still fail.
    const created = await migrate('--from-file', file('mixed.ndjson'), ...MIXED_MAP, '--batch-size', '4', '--create-tenants', '--json');
    expectNoneOf(created, canaries);
    const after = summaryOf(created, 1);
    expect(after).toMatchObject({ read: 10, imported: 1, skipped: 5, verified: 1, dryRun: false });
    expect(after.failed.map((f) => [f.row, f.key, f.code])).toEqual([
      [2, null, 'INVALID_ARGUMENT'],
      [4, 'mixed-04', 'CONNECTION_INVALID'],
      [5, null, 'INVALID_ARGUMENT'],
      [9, 'mixed-09', 'PROVIDER_NOT_FOUND'],
    ]);

    // alpha: 125 + rows 1, 3, 10; beta: 125 + rows 6, 8; delta: row 7. No gamma: the dry run
    // of the previous test did not create it.
    const tenants = await run(['tenant', 'list', '--json']);
    expectNoneOf(tenants, canaries);
    expect(okJson<Array<{ id: string; secretCount: number }>>(tenants).map((t) => [t.id, t.secretCount]).sort()).toEqual([
      ['alpha', 128],
      ['beta', 127],
      ['delta', 1],
    ]);
  });

  it('--create-tenants: a row whose tenant id is not a valid id fails alone, with the summary printed', async () => {
    const r = await migrate('--from-file', file('bad-tenant.ndjson'), ...MIXED_MAP, '--create-tenants', '--json');
    expectNoneOf(r, canaries);
    const summary = summaryOf(r, 1);
    expect(summary).toMatchObject({ read: 2, imported: 1, skipped: 0, verified: 1 });
    expect(summary.failed.map((f) => [f.row, f.key])).toEqual([[2, 'probe-02']]);
  });

  it('imports a SQLite table (sqlite:<path>) and a PostgreSQL table (postgres://…), idempotently, values round-trip', async () => {
    const sources: Array<[string, TableRow[]]> = [[`sqlite:${sqliteSource}`, sqliteRows], ...(havePostgres ? [[pgSource!.url, pgRows] as [string, TableRow[]]] : [])];
    const argsFor = (url: string) => ['--from-url', url, '--table', 'legacy_credentials', ...MIXED_MAP, '--batch-size', '7', '--json'];
    const firsts = await Promise.all(sources.map(([url]) => migrate(...argsFor(url))));
    firsts.forEach((r, i) => {
      expectNoneOf(r, canaries);
      expect(okJson<Summary>(r), sources[i]![0]).toMatchObject({ read: 30, imported: 30, skipped: 0, verified: 30, failed: [], dryRun: false });
    });

    const [alpha, beta, ...agains] = await Promise.all([list('alpha'), list('beta'), ...sources.map(([url]) => migrate(...argsFor(url)))]);
    agains.forEach((r, i) => {
      expectNoneOf(r, canaries);
      expect(okJson<Summary>(r), sources[i]![0]).toMatchObject({ read: 30, imported: 0, skipped: 30, verified: 0, failed: [], dryRun: false });
    });
    const found = new Map([...byName(alpha!), ...byName(beta!)]);
    for (const row of sources.flatMap(([, rows]) => rows)) {
      const c = found.get(row.label);
      expect(c, `connection for ${row.tenant_slug}/${row.legacy_id}`).toBeDefined();
      expect(c).toMatchObject({
        tenant: row.tenant_slug,
        provider: row.provider_id,
        credentials: row.api_key !== null ? { api_key: masked(row.api_key, 'tk_') } : { secret_key: masked(row.secret_key!, 'sk_live_') },
      });
    }
    // One value of each provider: a Takealot row of beta from SQLite, a Clerk row of alpha from PostgreSQL.
    const picks = [sqliteRows.find((r) => r.provider_id === 'takealot' && r.tenant_slug === 'beta')!, (havePostgres ? pgRows : sqliteRows).find((r) => r.provider_id === 'clerk' && r.tenant_slug === 'alpha')!];
    const creds = await Promise.all(picks.map((row) => credentials(row.tenant_slug, found.get(row.label)!.id)));
    expect(creds[0]!.values).toEqual({ api_key: picks[0]!.api_key });
    expect(creds[1]!.values).toEqual({ secret_key: picks[1]!.secret_key });
  });

  // The readers do not depend on the vault: each backend's block probes the source of its own kind.
  const sameKindSource = () => (backend().name === 'postgres' ? pgSource!.url : `sqlite:${sqliteSource}`);
  const probeMap = ['--map', 'key=legacy_id', '--map', 'tenant=tenant_slug', '--map', 'credentials.api_key=api_key', '--provider', 'takealot', '--dry-run'];

  it('table source of this kind: rows sharing a key across tenants are all read across a page boundary; a row without a key is reported once and the read ends; a quoted table name is refused', async ({ expect }) => {
    // The test's own expect: a soft failure must be recorded on this test (they run concurrently).
    const url = sameKindSource();
    const [many, nullKey, quoted] = await Promise.all([
      migrate('--from-url', url, '--table', 'legacy_many', ...probeMap, '--json'),
      // A reader that loops on a NULL key never ends: bounded, so that it shows as a failure.
      run(['migrate', 'legacy', '--from-url', url, '--table', 'legacy_nullkey', ...probeMap, '--json'], 5_000),
      migrate('--from-url', url, '--table', 'legacy_credentials"; drop table legacy_credentials; --', ...probeMap),
    ]);
    expect(expectError(quoted, 'INVALID_ARGUMENT')).toContain('--table');
    // Soft: both readings are reported even when one of them fails.
    expect.soft(okJson<Summary>(many), 'legacy_many (503 rows)').toEqual({ read: 503, imported: 503, skipped: 0, verified: 0, failed: [], connections: [], dryRun: true });

    expect(nullKey.code, `killed after 5 s: the read of a 3-row table with a NULL key did not end\n${show(nullKey)}`).not.toBe(-1);
    expectNoneOf(nullKey, canaries);
    const s = summaryOf(nullKey, 1);
    expect(s).toMatchObject({ read: 3, imported: 2, skipped: 0, dryRun: true });
    expect(s.failed).toEqual([{ row: expect.any(Number), key: null, code: 'INVALID_ARGUMENT', message: expect.stringContaining('legacy_id') }]);
  });
  it('a page boundary between two rows with the same key and tenant: all 501 rows read, both reported as duplicates with their positions, in the dry run and the import (exit 1)', async () => {
    const url = sameKindSource();
    const args = ['--from-url', url, '--table', 'legacy_boundary', '--map', 'key=legacy_id', '--map', 'tenant=tenant_slug', '--map', 'credentials.api_key=api_key', '--provider', 'takealot'];
    const [dry, human] = await Promise.all([migrate(...args, '--dry-run', '--json'), migrate(...args, '--dry-run')]);
    const duplicates = [
      { row: 500, key: 'edge-499', code: 'INVALID_ARGUMENT', message: expect.stringContaining('same key and tenant as row 501'), duplicateOf: [501] },
      { row: 501, key: 'edge-499', code: 'INVALID_ARGUMENT', message: expect.stringContaining('same key and tenant as row 500'), duplicateOf: [500] },
    ];
    expectNoneOf(dry, canaries);
    expect(summaryOf(dry, 1)).toMatchObject({ read: 501, imported: 499, failed: duplicates, dryRun: true });
    expect(human.code, show(human)).toBe(1);
    expect(human.stdout).toMatch(/Read 501 row\(s\): would import 499, already imported 0, failed 2\./);
    expect(human.stdout).toMatch(/^500\s+edge-499\s+INVALID_ARGUMENT\s+has the same key and tenant as row 501/m);

    const real = await run(['migrate', 'legacy', ...args, '--batch-size', '250', '--json'], 120_000);
    expectNoneOf(real, canaries);
    expect(summaryOf(real, 1)).toMatchObject({ read: 501, imported: 499, verified: 499, failed: duplicates, dryRun: false });
  });

  it('a migrated connection shows its legacy key: coffer connection get (human and --json)', async () => {
    const [connection] = (await list('beta')).filter((c) => c.importKey === 'legacy-124');
    expect(connection).toBeDefined();
    const [human, json] = await Promise.all([run(['connection', 'get', connection!.id, '--tenant', 'beta']), run(['connection', 'get', connection!.id, '--tenant', 'beta', '--json'])]);
    expectOk(human);
    expect(human.stdout).toMatch(/^  imported\s+from legacy key legacy-124$/m);
    expect(okJson<Connection>(json).importKey).toBe('legacy-124');
  });

  it('maps a field of a JSON column (--map credentials.api_key=creds.takealot.api_key); a null or unparsable column is reported with that cause', async () => {
    const url = sameKindSource();
    const tables = backend().name === 'postgres' ? ['legacy_json', 'legacy_json_text'] : ['legacy_json'];
    const args = (t: string) => ['--from-url', url, '--table', t, '--map', 'key=legacy_id', '--map', 'tenant=tenant_slug', '--map', 'credentials.api_key=creds.takealot.api_key', '--provider', 'takealot', '--json'];
    const results = await Promise.all(tables.map((t) => migrate(...args(t), '--dry-run')));
    results.forEach((r, i) => {
      expectNoneOf(r, canaries);
      const s = summaryOf(r, 1);
      expect(s, tables[i]).toMatchObject({ imported: 1, dryRun: true });
      expect(s.failed.map((f) => [f.key, f.message]), tables[i]).toEqual([
        ['json-2', 'creds is null (it holds creds.takealot.api_key)'],
        ...(tables[i] === 'legacy_json' && backend().name === 'postgres' ? [] : [['json-3', 'creds is not valid JSON (it holds creds.takealot.api_key)']]),
      ]);
    });
    const real = await migrate(...args(tables[0]!));
    expectNoneOf(real, canaries);
    const s = summaryOf(real, 1);
    expect(s).toMatchObject({ imported: 1, verified: 1 });
    expect((await credentials('beta', s.connections[0]!.connectionId)).values).toEqual({ api_key: jsonGood });
  });
});
