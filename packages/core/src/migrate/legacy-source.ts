/**
 * Reading a legacy source for `coffer migrate legacy`: the rows of an NDJSON file, or of a table
 * of a SQLite or PostgreSQL database, each exactly once with its 1-based position. Errors name
 * the file, table or column, never a value.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CofferError } from '../errors.js';
import { parseDatabaseUrl, redactUrl } from '../store/database.js';

export type LegacySource = { kind: 'ndjson'; file: string } | { kind: 'table'; url: string; table: string };

export type Row = Record<string, unknown>;

/** The columns a table is ordered and paged by. */
export interface SourceKeys {
  key: string;
  tenant: string;
}

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** How a table source is read: its rows, or only their key and tenant (to find duplicates). */
export interface ReadOptions {
  pageSize: number;
  keysOnly?: boolean;
}

/** The source's rows, one at a time, with their position. */
export async function* readSource(source: LegacySource, mapping: SourceKeys, options: ReadOptions): AsyncGenerator<{ row: number; data: Row | null; error?: string }> {
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
async function* tableRows(reader: TableReader, q: ReturnType<typeof queries>, mapping: SourceKeys, page: number): AsyncGenerator<Row> {
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
function queries(table: string, mapping: SourceKeys, postgres: boolean, keysOnly: boolean) {
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
