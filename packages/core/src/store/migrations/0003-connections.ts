import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Connections to third-party accounts. A connection row holds what may be shown (provider,
 * name, non-secret config, status, timestamps) and the name of the vault secret that holds its
 * credentials or token set: never a credential. The refresh columns carry the lease that lets
 * one replica at a time refresh a connection's token.
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('auth_mode', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secret_name', 'text', (c) => c.notNull())
    // 1 when Coffer created the secret for this connection (and erases it with the connection).
    .addColumn('owns_secret', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'error', 'expired', 'refresh_failed', 'revoked')`))
    .addColumn('last_error', 'text')
    .addColumn('identifier', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .addColumn('last_used_at', bigint)
    .addColumn('last_refreshed_at', bigint)
    .addColumn('expires_at', bigint)
    .addColumn('refresh_lease_until', bigint)
    .addColumn('refresh_lease_owner', 'text')
    .addColumn('next_refresh_attempt_at', bigint)
    .addColumn('refresh_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('connections_tenant_idx').on('connections').columns(['tenant_id', 'created_at']).execute();
  // The proactive refresh job looks for active tokens that expire soon.
  await db.schema.createIndex('connections_expiry_idx').on('connections').columns(['status', 'expires_at']).execute();
}
