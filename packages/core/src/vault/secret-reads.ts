/**
 * The reads on the secret hot path: one indexed lookup of the version row with what is needed
 * to decrypt it. On SQLite they are prepared once on a read-only connection (which sees
 * committed data only) and run synchronously through better-sqlite3, skipping the query
 * builder's per-call compile and promise hops; on PostgreSQL they are named prepared
 * statements, planned once per connection (both measured in `npm run bench`).
 */
import type { Database as SqliteHandle, Statement } from 'better-sqlite3';
import type { Store } from '../store/database.js';
import type { VersionState } from '../store/schema.js';

export interface VersionRow {
  secret_id: string;
  type: string;
  version: number;
  state: VersionState;
  key_version: number | null;
  wrapped_dek: Buffer | null;
  ciphertext: Buffer | null;
}

const COLUMNS = 's.id as secret_id, s.type as type, v.version as version, v.state as state, v.key_version as key_version, v.wrapped_dek as wrapped_dek, v.ciphertext as ciphertext';
const CURRENT_SQL = `select ${COLUMNS} from secrets s join secret_versions v on v.secret_id = s.id and v.version = s.latest_version where s.tenant_id = ? and s.name = ?`;
const VERSION_SQL = `select ${COLUMNS} from secrets s join secret_versions v on v.secret_id = s.id and v.version = ? where s.tenant_id = ? and s.name = ?`;

/** Rows kept by the SQLite read cache; past this it starts again (about 300 bytes a row). */
const CACHE_ROWS = 10_000;

/**
 * SQLite reads with a cache of version rows (ciphertext and wrapped keys only, as stored).
 * `PRAGMA data_version` changes whenever another connection, in this process or any other,
 * commits to the database; the reader never writes, so an unchanged value proves that no row
 * changed since the cache was filled. Checking it costs a third of the two-table read it saves.
 */
class SqliteVersionReads {
  private readonly current: Statement<[string, string], VersionRow>;
  private readonly version: Statement<[number, string, string], VersionRow>;
  private readonly dataVersion: Statement<[], number>;
  private readonly cache = new Map<string, VersionRow>();
  private seen = -1;

  constructor(reader: SqliteHandle) {
    this.current = reader.prepare<[string, string], VersionRow>(CURRENT_SQL);
    this.version = reader.prepare<[number, string, string], VersionRow>(VERSION_SQL);
    this.dataVersion = reader.prepare<[], number>('pragma data_version').pluck();
  }

  read(tenant: string, name: string, version: number | undefined): VersionRow | undefined {
    // Read before the row: a commit landing in between changes it again, so a row read after
    // it is dropped at the next call rather than trusted.
    const dataVersion = this.dataVersion.get()!;
    if (dataVersion !== this.seen) {
      this.cache.clear();
      this.seen = dataVersion;
    }
    // NUL cannot occur in tenant ids or secret names, so the key is unambiguous.
    const key = `${tenant}\u0000${name}\u0000${version ?? ''}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const row = version === undefined ? this.current.get(tenant, name) : this.version.get(version, tenant, name);
    // Misses are not kept: they are explained by slower queries, and may be a race with a write.
    if (row) {
      if (this.cache.size >= CACHE_ROWS) this.cache.clear();
      this.cache.set(key, row);
    }
    return row;
  }
}

const sqliteReads = new WeakMap<Store, SqliteVersionReads>();

/**
 * The row of the current (or given) version. Synchronous on SQLite: the caller skips an await
 * on the hot path when the result is not a promise. The row is shared with the cache: callers
 * must not modify it.
 */
export function readVersionRow(store: Store, tenant: string, name: string, version: number | undefined): VersionRow | undefined | Promise<VersionRow | undefined> {
  if (store.dialect === 'sqlite') {
    let reads = sqliteReads.get(store);
    if (!reads) sqliteReads.set(store, (reads = new SqliteVersionReads(store.sqliteReader!)));
    return reads.read(tenant, name, version);
  }
  return version === undefined ? readCurrentVersion(store, tenant, name) : readVersion(store, tenant, name, version);
}

const PG_CURRENT_SQL = `select ${COLUMNS} from secrets s join secret_versions v on v.secret_id = s.id and v.version = s.latest_version where s.tenant_id = $1 and s.name = $2`;
const PG_VERSION_SQL = `select ${COLUMNS} from secrets s join secret_versions v on v.secret_id = s.id and v.version = $1 where s.tenant_id = $2 and s.name = $3`;

async function readCurrentVersion(store: Store, tenant: string, name: string): Promise<VersionRow | undefined> {
  return (await store.preparedQuery<VersionRow>('coffer_read_current_version', PG_CURRENT_SQL, [tenant, name]))[0];
}

async function readVersion(store: Store, tenant: string, name: string, version: number): Promise<VersionRow | undefined> {
  return (await store.preparedQuery<VersionRow>('coffer_read_version', PG_VERSION_SQL, [version, tenant, name]))[0];
}
