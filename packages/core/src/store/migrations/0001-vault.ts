import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/** Root keys, tenants, tenant keys, secrets and secret versions. */
export async function up(db: Kysely<unknown>, { binary, bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('root_keys')
    .addColumn('id', bigint, (c) => c.primaryKey())
    .addColumn('kcv', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('current', 'previous', 'retired')`))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('retired_at', bigint)
    .execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tenant_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('root_key_id', bigint, (c) => c.notNull())
    .addColumn('wrapped_key', binary)
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'retired')`))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('retired_at', bigint)
    .addPrimaryKeyConstraint('tenant_keys_pk', ['tenant_id', 'version'])
    .execute();
  await db.schema.createIndex('tenant_keys_root_key_idx').on('tenant_keys').column('root_key_id').execute();

  await db.schema
    .createTable('secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('max_versions', 'integer', (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .addUniqueConstraint('secrets_tenant_name_uq', ['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('secret_versions')
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('key_version', 'integer')
    .addColumn('wrapped_dek', binary)
    .addColumn('ciphertext', binary)
    .addColumn('masked', binary)
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'deleted', 'destroyed')`))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('deleted_at', bigint)
    .addColumn('destroyed_at', bigint)
    .addPrimaryKeyConstraint('secret_versions_pk', ['secret_id', 'version'])
    .execute();
  // Rewrap and retire look up a tenant's versions by the key that wraps them.
  await db.schema
    .createIndex('secret_versions_tenant_key_idx')
    .on('secret_versions')
    .columns(['tenant_id', 'key_version'])
    .execute();
}
