import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The audit outbox (issue 9 §1): on SQLite a change's events are written here, in the MAIN file
 * and in the change's own transaction, then moved into the chain (the audit file) once the
 * change has committed. One file, one WAL, one fsync: a host crash keeps both or neither, which
 * a transaction spanning the main and the audit file (two WALs) does not promise.
 *
 * The rows hold an event's content exactly as it was built in the change's transaction (its id
 * and time included), so the chained event is the one the change recorded. PostgreSQL gets the
 * table too, for one schema on both, but keeps writing change events straight into the chain:
 * there the change and its event are one transaction of one database already.
 */
export async function up(db: Kysely<unknown>, { bigint, dialect }: MigrationContext): Promise<void> {
  // Explicitly in main on SQLite: an unqualified create would land there too, but this table's
  // whole point is to share the main file's WAL with the change.
  const main = dialect === 'sqlite' ? db.schema.withSchema('main') : db.schema;
  await main
    .createTable('audit_outbox')
    // AUTOINCREMENT on SQLite: ids are never reused, even once the table is emptied. A drain
    // deletes "id <= the last it moved"; with reused ids, a late delete could remove an event
    // written after it.
    .addColumn('id', dialect === 'sqlite' ? 'integer' : 'bigserial', (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    // The chain head's seq when the change committed: if a move had chained the event already
    // (and crashed before deleting the row), it is after this seq, which bounds the search.
    .addColumn('head_seq', bigint, (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('at', bigint, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('ip', 'text')
    .addColumn('request_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();

  // The last outbox id moved into the chain, written in the move's own transaction. A move that
  // crashed after its chain commit but before deleting its outbox rows leaves events that are
  // chained already: only rows up to this id can be, and only those are looked up (by event id,
  // after their head_seq). No index on audit_events.id: it would add a random-key index write to
  // every read event (measured: 158 against 49 µs an event in batches of 64, before the fsync).
  const audit = dialect === 'sqlite' ? db.schema.withSchema('audit') : db.schema;
  await audit
    .alterTable('audit_head')
    .addColumn('outbox_id', bigint, (c) => c.notNull().defaultTo(0))
    .execute();
}
