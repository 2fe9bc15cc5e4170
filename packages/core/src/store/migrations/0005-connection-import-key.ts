import type { Kysely } from 'kysely';

/**
 * The key a connection was imported under (`coffer migrate legacy`): unique per tenant, so a
 * re-run finds what it already imported and skips it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').addColumn('import_key', 'text').execute();
  await db.schema.createIndex('connections_import_key_idx').on('connections').columns(['tenant_id', 'import_key']).unique().execute();
}
