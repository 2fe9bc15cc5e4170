import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/** API tokens (hash only) and the hash-chained audit log. */
export async function up(db: Kysely<unknown>, { bigint, dialect }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('admin', 'tenant')`))
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('expires_at', bigint)
    .addColumn('revoked_at', bigint)
    .addColumn('last_used_at', bigint)
    .execute();
  await db.schema.createIndex('api_tokens_tenant_idx').on('api_tokens').column('tenant_id').execute();

  // On SQLite the audit log has its own file, attached as schema "audit" (see store/database.ts);
  // unqualified names find it there. On PostgreSQL it sits with everything else.
  const audit = dialect === 'sqlite' ? db.schema.withSchema('audit') : db.schema;

  // seq is assigned by the writer that holds the chain head, so the chain order is seq order.
  await audit
    .createTable('audit_events')
    .addColumn('seq', bigint, (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
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
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  if (dialect === 'sqlite') await sql`create index audit.audit_events_tenant_idx on audit_events (tenant_id, seq)`.execute(db);
  else await db.schema.createIndex('audit_events_tenant_idx').on('audit_events').columns(['tenant_id', 'seq']).execute();

  // One row: the newest event's seq and hash. Writers lock it, which serialises appends across
  // processes and lets verification notice events cut from the end.
  await audit
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', bigint, (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.insertInto('audit_head' as never).values({ id: 1, seq: 0, hash: '0'.repeat(64) } as never).execute();
}
