import type { Kysely } from 'kysely';

/**
 * Origins a tenant's connect sessions may send the browser back to, set by an admin (a JSON list
 * of origins). Null: only Coffer's own public origin.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('connect_return_origins', 'text').execute();
}
