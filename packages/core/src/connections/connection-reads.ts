/**
 * The read on the credentials hot path (`getCredentials`, the proxy later): the connection row
 * and its secret's current version in one statement, prepared once like the secret reads
 * (vault/secret-reads.ts) — on SQLite on the read-only connection (committed data only), run
 * synchronously and cached; on PostgreSQL a named prepared statement, one round trip — instead
 * of a built query for the connection and a second read for its secret.
 */
import type { Database as SqliteHandle, Statement } from 'better-sqlite3';
import type { Store } from '../store/database.js';
import type { ConnectionsTable } from '../store/schema.js';
import type { VersionRow } from '../vault/secret-reads.js';

/** A connection and the current version of its secret, read together. */
export interface CredentialsRow {
  connection: ConnectionsTable;
  /** Undefined when the secret has no readable current version row (the caller explains why). */
  version: VersionRow | undefined;
}

type JoinedRow = ConnectionsTable & { [K in keyof VersionRow as `v_${K}`]: VersionRow[K] | null };

// One statement: the connection, and its secret's current version (left joins: a miss is still
// a connection, and the slow path explains it).
const JOINED = `select c.*, s.id as v_secret_id, s.type as v_type, v.version as v_version, v.state as v_state, v.key_version as v_key_version, v.wrapped_dek as v_wrapped_dek, v.ciphertext as v_ciphertext
  from connections c
  left join secrets s on s.tenant_id = c.tenant_id and s.name = c.secret_name
  left join secret_versions v on v.secret_id = s.id and v.version = s.latest_version`;
const SQLITE_SQL = `${JOINED} where c.id = ? and c.tenant_id = ?`;
const PG_SQL = `${JOINED} where c.id = $1 and c.tenant_id = $2`;

function split(row: JoinedRow | undefined): CredentialsRow | undefined {
  if (!row) return undefined;
  const { v_secret_id, v_type, v_version, v_state, v_key_version, v_wrapped_dek, v_ciphertext, ...connection } = row;
  const version: VersionRow | undefined =
    v_secret_id === null || v_version === null
      ? undefined
      : { secret_id: v_secret_id, type: v_type!, version: v_version, state: v_state!, key_version: v_key_version, wrapped_dek: v_wrapped_dek, ciphertext: v_ciphertext };
  return { connection, version };
}

/**
 * SQLite reads with a cache: `PRAGMA data_version` changes whenever another connection commits
 * to the database, and the reader never writes, so an unchanged value proves no row changed
 * since the cache was filled (as for the secret reads). The credentials read itself writes
 * nothing to the main file (the use time is coalesced, audit events go to the audit file).
 */
class SqliteCredentialsReads {
  private readonly joined: Statement<[string, string], JoinedRow>;
  private readonly dataVersion: Statement<[], number>;
  private readonly cache = new Map<string, CredentialsRow>();
  private seen = -1;

  constructor(reader: SqliteHandle) {
    this.joined = reader.prepare<[string, string], JoinedRow>(SQLITE_SQL);
    this.dataVersion = reader.prepare<[], number>('pragma data_version').pluck();
  }

  read(tenant: string, id: string): CredentialsRow | undefined {
    // Read before the row: a commit landing in between changes it again.
    const dataVersion = this.dataVersion.get()!;
    if (dataVersion !== this.seen) {
      this.cache.clear();
      this.seen = dataVersion;
    }
    const key = `${tenant}\u0000${id}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const row = split(this.joined.get(id, tenant));
    // Misses are not kept: they are explained by slower queries, and may race with a write.
    if (row) {
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(key, row);
    }
    return row;
  }
}

const sqliteReads = new WeakMap<SqliteHandle, SqliteCredentialsReads>();

/**
 * The connection `id` of `tenant` and its secret's current version, in one read. Synchronous on
 * SQLite. The rows are shared with the cache: callers must not modify them.
 */
export function readCredentialsRow(store: Store, tenant: string, id: string): CredentialsRow | undefined | Promise<CredentialsRow | undefined> {
  if (store.dialect === 'sqlite') {
    const reader = store.sqliteReader!;
    let reads = sqliteReads.get(reader);
    if (!reads) sqliteReads.set(reader, (reads = new SqliteCredentialsReads(reader)));
    return reads.read(tenant, id);
  }
  return store.preparedQuery<JoinedRow>('coffer_read_credentials', PG_SQL, [id, tenant]).then((rows) => split(rows[0]));
}

/**
 * When each connection's `last_used_at` was last written by this process. Writing it on every
 * read would turn the credentials read into a write (on SQLite a synced commit, the slowest part
 * of the read); once a minute is plenty for "when was this connection last used", as for API
 * tokens.
 */
export class LastUsed {
  private readonly written = new Map<string, number>();

  constructor(private readonly everyMs = 60_000) {}

  /** Whether `id`'s use now should be written (and, if so, counts it as written). */
  due(id: string, now: number): boolean {
    const last = this.written.get(id);
    if (last !== undefined && now - last < this.everyMs) return false;
    // Bounded: a process serving very many connections forgets the oldest marks first.
    if (this.written.size >= 100_000) this.written.clear();
    this.written.set(id, now);
    return true;
  }

  /** A write that failed: the next use tries again. */
  failed(id: string): void {
    this.written.delete(id);
  }
}
