/**
 * The legacy import loses nothing (issue 10): every source row is read once whatever the page
 * and batch sizes; rows sharing a key and tenant are all reported, never half-imported; each
 * connection leads back to its legacy key; credentials can come from a JSON column; and a
 * credential field may be as long as a secret value allows.
 *
 * Each vault backend (SQLite, PostgreSQL) imports from each source kind (a SQLite file, a
 * PostgreSQL database, NDJSON). The sources are made once and only read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importLegacy, MAX_VALUE_BYTES, type Coffer, type LegacyImportSummary, type LegacyMapping, type LegacySource } from '../src/index.js';
import { BACKENDS, createPostgresDatabase, forEachBackend } from './support/backends.js';
import { expectCode, hex, openCoffer } from './helpers.js';

type Row = Record<string, string | null>;
const pad = (n: number, width = 3) => String(n).padStart(width, '0');
const secret = () => `tk_${hex(12)}`;

/** 501 rows: 500 distinct keys, and the last key twice, so the two fall on either side of a 500-row page. */
const boundaryRows: Row[] = [
  ...Array.from({ length: 500 }, (_, i) => ({ legacy_id: `b-${pad(i)}`, tenant_slug: 'alpha', api_key: secret(), creds: null })),
  { legacy_id: 'b-499', tenant_slug: 'alpha', api_key: secret(), creds: null },
];

/** 20 keys in alpha, each 1, 2 or 3 times, and once each in beta (a key shared by tenants is no duplicate). */
const GROUP_SIZES = Array.from({ length: 20 }, (_, i) => (i % 3) + 1);
const groupRows: Row[] = GROUP_SIZES.flatMap((size, i) => [
  ...Array.from({ length: size }, () => ({ legacy_id: `g-${pad(i, 2)}`, tenant_slug: 'alpha', api_key: secret(), creds: null })),
  { legacy_id: `g-${pad(i, 2)}`, tenant_slug: 'beta', api_key: secret(), creds: null },
]);
const DUPLICATE_ROWS = GROUP_SIZES.filter((s) => s > 1).reduce((a, b) => a + b, 0);

/** Credentials in a JSON text column: one good row, then each way the column can be wrong. */
const JSON_GOOD = secret();
const jsonRows: Row[] = [
  { legacy_id: 'j-1', tenant_slug: 'alpha', api_key: null, creds: JSON.stringify({ api_key: JSON_GOOD, unused: secret() }) },
  { legacy_id: 'j-2', tenant_slug: 'alpha', api_key: null, creds: null },
  { legacy_id: 'j-3', tenant_slug: 'alpha', api_key: null, creds: `{"api_key":"${secret()}"` },
  { legacy_id: 'j-4', tenant_slug: 'alpha', api_key: null, creds: JSON.stringify([secret()]) },
  { legacy_id: 'j-5', tenant_slug: 'alpha', api_key: null, creds: JSON.stringify({ other: secret() }) },
  { legacy_id: 'j-6', tenant_slug: 'alpha', api_key: null, creds: JSON.stringify({ api_key: { nested: secret() } }) },
];
const COLUMNS = ['legacy_id', 'tenant_slug', 'api_key', 'creds'] as const;
const TABLES: Array<[string, Row[]]> = [
  ['legacy_boundary', boundaryRows],
  ['legacy_groups', groupRows],
  ['legacy_json', jsonRows],
];

const MAP: LegacyMapping = { key: 'legacy_id', tenant: 'tenant_slug', provider: 'takealot', credentials: { api_key: 'api_key' } };
const JSON_MAP: LegacyMapping = { ...MAP, credentials: { api_key: 'creds.api_key' } };

let work: string;
const sources: Array<{ kind: 'sqlite' | 'postgres'; url: string }> = [];
let pgSource: { url: string; drop: () => Promise<void> } | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'coffer-legacy-import-'));
  const file = join(work, 'legacy.db');
  const db = new Database(file);
  try {
    for (const [name, rows] of TABLES) {
      db.exec(`create table ${name} (${COLUMNS.map((c) => `${c} text`).join(', ')})`);
      const insert = db.prepare(`insert into ${name} (${COLUMNS.join(', ')}) values (${COLUMNS.map((c) => `@${c}`).join(', ')})`);
      db.transaction(() => rows.forEach((r) => insert.run(r)))();
    }
  } finally {
    db.close();
  }
  sources.push({ kind: 'sqlite', url: `sqlite:${file}` });
  if (BACKENDS.includes('postgres')) {
    pgSource = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: pgSource.url });
    await client.connect();
    try {
      for (const [name, rows] of TABLES) {
        await client.query(`create table ${name} (${COLUMNS.map((c) => `${c} text`).join(', ')})`);
        const values: unknown[] = [];
        const tuples = rows.map((r) => `(${COLUMNS.map((c) => `$${values.push(r[c])}`).join(', ')})`);
        await client.query(`insert into ${name} (${COLUMNS.join(', ')}) values ${tuples.join(', ')}`, values);
      }
    } finally {
      await client.end();
    }
    sources.push({ kind: 'postgres', url: pgSource.url });
  }
});

afterAll(async () => {
  await pgSource?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const ndjson = (name: string, rows: readonly unknown[]): LegacySource => {
  const path = join(work, name);
  writeFileSync(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return { kind: 'ndjson', file: path };
};

forEachBackend('legacy import', (backend) => {
  let coffer: Coffer;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
    await coffer.tenants.create('alpha');
    await coffer.tenants.create('beta');
  });
  afterAll(async () => coffer?.close());

  const table = (url: string, name: string): LegacySource => ({ kind: 'table', url, table: name });

  it('reads every row of a table once: a page boundary between two rows with the same key and tenant loses neither', async () => {
    for (const { kind, url } of sources) {
      const s = await importLegacy(coffer, table(url, 'legacy_boundary'), MAP, { dryRun: true });
      // Soft: each source kind is reported even when the other fails.
      expect.soft(s.read, `${kind} source, 500-row pages`).toBe(501);
      expect.soft(s.imported, kind).toBe(499);
      expect.soft(s.failed.map((f) => [f.row, f.key, f.duplicateOf]), kind).toEqual([
        [500, 'b-499', [501]],
        [501, 'b-499', [500]],
      ]);
    }
  });

  it('at any page and batch size, the count read is the source row count and every duplicate is reported', async () => {
    for (const { kind, url } of sources) {
      for (const [pageSize, batchSize] of [[1, 1], [2, 3], [3, 2], [4, 100], [5, 7], [7, 5], [500, 100]] as const) {
        const s = await importLegacy(coffer, table(url, 'legacy_groups'), MAP, { dryRun: true, pageSize, batchSize });
        const at = `${kind} source, page ${pageSize}, batch ${batchSize}`;
        expect(s.read, at).toBe(groupRows.length);
        expect(s.imported + s.failed.length, at).toBe(groupRows.length);
        expect(s.failed, at).toHaveLength(DUPLICATE_ROWS);
        expect(new Set(s.failed.map((f) => f.row)).size, at).toBe(DUPLICATE_ROWS);
        for (const f of s.failed) {
          expect(f.code, at).toBe('INVALID_ARGUMENT');
          expect(f.message, at).toMatch(/^has the same key and tenant as row \d+/);
          // Each names the others of its group, and they name it back.
          for (const other of f.duplicateOf!) expect(s.failed.find((g) => g.row === other)?.duplicateOf, at).toContain(f.row);
          expect(f.duplicateOf!.length + 1, at).toBe(GROUP_SIZES[Number(f.key!.slice(2))]);
        }
      }
    }
  });

  it('duplicates in an import: none of them is written, the others are; a re-run skips what was imported and still reports the duplicates', async () => {
    const key = `dup-${hex(4)}`;
    const rows = [
      { legacy_id: `${key}-a`, tenant_slug: 'alpha', api_key: secret() },
      { legacy_id: key, tenant_slug: 'alpha', api_key: secret() },
      // The same key in another tenant is another connection.
      { legacy_id: key, tenant_slug: 'beta', api_key: secret() },
      { legacy_id: `${key}-b`, tenant_slug: 'alpha', api_key: secret() },
      { legacy_id: key, tenant_slug: 'alpha', api_key: secret() },
    ];
    const source = ndjson(`dups-${key}.ndjson`, rows);
    const expected = [
      { row: 2, key, code: 'INVALID_ARGUMENT', message: expect.stringContaining('same key and tenant as row 5'), duplicateOf: [5] },
      { row: 5, key, code: 'INVALID_ARGUMENT', message: expect.stringContaining('same key and tenant as row 2'), duplicateOf: [2] },
    ];
    const dry = await importLegacy(coffer, source, MAP, { dryRun: true, batchSize: 2 });
    expect(dry).toMatchObject({ read: 5, imported: 3, skipped: 0, failed: expected });

    const first = await importLegacy(coffer, source, MAP, { batchSize: 2 });
    expect(first).toMatchObject({ read: 5, imported: 3, skipped: 0, verified: 3, failed: expected });
    const alpha = (await coffer.connections.list('alpha', { limit: 1000 })).items;
    expect(alpha.filter((c) => c.importKey === key)).toEqual([]);

    const again = await importLegacy(coffer, source, MAP, { batchSize: 2 });
    expect(again).toMatchObject({ read: 5, imported: 0, skipped: 3, verified: 0, failed: expected });
  });

  it('a connection leads back to its legacy key: the summary, the connection and its audit event', async () => {
    const key = `way-back-${hex(4)}`;
    const source = ndjson(`way-back-${key}.ndjson`, [
      { legacy_id: key, tenant_slug: 'beta', api_key: secret() },
      { legacy_id: `${key}-2`, tenant_slug: 'alpha', api_key: secret() },
    ]);
    const first = await importLegacy(coffer, source, MAP);
    expect(first.connections).toEqual([
      { row: 1, tenant: 'beta', key, connectionId: expect.stringMatching(/^con_/), outcome: 'imported' },
      { row: 2, tenant: 'alpha', key: `${key}-2`, connectionId: expect.stringMatching(/^con_/), outcome: 'imported' },
    ]);
    const id = first.connections[0]!.connectionId;
    expect(await coffer.connections.get('beta', id)).toMatchObject({ id, importKey: key });
    expect((await coffer.connections.list('beta', { limit: 1000 })).items.find((c) => c.id === id)?.importKey).toBe(key);
    const event = (await coffer.audit.list({ tenant: 'beta', action: 'connection.import', limit: 1000 })).items.find((e) => e.target === id);
    expect(event?.details).toMatchObject({ importKey: key, row: 1, provider: 'takealot' });

    // A re-run and a dry run name the same connections, made earlier.
    const [again, dry] = [await importLegacy(coffer, source, MAP), await importLegacy(coffer, source, MAP, { dryRun: true })];
    const earlier = first.connections.map((c) => ({ ...c, outcome: 'skipped' }));
    expect(again.connections).toEqual(earlier);
    expect(dry.connections).toEqual(earlier);
    // A connection made otherwise has none.
    const plain = await coffer.connections.create('beta', { provider: 'takealot', credentials: { api_key: secret() } });
    expect(plain.importKey).toBeNull();
  });

  it('maps fields of a JSON column; a null or invalid JSON column is reported as such, not as a missing field', async () => {
    for (const { kind, url } of sources) {
      const s = await importLegacy(coffer, table(url, 'legacy_json'), JSON_MAP, { dryRun: true });
      expect(s, kind).toMatchObject({ read: 6, imported: 1 });
      expect(s.failed.map((f) => [f.row, f.key, f.code, f.message]), kind).toEqual([
        [2, 'j-2', 'INVALID_ARGUMENT', 'creds is null (it holds creds.api_key)'],
        [3, 'j-3', 'INVALID_ARGUMENT', 'creds is not valid JSON (it holds creds.api_key)'],
        [4, 'j-4', 'INVALID_ARGUMENT', 'creds is not a JSON object (it holds creds.api_key)'],
        [5, 'j-5', 'CONNECTION_INVALID', expect.stringContaining('credentials.api_key')],
        [6, 'j-6', 'INVALID_ARGUMENT', 'creds.api_key is not text'],
      ]);
      expect(JSON.stringify(s)).not.toContain('tk_');
    }
    // Imported for real (once: the key is the same in both sources): the value is the JSON field's.
    const [source] = sources;
    const real = await importLegacy(coffer, table(source!.url, 'legacy_json'), JSON_MAP);
    expect(real).toMatchObject({ imported: 1, verified: 1 });
    const { values } = await coffer.connections.getCredentials('alpha', real.connections[0]!.connectionId);
    expect(values).toEqual({ api_key: JSON_GOOD });
  });

  it('maps fields of a nested NDJSON object, or of a JSON string in NDJSON', async () => {
    const key = `nested-${hex(4)}`;
    const [a, b] = [secret(), secret()];
    const source = ndjson(`nested-${key}.ndjson`, [
      { legacy_id: `${key}-1`, tenant_slug: 'alpha', creds: { takealot: { api_key: a } } },
      { legacy_id: `${key}-2`, tenant_slug: 'alpha', creds: JSON.stringify({ takealot: { api_key: b } }) },
      { legacy_id: `${key}-3`, tenant_slug: 'alpha', creds: { takealot: 'not an object' } },
    ]);
    const s = await importLegacy(coffer, source, { ...MAP, credentials: { api_key: 'creds.takealot.api_key' } });
    expect(s).toMatchObject({ read: 3, imported: 2, verified: 2, failed: [{ row: 3, code: 'INVALID_ARGUMENT', message: 'creds.takealot is not a JSON object (it holds creds.takealot.api_key)' }] });
    const values = await Promise.all(s.connections.map(async (c) => (await coffer.connections.getCredentials('alpha', c.connectionId)).values));
    expect(values).toEqual([{ api_key: a }, { api_key: b }]);
  });

  it('a credential field may fill the whole 64 KiB of its secret, on create and import; one byte more fails that row alone', async () => {
    // {"api_key":"…"}: 14 bytes around the field.
    const fits = 'k'.repeat(MAX_VALUE_BYTES - 14);
    const over = 'k'.repeat(MAX_VALUE_BYTES - 13);
    const created = await coffer.connections.create('alpha', { provider: 'takealot', credentials: { api_key: fits } });
    expect((await coffer.connections.getCredentials('alpha', created.id)).values.api_key).toHaveLength(MAX_VALUE_BYTES - 14);
    await expectCode(coffer.connections.create('alpha', { provider: 'takealot', credentials: { api_key: over } }), 'SECRET_VALUE_TOO_LARGE');
    const tooLong = await expectCode(coffer.connections.create('alpha', { provider: 'takealot', credentials: { api_key: 'k'.repeat(MAX_VALUE_BYTES + 1) } }), 'CONNECTION_INVALID');
    expect(tooLong.message).toContain(`at most ${MAX_VALUE_BYTES} characters`);

    const key = `size-${hex(4)}`;
    const source = ndjson(`size-${key}.ndjson`, [
      { legacy_id: `${key}-1`, tenant_slug: 'alpha', api_key: 'k'.repeat(8193) },
      { legacy_id: `${key}-2`, tenant_slug: 'alpha', api_key: over },
      { legacy_id: `${key}-3`, tenant_slug: 'alpha', api_key: fits },
    ]);
    const s: LegacyImportSummary = await importLegacy(coffer, source, MAP);
    expect(s).toMatchObject({ read: 3, imported: 2, verified: 2, failed: [{ row: 2, key: `${key}-2`, code: 'SECRET_VALUE_TOO_LARGE' }] });
  });
});
