/**
 * Moving plaintext credentials out of a product's own tables into vault-backed connections:
 * `coffer migrate legacy`. Rows come from an NDJSON file or from a table of an existing
 * PostgreSQL or SQLite database; a mapping says which column is what. Rows are imported in
 * batches, each batch one transaction; a re-run skips what was imported (by the row's key);
 * every imported value is decrypted again and compared with its source.
 *
 * Source values never appear in the summary, the errors or the progress: a row is named by its
 * key and its position, a problem by its field and its rule.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Coffer } from '../coffer.js';
import { CofferError } from '../errors.js';
import { parseDatabaseUrl, redactUrl } from '../store/database.js';

/** Which source column holds what. */
export interface LegacyMapping {
  /** A column unique per tenant: makes re-runs idempotent. */
  key: string;
  tenant: string;
  /** The column with the provider id, or `provider` below for one fixed provider. */
  providerColumn?: string;
  provider?: string;
  /** The column with a display name. */
  name?: string;
  /** Credential field → column. */
  credentials: Record<string, string>;
  /** Config field → column. */
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
}

export interface RowProblem {
  /** 1-based position in the source. */
  row: number;
  /** The row's key, when it has one. */
  key: string | null;
  code: string;
  message: string;
}

export interface LegacyImportSummary {
  read: number;
  imported: number;
  /** Imported by an earlier run. */
  skipped: number;
  /** Decrypted again after commit and equal to their source. */
  verified: number;
  failed: RowProblem[];
  dryRun: boolean;
}

type Row = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function checkMapping(mapping: LegacyMapping): void {
  const columns = [mapping.key, mapping.tenant, mapping.providerColumn, mapping.name, ...Object.values(mapping.credentials), ...Object.values(mapping.config ?? {})].filter((c): c is string => c !== undefined);
  for (const c of columns) if (!IDENTIFIER.test(c)) throw new CofferError('INVALID_ARGUMENT', `Mapping: "${c.slice(0, 64)}" is not a column name (letters, digits and _).`);
  if ((mapping.provider === undefined) === (mapping.providerColumn === undefined)) throw new CofferError('INVALID_ARGUMENT', 'Mapping: give the provider column (provider=<column>) or one provider for every row (--provider <id>), not both.');
  if (Object.keys(mapping.credentials).length === 0) throw new CofferError('INVALID_ARGUMENT', 'Mapping: map at least one credential field (credentials.<field>=<column>).');
}

/** The source's rows, one at a time, with their position. */
async function* readSource(source: LegacySource, mapping: LegacyMapping): AsyncGenerator<{ row: number; data: Row | null; error?: string }> {
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
  const location = parseDatabaseUrl(source.url);
  const page = 500;
  let n = 0;
  if (location.dialect === 'sqlite') {
    const { default: SqliteDatabase } = await import('better-sqlite3');
    let db;
    try {
      db = new SqliteDatabase(location.target, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new CofferError('DATABASE_UNAVAILABLE', `Cannot open the source SQLite database ${location.target}: ${(err as Error).message}.`);
    }
    try {
      const q = queries(source.table, mapping);
      // Rows without a key or tenant first (each is reported), then keyset pages in (key, tenant)
      // order: a large table is never read into memory, and a key shared by tenants is not lost.
      for (const data of db.prepare(q.incomplete).all() as Row[]) yield { row: ++n, data };
      let last: [unknown, unknown] | null = null;
      for (;;) {
        const rows = (last === null ? db.prepare(q.first).all(page) : db.prepare(q.next).all(last[0], last[0], last[1], page)) as Row[];
        if (rows.length === 0) return;
        for (const data of rows) yield { row: ++n, data };
        const tail = rows[rows.length - 1]!;
        last = [tail[mapping.key], tail[mapping.tenant]];
      }
    } catch (err) {
      if (err instanceof CofferError) throw err;
      throw new CofferError('INVALID_ARGUMENT', `Cannot read table ${source.table}: ${(err as Error).message.split('\n')[0]}.`);
    } finally {
      db.close();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: location.target });
  try {
    await client.connect();
  } catch (err) {
    throw new CofferError('DATABASE_UNAVAILABLE', `Cannot reach the source database ${redactUrl(source.url)}: ${(err as Error).message}.`);
  }
  try {
    const q = queries(source.table, mapping, true);
    for (const data of (await client.query(q.incomplete)).rows as Row[]) yield { row: ++n, data };
    let last: [unknown, unknown] | null = null;
    for (;;) {
      const result = last === null ? await client.query(q.first, [page]) : await client.query(q.next, [last[0], last[0], last[1], page]);
      if (result.rows.length === 0) return;
      for (const data of result.rows as Row[]) yield { row: ++n, data };
      const tail = result.rows[result.rows.length - 1] as Row;
      last = [tail[mapping.key], tail[mapping.tenant]];
    }
  } catch (err) {
    if (err instanceof CofferError) throw err;
    // The driver's message names the column or table, never a value.
    throw new CofferError('INVALID_ARGUMENT', `Cannot read table ${source.table}: ${(err as Error).message.split('\n')[0]}.`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The statements that read a table: incomplete rows, then keyset pages over (key, tenant). */
function queries(table: string, mapping: LegacyMapping, postgres = false) {
  const k = `"${mapping.key}"`;
  const t = `"${mapping.tenant}"`;
  const p = (i: number) => (postgres ? `$${i}` : '?');
  const complete = `${k} is not null and ${t} is not null`;
  return {
    incomplete: `select * from "${table}" where ${k} is null or ${t} is null`,
    first: `select * from "${table}" where ${complete} order by ${k}, ${t} limit ${p(1)}`,
    next: `select * from "${table}" where ${complete} and (${k} > ${p(1)} or (${k} = ${p(2)} and ${t} > ${p(3)})) order by ${k}, ${t} limit ${p(4)}`,
  };
}

const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined);

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
  const provider = mapping.provider ?? text(data[mapping.providerColumn!]);
  if (provider === undefined) return problem('INVALID_ARGUMENT', `has no ${mapping.providerColumn} (the provider column)`);
  const credentials: Record<string, string> = {};
  for (const [field, column] of Object.entries(mapping.credentials)) {
    const v = text(data[column]);
    if (v !== undefined && v !== '') credentials[field] = v;
  }
  const config: Record<string, string> = {};
  for (const [field, column] of Object.entries(mapping.config ?? {})) {
    const v = text(data[column]);
    if (v !== undefined && v !== '') config[field] = v;
  }
  const name = mapping.name === undefined ? undefined : text(data[mapping.name]);
  return { row, key, tenant, provider, ...(name ? { displayName: name } : {}), config, credentials };
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof CofferError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'unexpected error (rerun with COFFER_DEBUG=1 for details)' };
}

export async function importLegacy(coffer: Coffer, source: LegacySource, mapping: LegacyMapping, options: LegacyImportOptions = {}): Promise<LegacyImportSummary> {
  checkMapping(mapping);
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CofferError('INVALID_ARGUMENT', 'The batch size must be an integer from 1 to 10000.');
  const summary: LegacyImportSummary = { read: 0, imported: 0, skipped: 0, verified: 0, failed: [], dryRun: options.dryRun === true };
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

  for await (const item of readSource(source, mapping)) {
    summary.read += 1;
    if (!item.data) {
      summary.failed.push({ row: item.row, key: null, code: 'INVALID_ARGUMENT', message: item.error ?? 'is unreadable' });
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
    const location = parseDatabaseUrl(source.url);
    if (location.dialect === 'sqlite') {
      const { default: SqliteDatabase } = await import('better-sqlite3');
      const db = new SqliteDatabase(location.target, { readonly: true, fileMustExist: true });
      try {
        return Number((db.prepare(`select count(*) as n from "${source.table}"`).get() as { n: number }).n);
      } finally {
        db.close();
      }
    }
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: location.target });
    await client.connect();
    try {
      return Number((await client.query(`select count(*) as n from "${source.table}"`)).rows[0].n);
    } finally {
      await client.end();
    }
  } catch {
    return null;
  }
}
