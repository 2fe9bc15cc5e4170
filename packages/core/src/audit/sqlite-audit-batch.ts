/**
 * One batch of audit events on SQLite: a synchronous BEGIN IMMEDIATE … COMMIT with prepared
 * statements, so nothing runs between reading the chain head and moving it, and the commit's
 * fsync is paid once per batch.
 */
import type { Database as SqliteHandle, Statement } from 'better-sqlite3';
import type { AuditEventsTable } from '../store/schema.js';
import { chainRows, type AuditKey, type EventContent } from './audit-chain.js';

export interface SqliteAuditStatements {
  head: Statement<[], { seq: number; hash: string }>;
  insert: Statement<unknown[]>;
  setHead: Statement<[number, string]>;
}

export function prepareSqliteStatements(handle: SqliteHandle): SqliteAuditStatements {
  return {
    head: handle.prepare<[], { seq: number; hash: string }>('select seq, hash from audit_head where id = 1'),
    insert: handle.prepare(
      // Positional parameters: binding by name costs about 1.5 µs more per event.
      'insert into audit_events (seq, id, at, actor, action, tenant_id, target, outcome, code, ip, request_id, details, prev_hash, hash, key_version) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    setHead: handle.prepare<[number, string]>('update audit_head set seq = ?, hash = ? where id = 1'),
  };
}

export function writeSqliteBatch(handle: SqliteHandle, s: SqliteAuditStatements, contents: readonly EventContent[], key?: AuditKey): AuditEventsTable[] {
  return handle
    .transaction(() => {
      const head = s.head.get();
      if (!head) throw new Error('The audit head row is missing.');
      const rows = chainRows(head, contents, key);
      for (const r of rows) s.insert.run(r.seq, r.id, r.at, r.actor, r.action, r.tenant_id, r.target, r.outcome, r.code, r.ip, r.request_id, r.details, r.prev_hash, r.hash, r.key_version);
      const last = rows[rows.length - 1]!;
      s.setHead.run(last.seq, last.hash);
      return rows;
    })
    .immediate();
}
