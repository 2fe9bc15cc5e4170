/**
 * Shared pieces of the server's security suites: an in-memory pino destination, canary
 * needles in every plain encoding, and a raw scan of the storage behind a backend (the SQLite
 * file with its -wal/-shm/-journal, or every row of every PostgreSQL table).
 *
 * The vault and the app are built from the same module instance of @coffer/core: buildApp
 * imports '@coffer/core' (packages/core/dist), and its error mapping relies on
 * `instanceof CofferError`. A Coffer built from packages/core/src would throw a different
 * CofferError class and every refusal would come back as 500 INTERNAL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { auditFileFor, parseDatabaseUrl } from '@coffer/core';
import { pino, type Logger } from 'pino';
import { rawDb } from '../../../core/test/helpers.js';
import type { Backend } from '../../../core/test/support/backends.js';
import { needles } from '../../../core/test/canary-forms.js';

export { needles };

/** A canary: unique, recognisable, and with no lower-case prefix the masking would reveal. */
export const canary = (bytes = 12): string => `CANARY_${randomBytes(bytes).toString('hex').toUpperCase()}`;

/** Every (value, form) of `values` found in `haystack`, labelled with `where`. */
export function findLeaks(haystack: Buffer | string, values: readonly string[], where: string): string[] {
  const hay = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  const hits: string[] = [];
  for (const v of values) for (const n of needles(v)) if (hay.includes(n.bytes)) hits.push(`${v.slice(0, 24)}… as ${n.form} in ${where}`);
  return hits;
}

/** A pino logger at `level` writing every line into `lines` (nothing goes to the console). */
export function capturingLogger(level: 'trace' | 'info' = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/**
 * The raw bytes of the storage behind `backend`, as one buffer per place (file or table).
 * PostgreSQL rows are rendered value by value (binary values also as hex, UTF-8 and latin1)
 * and as PostgreSQL's own text form of the whole row.
 */
export async function storageDump(backend: Backend): Promise<Array<{ where: string; bytes: Buffer; rows?: number }>> {
  if (backend.name === 'sqlite') {
    const file = parseDatabaseUrl(backend.databaseUrl).target;
    const out: Array<{ where: string; bytes: Buffer }> = [];
    // The secrets file and the audit log's own file, each with its WAL, shared memory and journal.
    for (const base of [file, auditFileFor(file)]) {
      for (const suffix of ['', '-wal', '-shm', '-journal']) {
        const path = `${base}${suffix}`;
        if (existsSync(path)) out.push({ where: `${basename(base)}${suffix}`, bytes: readFileSync(path) });
      }
    }
    return out;
  }
  const db = await rawDb(backend);
  try {
    const tables = await db.all<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'");
    const out: Array<{ where: string; bytes: Buffer; rows: number }> = [];
    for (const { table_name } of tables) {
      const chunks: Buffer[] = [];
      const rows = await db.all(`select * from "${table_name}"`);
      for (const row of rows) {
        for (const value of Object.values(row)) {
          if (value === null || value === undefined) continue;
          if (Buffer.isBuffer(value)) chunks.push(value, Buffer.from(value.toString('hex')), Buffer.from(value.toString('utf8')), Buffer.from(value.toString('latin1')));
          else chunks.push(Buffer.from(typeof value === 'object' ? JSON.stringify(value) : String(value)));
          chunks.push(Buffer.from([0]));
        }
      }
      for (const row of await db.all<{ t: string }>(`select t::text as t from "${table_name}" t`)) chunks.push(Buffer.from(row.t), Buffer.from([0]));
      out.push({ where: `table ${table_name}`, bytes: Buffer.concat(chunks), rows: rows.length });
    }
    return out;
  } finally {
    await db.close();
  }
}

/** Stack-trace and internal-path tells that must never reach a client. */
export const STACK_TELLS: Array<[string, RegExp]> = [
  ['stack frame', /\n\s+at /],
  ['stack frame (escaped)', /\\n\s+at /],
  ['repository path', /\/work\//],
  ['node_modules path', /node_modules/],
  ['file URL', /file:\/\//],
  ['Error: prefix', /\b[A-Za-z]*Error: /],
  ['source file', /\.(?:ts|js|mjs|cjs):\d+/],
];
