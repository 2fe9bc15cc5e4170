/**
 * An audit log that refuses every new event, for fail-closed tests: a trigger raises on each
 * insert into a table an event can be written to. The tables stay in place (unlike renaming
 * them away), so every statement reaches the database and fails there, as a full disk or a
 * broken replica would make it fail.
 *
 * PostgreSQL writes events straight into `audit_events`. SQLite keeps the chain in its own file
 * (`audit.audit_events`) and, since migration 0009, puts a change's events in `main.audit_outbox`
 * first; both are covered when they exist, so this works before and after that migration.
 */
import { withRaw, type RawDb } from '../helpers.js';
import type { Backend } from './backends.js';

const TRIGGER = 'coffer_test_refuse_audit';

/** The SQLite tables (schema, table) an event can be inserted into. */
const SQLITE_TABLES = [
  ['audit', 'audit_events'],
  ['main', 'audit_outbox'],
] as const;

const PG_TABLES = ['audit_events', 'audit_outbox'] as const;

async function sqliteTables(db: RawDb): Promise<(typeof SQLITE_TABLES)[number][]> {
  const found = [];
  for (const entry of SQLITE_TABLES) {
    const [schema, table] = entry;
    if ((await db.all(`select 1 from ${schema}.sqlite_master where type = 'table' and name = ?`, [table])).length > 0) found.push(entry);
  }
  return found;
}

async function pgTables(db: RawDb): Promise<string[]> {
  const found = [];
  for (const table of PG_TABLES) {
    if ((await db.all<{ t: string | null }>('select to_regclass(?)::text as t', [table]))[0]!.t !== null) found.push(table);
  }
  return found;
}

/** Installs the refusing triggers; returns what removes them. */
export async function refuseAuditInserts(db: RawDb): Promise<() => Promise<void>> {
  if (db.dialect === 'sqlite') {
    const tables = await sqliteTables(db);
    for (const [schema, table] of tables) {
      await db.run(`create trigger ${schema}.${TRIGGER}_${table} before insert on ${table} begin select raise(abort, 'audit refused by the test'); end`);
    }
    return async () => {
      for (const [schema, table] of tables) await db.run(`drop trigger if exists ${schema}.${TRIGGER}_${table}`);
    };
  }
  const tables = await pgTables(db);
  await db.run(`create or replace function ${TRIGGER}() returns trigger language plpgsql as $$ begin raise exception 'audit refused by the test'; end $$`);
  for (const table of tables) await db.run(`create trigger ${TRIGGER} before insert on ${table} for each row execute function ${TRIGGER}()`);
  return async () => {
    for (const table of tables) await db.run(`drop trigger if exists ${TRIGGER} on ${table}`);
    await db.run(`drop function if exists ${TRIGGER}()`);
  };
}

/** Runs `fn` while the audit log of `backend` refuses every event; always lets it write again. */
export async function withAuditRefused<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  return withRaw(backend, async (db) => {
    const restore = await refuseAuditInserts(db);
    try {
      return await fn();
    } finally {
      await restore();
    }
  });
}
