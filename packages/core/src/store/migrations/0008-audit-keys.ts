import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Audit keys: random keys that MAC the audit chain, wrapped by the root key and kept in the main
 * database beside the root and tenant keys (rewrapped with them on a root rotation). Each event
 * records the version that MACed it; events from before this migration keep a null version and
 * stay plain SHA-256.
 */
export async function up(db: Kysely<unknown>, { binary, bigint, dialect }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('audit_keys')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('root_key_id', bigint, (c) => c.notNull())
    .addColumn('wrapped_key', binary, (c) => c.notNull())
    .addColumn('first_seq', bigint, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  // On SQLite the audit log has its own file, attached as schema "audit" (see store/database.ts).
  const audit = dialect === 'sqlite' ? db.schema.withSchema('audit') : db.schema;
  await audit.alterTable('audit_events').addColumn('key_version', 'integer').execute();
}
