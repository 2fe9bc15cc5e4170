/**
 * The audit writer thread for SQLite. It owns a connection to the audit file and commits the
 * batches the main thread sends, so a commit's fsync (the price of durability) blocks this
 * thread, never the one serving requests. Messages: { id, contents (JSON text) } in,
 * { id, first, prev, hashes } or { id, error } out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { EventContent } from './audit-chain.js';
import { prepareSqliteStatements, writeSqliteBatch } from './sqlite-audit-batch.js';

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
const handle = new SqliteDatabase(file, { fileMustExist: true });
handle.pragma(`busy_timeout = ${busyTimeoutMs}`);
handle.pragma('journal_mode = WAL');
handle.pragma('synchronous = FULL');
handle.pragma('secure_delete = ON');
const statements = prepareSqliteStatements(handle);

parentPort!.on('message', (message: { id: number; contents?: string; close?: true }) => {
  if (message.close) {
    handle.close();
    parentPort!.postMessage({ id: message.id, closed: true });
    return;
  }
  try {
    // Only what the main thread cannot know: where the batch landed and its hashes.
    const rows = writeSqliteBatch(handle, statements, JSON.parse(message.contents!) as EventContent[]);
    parentPort!.postMessage({ id: message.id, first: rows[0]!.seq, prev: rows[0]!.prev_hash, hashes: rows.map((r) => r.hash) });
  } catch {
    // The cause stays here: the main thread answers AUDIT_UNAVAILABLE either way.
    parentPort!.postMessage({ id: message.id, error: true });
  }
});
