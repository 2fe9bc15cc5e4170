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
import type { Coffer } from '../coffer.js';
import { CofferError } from '../errors.js';
import { IDENTIFIER, readSource, type LegacySource, type Row } from './legacy-source.js';

export { countLegacyRows, type LegacySource } from './legacy-source.js';

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
