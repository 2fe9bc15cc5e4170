import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Connect sessions of the OAuth authorization code flow. The link token, the state and the
 * browser-binding cookie are stored as SHA-256 hashes only; the PKCE verifier is sealed under
 * the tenant key. Every session is single use and expires after ten minutes.
 */
export async function up(db: Kysely<unknown>, { bigint, binary }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('oauth_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    // Set when the session re-authorises an existing connection.
    .addColumn('connection_id', 'text')
    .addColumn('return_url', 'text', (c) => c.notNull())
    .addColumn('link_hash', 'text', (c) => c.notNull().unique())
    .addColumn('state_hash', 'text', (c) => c.unique())
    .addColumn('binding_hash', 'text')
    .addColumn('verifier', binary)
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'started', 'completed', 'failed')`))
    .addColumn('error_code', 'text')
    .addColumn('result_connection_id', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .addColumn('started_at', bigint)
    .addColumn('finished_at', bigint)
    .execute();
  await db.schema.createIndex('oauth_sessions_tenant_idx').on('oauth_sessions').columns(['tenant_id', 'created_at']).execute();
}
