/**
 * Moving plaintext credentials out of a product's own tables into vault-backed connections:
 * `coffer migrate legacy`. Rows come from an NDJSON file or from a table of an existing
 * PostgreSQL or SQLite database; a mapping says which column is what. Rows are imported in
 * batches, each batch one transaction; a re-run skips what was imported (by the row's key);
 * every imported value is decrypted again and compared with its source.
 *
 * Source values never appear in the summary, the errors or the progress: a row is named by its
 * key and its position, a problem by its field and its rule.
 *
 * Nothing is lost silently: every source row is read (and counted) once, and rows that share a
 * key and tenant are all reported as failed, since the vault can keep only one of them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Coffer } from '../coffer.js';
import { CofferError } from '../errors.js';
import { parseDatabaseUrl, redactUrl } from '../store/database.js';

/**
 * Which source column holds what. Besides `key` and `tenant` (plain columns), a source may be a
 * path into a JSON column or a nested NDJSON object: `creds.api_key` is the `api_key` field of
 * column `creds`.
 */
export interface LegacyMapping {
  /** A column unique per tenant: makes re-runs idempotent. */
  key: string;
  tenant: string;
  /** The column with the provider id, or `provider` below for one fixed provider. */
  providerColumn?: string;
  provider?: string;
  /** The column with a display name. */
  name?: string;
  /** Credential field → column or path. */
  credentials: Record<string, string>;
  /** Config field → column or path. */
  config?: Record<string, string>;
}

export type LegacySource = { kind: 'ndjson'; file: string } | { kind: 'table'; url: string; table: string };

export interface LegacyImportOptions {
  dryRun?: boolean;
  /** Rows per transaction. Default 100. */
  batchSize?: number;
  /** Create tenants that do not exist yet instead of refusing their rows. */
  createTenants?: boolean;
  onProgress?: (done: number) => void;
  /** Rows per query when reading a table. Default 500; smaller only to test page boundaries. */
  pageSize?: number;
}

export interface RowProblem {
  /** 1-based position in the source. */
  row: number;
  /** The row's key, when it has one. */
  key: string | null;
  code: string;
  message: string;
  /** For a row whose key and tenant another row has too: the positions of those rows. */
  duplicateOf?: number[];
}

/** Where a row's connection is: its legacy key leads to it. */
export interface ImportedRow {
  row: number;
  tenant: string;
  key: string;
  connectionId: string;
  /** Made by this run, or by an earlier one. */
  outcome: 'imported' | 'skipped';
}

export interface LegacyImportSummary {
  read: number;
  imported: number;
  /** Imported by an earlier run. */
  skipped: number;
  /** Decrypted again after commit and equal to their source. */
  verified: number;
  failed: RowProblem[];
  /**
   * Each row's connection, made now or by an earlier run; a dry run lists only those made
   * earlier. In row order.
   */
  connections: ImportedRow[];
  dryRun: boolean;
}

type Row = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** A column, or a path into it when it holds JSON: `creds.api_key`, `creds.oauth.refresh_token`. */
const SOURCE_PATH = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z0-9_-]{1,64}){0,7}$/;

function checkMapping(mapping: LegacyMapping): void {
  // The key and tenant order and page a table: plain columns.
  for (const c of [mapping.key, mapping.tenant]) if (!IDENTIFIER.test(c)) throw new CofferError('INVALID_ARGUMENT', `Mapping: "${String(c).slice(0, 64)}" is not a column name (letters, digits and _).`);
  const sources = [mapping.providerColumn, mapping.name, ...Object.values(mapping.credentials), ...Object.values(mapping.config ?? {})].filter((c): c is string => c !== undefined);
  for (const c of sources) if (!SOURCE_PATH.test(c)) throw new CofferError('INVALID_ARGUMENT', `Mapping: "${String(c).slice(0, 64)}" is not a column name (letters, digits and _) or a path into a JSON column (column.field).`);
  if ((mapping.provider === undefined) === (mapping.providerColumn === undefined)) throw new CofferError('INVALID_ARGUMENT', 'Mapping: give the provider column (provider=<column>) or one provider for every row (--provider <id>), not both.');
  if (Object.keys(mapping.credentials).length === 0) throw new CofferError('INVALID_ARGUMENT', 'Mapping: map at least one credential field (credentials.<field>=<column>).');
}

/** How a table source is read: its rows, or only their key and tenant (to find duplicates). */
interface ReadOptions {
  pageSize: number;
  keysOnly?: boolean;
}

/** The source's rows, one at a time, with their position. */
async function* readSource(source: LegacySource, mapping: LegacyMapping, options: ReadOptions): AsyncGenerator<{ row: number; data: Row | null; error?: string }> {
  if (source.kind === 'ndjson') {
    let stream;
    try {
      stream = createReadStream(source.file, { encoding: 'utf8' });
      await new Promise<void>((resolve, reject) => stream!.once('open', () => resolve()).once('error', reject));
    } catch (err) {
      throw new CofferError('INVALID_ARGUMENT', `Cannot read ${source.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    let n = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      n += 1;
      try {
        const data = JSON.parse(line) as unknown;
        if (typeof data !== 'object' || data === null || Array.isArray(data)) yield { row: n, data: null, error: 'is not a JSON object' };
        else yield { row: n, data: data as Row };
      } catch {
        // Never the line itself: it holds credentials.
        yield { row: n, data: null, error: 'is not valid JSON' };
      }
    }
    return;
  }
  if (!IDENTIFIER.test(source.table)) throw new CofferError('INVALID_ARGUMENT', `--table "${source.table.slice(0, 64)}" is not a table name (letters, digits and _).`);
  const reader = await openTable(source);
  try {
    let n = 0;
    for await (const data of tableRows(reader, queries(source.table, mapping, reader.dialect === 'postgres', options.keysOnly === true), mapping, options.pageSize)) yield { row: ++n, data };
  } catch (err) {
    if (err instanceof CofferError) throw err;
    // The driver's message names the column or table, never a value.
    throw new CofferError('INVALID_ARGUMENT', `Cannot read table ${source.table}: ${(err as Error).message.split('\n')[0]}.`);
  } finally {
    await reader.close();
  }
}

/** One source database, either kind, behind the two calls the reader needs. */
interface TableReader {
  dialect: 'sqlite' | 'postgres';
  all(sql: string, params: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

async function openTable(source: { url: string }): Promise<TableReader> {
  const location = parseDatabaseUrl(source.url);
  if (location.dialect === 'sqlite') {
    const { default: SqliteDatabase } = await import('better-sqlite3');
    let db: InstanceType<typeof SqliteDatabase>;
    try {
      db = new SqliteDatabase(location.target, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new CofferError('DATABASE_UNAVAILABLE', `Cannot open the source SQLite database ${location.target}: ${(err as Error).message}.`);
    }
    return { dialect: 'sqlite', all: async (sql, params) => db.prepare(sql).all(...params) as Row[], close: async () => void db.close() };
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: location.target });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new CofferError('DATABASE_UNAVAILABLE', `Cannot reach the source database ${redactUrl(source.url)}: ${(err as Error).message}.`);
  }
  return { dialect: 'postgres', all: async (sql, params) => (await client.query(sql, params)).rows as Row[], close: () => client.end().catch(() => {}) };
}

/**
 * Every row of a table exactly once: rows without a key or tenant first (each is reported), then
 * keyset pages in (key, tenant) order, so a large table is never read into memory. Rows that
 * share a key and tenant cannot be told apart by the keyset, so a page never ends inside such a
 * group: when a full page ends with one, that group is read whole by itself.
 */
async function* tableRows(reader: TableReader, q: ReturnType<typeof queries>, mapping: LegacyMapping, page: number): AsyncGenerator<Row> {
  yield* await reader.all(q.incomplete, []);
  const sameGroup = (a: Row, b: Row) => sameValue(a[mapping.key], b[mapping.key]) && sameValue(a[mapping.tenant], b[mapping.tenant]);
  let last: Row | null = null;
  for (;;) {
    const rows: Row[] = last === null ? await reader.all(q.first, [page]) : await reader.all(q.next, [last[mapping.key], last[mapping.key], last[mapping.tenant], page]);
    if (rows.length < page) {
      yield* rows;
      return;
    }
    const tail = rows[rows.length - 1]!;
    let groupStart = rows.length - 1;
    while (groupStart > 0 && sameGroup(rows[groupStart - 1]!, tail)) groupStart -= 1;
    yield* rows.slice(0, groupStart);
    yield* await reader.all(q.group, [tail[mapping.key], tail[mapping.tenant]]);
    last = tail;
  }
}

/** Equality of two values as the driver returns them, as the database compares them. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** The statements that read a table: incomplete rows, keyset pages over (key, tenant), and one (key, tenant) group. */
function queries(table: string, mapping: LegacyMapping, postgres: boolean, keysOnly: boolean) {
  const k = `"${mapping.key}"`;
  const t = `"${mapping.tenant}"`;
  const p = (i: number) => (postgres ? `$${i}` : '?');
  const columns = keysOnly ? `${k}, ${t}` : '*';
  const complete = `${k} is not null and ${t} is not null`;
  return {
    incomplete: `select ${columns} from "${table}" where ${k} is null or ${t} is null`,
    first: `select ${columns} from "${table}" where ${complete} order by ${k}, ${t} limit ${p(1)}`,
    next: `select ${columns} from "${table}" where ${complete} and (${k} > ${p(1)} or (${k} = ${p(2)} and ${t} > ${p(3)})) order by ${k}, ${t} limit ${p(4)}`,
    group: `select ${columns} from "${table}" where ${k} = ${p(1)} and ${t} = ${p(2)}`,
  };
}

/** A source value as text: strings, numbers and booleans as they are, dates in ISO 8601; anything else is not text. */
const text = (v: unknown): string | undefined =>
  v === null || v === undefined
    ? undefined
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean'
        ? String(v)
        : v instanceof Date && Number.isFinite(v.getTime())
          ? v.toISOString()
          : undefined;

/**
 * The value a mapping names in a row: a column, or a field inside a JSON column (JSON text, or
 * an object as NDJSON and PostgreSQL json columns give it). A null or unparsable JSON column is
 * a problem of its own, not a missing field. Never says what the value was.
 */
function lookup(data: Row, path: string): { value: string | undefined } | { problem: string } {
  const [column, ...fields] = path.split('.') as [string, ...string[]];
  let v: unknown = data[column];
  if (fields.length > 0) {
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v) as unknown;
      } catch {
        return { problem: `${column} is not valid JSON (it holds ${path})` };
      }
    }
    if (v === null || v === undefined) return { problem: `${column} is null (it holds ${path})` };
    for (const [i, field] of fields.entries()) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: `${[column, ...fields.slice(0, i)].join('.')} is not a JSON object (it holds ${path})` };
      v = Object.hasOwn(v, field) ? (v as Row)[field] : undefined;
      if (v === null || v === undefined) return { value: undefined };
    }
  }
  const value = text(v);
  if (value === undefined && v !== null && v !== undefined) return { problem: `${path} is not text` };
  return { value };
}

interface Prepared {
  row: number;
  key: string;
  tenant: string;
  provider: string;
  displayName?: string;
  config: Record<string, string>;
  credentials: Record<string, string>;
}

function prepare(row: number, data: Row, mapping: LegacyMapping): Prepared | RowProblem {
  const key = text(data[mapping.key]);
  const problem = (code: string, message: string): RowProblem => ({ row, key: key ?? null, code, message });
  if (key === undefined || key === '') return problem('INVALID_ARGUMENT', `has no ${mapping.key} (the key column)`);
  const tenant = text(data[mapping.tenant]);
  if (tenant === undefined) return problem('INVALID_ARGUMENT', `has no ${mapping.tenant} (the tenant column)`);
  const fields = (map: Record<string, string>): { values: Record<string, string> } | RowProblem => {
    const values: Record<string, string> = {};
    for (const [field, path] of Object.entries(map)) {
      const found = lookup(data, path);
      if ('problem' in found) return problem('INVALID_ARGUMENT', found.problem);
      if (found.value !== undefined && found.value !== '') values[field] = found.value;
    }
    return { values };
  };
  let provider = mapping.provider;
  if (provider === undefined) {
    const found = lookup(data, mapping.providerColumn!);
    if ('problem' in found) return problem('INVALID_ARGUMENT', found.problem);
    provider = found.value;
  }
  if (provider === undefined) return problem('INVALID_ARGUMENT', `has no ${mapping.providerColumn} (the provider column)`);
  const credentials = fields(mapping.credentials);
  if ('code' in credentials) return credentials;
  const config = fields(mapping.config ?? {});
  if ('code' in config) return config;
  let name: string | undefined;
  if (mapping.name !== undefined) {
    const found = lookup(data, mapping.name);
    if ('problem' in found) return problem('INVALID_ARGUMENT', found.problem);
    name = found.value;
  }
  return { row, key, tenant, provider, ...(name ? { displayName: name } : {}), config: config.values, credentials: credentials.values };
}

/**
 * The positions of rows that share their key and tenant with another row of the source, each
 * with the others' positions. The vault keeps one connection per key and tenant, and which row
 * is right cannot be told (nor, in a table, which comes first), so none of them is imported.
 * Found in a first pass over the keys, so that the dry run and every batch know them.
 */
async function findDuplicates(source: LegacySource, mapping: LegacyMapping, pageSize: number): Promise<Map<number, number[]>> {
  const firstRow = new Map<string, number>();
  const groups = new Map<string, number[]>();
  for await (const item of readSource(source, mapping, { pageSize, keysOnly: true })) {
    const key = item.data ? text(item.data[mapping.key]) : undefined;
    const tenant = item.data ? text(item.data[mapping.tenant]) : undefined;
    if (key === undefined || key === '' || tenant === undefined) continue;
    const id = JSON.stringify([tenant, key]);
    const first = firstRow.get(id);
    if (first === undefined) firstRow.set(id, item.row);
    else groups.set(id, [...(groups.get(id) ?? [first]), item.row]);
  }
  const byRow = new Map<number, number[]>();
  for (const group of groups.values()) for (const row of group) byRow.set(row, group.filter((r) => r !== row));
  return byRow;
}

function duplicateProblem(row: number, key: string | null, others: number[]): RowProblem {
  const named = others.length <= 5 ? others.join(', ') : `${others.slice(0, 5).join(', ')} and ${others.length - 5} more`;
  return {
    row,
    key,
    code: 'INVALID_ARGUMENT',
    message: `has the same key and tenant as row ${named}: none of them is imported (give each its own key, or keep one)`,
    duplicateOf: others,
  };
}

export async function importLegacy(coffer: Coffer, source: LegacySource, mapping: LegacyMapping, options: LegacyImportOptions = {}): Promise<LegacyImportSummary> {
  checkMapping(mapping);
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CofferError('INVALID_ARGUMENT', 'The batch size must be an integer from 1 to 10000.');
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) throw new CofferError('INVALID_ARGUMENT', 'The page size must be an integer from 1 to 10000.');
  const summary: LegacyImportSummary = { read: 0, imported: 0, skipped: 0, verified: 0, failed: [], connections: [], dryRun: options.dryRun === true };
  const duplicates = await findDuplicates(source, mapping, pageSize);
  const knownTenants = new Set((await coffer.tenants.list()).map((t) => t.id));
  let batch: Prepared[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    for (const tenant of new Set(rows.map((r) => r.tenant))) {
      if (knownTenants.has(tenant) || !options.createTenants || options.dryRun) continue;
      try {
        await coffer.tenants.create(tenant);
      } catch (err) {
        // An invalid id is reported on each of its rows by the batch; an existing one is fine.
        if (err instanceof CofferError && err.code === 'TENANT_ID_INVALID') continue;
        if (!(err instanceof CofferError && err.code === 'TENANT_EXISTS')) throw err;
      }
      knownTenants.add(tenant);
    }
    const imported = await coffer.connections.importBatch(rows, { dryRun: options.dryRun === true, knownTenants, createTenants: options.createTenants === true });
    for (const r of imported) {
      if (r.outcome === 'imported') summary.imported += 1;
      else if (r.outcome === 'skipped') summary.skipped += 1;
      else summary.failed.push({ row: r.row, key: r.key, ...r.problem });
      if (r.outcome !== 'failed' && r.connectionId !== null) summary.connections.push({ row: r.row, tenant: rows.find((p) => p.row === r.row)!.tenant, key: r.key, connectionId: r.connectionId, outcome: r.outcome });
    }
    // Verification after commit: every value decrypts to exactly what the source held.
    if (!options.dryRun) {
      for (const r of imported) {
        if (r.outcome !== 'imported') continue;
        const source = rows.find((p) => p.row === r.row)!;
        const { value } = await coffer.secrets.readValue(source.tenant, r.secretName);
        // Every source field is stored as it was (OAuth token sets add token_type and an expiry).
        const stored = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
        const same = Object.keys(source.credentials).every((k) => k === 'expires_at' || stored[k] === source.credentials[k]);
        if (same) summary.verified += 1;
        else summary.failed.push({ row: r.row, key: r.key, code: 'INTERNAL', message: 'the stored value does not decrypt to its source; the connection was kept for inspection' });
      }
    }
  };

  for await (const item of readSource(source, mapping, { pageSize })) {
    summary.read += 1;
    const others = duplicates.get(item.row);
    if (!item.data) {
      summary.failed.push({ row: item.row, key: null, code: 'INVALID_ARGUMENT', message: item.error ?? 'is unreadable' });
    } else if (others) {
      summary.failed.push(duplicateProblem(item.row, text(item.data[mapping.key]) ?? null, others));
    } else {
      const prepared = prepare(item.row, item.data, mapping);
      if ('code' in prepared) summary.failed.push(prepared);
      else batch.push(prepared);
    }
    if (batch.length >= batchSize) await flush();
    options.onProgress?.(summary.read);
  }
  await flush();
  options.onProgress?.(summary.read);
  summary.failed.sort((a, b) => a.row - b.row);
  summary.connections.sort((a, b) => a.row - b.row);
  return summary;
}

/** How many rows the source holds (for a progress bar); null when it cannot tell cheaply. */
export async function countLegacyRows(source: LegacySource): Promise<number | null> {
  try {
    if (source.kind === 'ndjson') {
      let n = 0;
      for await (const line of createInterface({ input: createReadStream(source.file, { encoding: 'utf8' }), crlfDelay: Infinity })) if (line.trim() !== '') n += 1;
      return n;
    }
    if (!IDENTIFIER.test(source.table)) return null;
    const reader = await openTable(source);
    try {
      return Number((await reader.all(`select count(*) as n from "${source.table}"`, []))[0]!.n);
    } finally {
      await reader.close();
    }
  } catch {
    return null;
  }
}
