import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The root key rotation record: one row (id 1) that is the rotation lease (owner, expiry,
 * heartbeat, a fence number that grows with every acquisition) and says where a rotation
 * stands: the staged key's id and check value once recorded, `switched` once the database
 * moved to it. Whoever starts next finishes or rolls back from here.
 */
export async function up(db: Kysely<unknown>, { bigint }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('root_key_rotation')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('fence', bigint, (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('lease_until', bigint)
    .addColumn('heartbeat_at', bigint)
    .addColumn('step', 'text', (c) => c.check(sql`step in ('staged', 'switched')`))
    .addColumn('from_id', bigint)
    .addColumn('staged_id', bigint)
    .addColumn('staged_kcv', 'text')
    .addColumn('started_at', bigint)
    .execute();
  await sql`insert into root_key_rotation (id, fence) values (1, 0)`.execute(db);
}
