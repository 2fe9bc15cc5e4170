/**
 * One ordered list of migrations for both databases. A migration receives the column types
 * that differ between the dialects, so its schema reads the same for both.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { CofferError } from '../../errors.js';
import type { Dialect } from '../database.js';
import * as vault from './0001-vault.js';
import * as service from './0002-service.js';
import * as connections from './0003-connections.js';
import * as oauthSessions from './0004-oauth-sessions.js';
import * as importKey from './0005-connection-import-key.js';
import * as rootRotation from './0006-root-rotation.js';
import * as connectReturnOrigins from './0007-connect-return-origins.js';
import * as auditKeys from './0008-audit-keys.js';
import * as auditOutbox from './0009-audit-outbox.js';

export interface MigrationContext {
  readonly dialect: Dialect;
  readonly binary: 'blob' | 'bytea';
  readonly bigint: 'integer' | 'bigint';
}

type MigrationModule = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

/** Names sort in the order they run; never rename or edit one that has shipped. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001-vault': vault,
  '0002-service': service,
  '0003-connections': connections,
  '0004-oauth-sessions': oauthSessions,
  '0005-connection-import-key': importKey,
  '0006-root-rotation': rootRotation,
  '0007-connect-return-origins': connectReturnOrigins,
  '0008-audit-keys': auditKeys,
  '0009-audit-outbox': auditOutbox,
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly ctx: MigrationContext) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, mod] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => mod.up(db, this.ctx) };
    return out;
  }
}

export interface MigrationProgress {
  (event: { name: string; index: number; total: number }): void;
}

/** Applies every pending migration; safe to call on every start and from many processes. */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect, onProgress?: MigrationProgress): Promise<string[]> {
  const ctx: MigrationContext = {
    dialect,
    binary: dialect === 'sqlite' ? 'blob' : 'bytea',
    bigint: dialect === 'sqlite' ? 'integer' : 'bigint',
  };
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(ctx),
    migrationTableName: 'coffer_migrations',
    migrationLockTableName: 'coffer_migrations_lock',
  });
  const total = Object.keys(MIGRATIONS).length;
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  applied.forEach((name, i) => onProgress?.({ name, index: i + 1, total }));
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CofferError('DATABASE_UNAVAILABLE', `Database migration ${failed} failed: ${(error as Error).message}. Nothing of it was applied; fix the cause and start again.`);
  }
  return applied;
}
