/**
 * Makes the audit log refuse every write, the way a full disk or a broken audit database
 * would, while everything else keeps working: a trigger raises on each insert into a table an
 * event can be written to. On PostgreSQL that is the chain (`audit_events`). On SQLite it is the
 * chain in the audit file and, where the outbox exists (migration 0009), `audit_outbox` in the
 * main file, which holds a change's events until they join the chain. The tables stay in place,
 * so the vault's own statements keep their meaning; only writes to them fail.
 */
import type { Backend } from './backends.js';
import { withRaw, type RawDb } from '../helpers.js';

const REFUSE = 'coffer_test_refuse_audit';

/** The SQLite tables an event can be written to that exist in this database, as [schema, table]. */
async function sqliteAuditTables(db: RawDb): Promise<[string, string][]> {
  const candidates: [string, string][] = [
    ['audit', 'audit_events'],
    ['main', 'audit_outbox'],
  ];
  const present: [string, string][] = [];
  for (const [schema, table] of candidates) {
    const rows = await db.all(`select 1 from ${schema}.sqlite_master where type = 'table' and name = ?`, [table]);
    if (rows.length > 0) present.push([schema, table]);
  }
  return present;
}

/** Installs the refusing triggers; returns how to remove them. */
async function refuseAuditWrites(db: RawDb): Promise<() => Promise<void>> {
  if (db.dialect === 'sqlite') {
    const tables = await sqliteAuditTables(db);
    // A trigger lives in its table's own file: the chain's in the audit file, the outbox's in main.
    for (const [schema, table] of tables) {
      await db.run(`create trigger ${schema}.${REFUSE}_${table} before insert on ${table} begin select raise(abort, 'audit writes refused by the test'); end`);
    }
    return async () => {
      for (const [schema, table] of tables) await db.run(`drop trigger if exists ${schema}.${REFUSE}_${table}`);
    };
  }
  await db.run(`create or replace function ${REFUSE}() returns trigger language plpgsql as $$ begin raise exception 'audit writes refused by the test'; end $$`);
  await db.run(`create trigger ${REFUSE} before insert on audit_events for each row execute function ${REFUSE}()`);
  return async () => {
    await db.run(`drop trigger if exists ${REFUSE} on audit_events`);
    await db.run(`drop function if exists ${REFUSE}()`);
  };
}

/** Runs `fn` while no audit event can be written on `backend`; always lets them be written again. */
export async function withAuditRefused<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  return withRaw(backend, async (db) => {
    const allow = await refuseAuditWrites(db);
    try {
      return await fn();
    } finally {
      await allow();
    }
  });
}
