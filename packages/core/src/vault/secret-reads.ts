/**
 * The reads on the secret hot path: one indexed lookup of the version row with what is needed
 * to decrypt it. On SQLite they are prepared once on a read-only connection (which sees
 * committed data only) and run synchronously through better-sqlite3, skipping the query
 * builder's per-call compile and promise hops; on PostgreSQL they are named prepared
 * statements, planned once per connection (both measured in `npm run bench`).
 */
import type { Statement } from 'better-sqlite3';
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

const prepared = new WeakMap<Store, { current: Statement<[string, string], VersionRow>; version: Statement<[number, string, string], VersionRow> }>();

function statements(store: Store) {
  let s = prepared.get(store);
  if (!s) {
    const db = store.sqliteReader!;
    s = { current: db.prepare<[string, string], VersionRow>(CURRENT_SQL), version: db.prepare<[number, string, string], VersionRow>(VERSION_SQL) };
    prepared.set(store, s);
  }
  return s;
}

/**
 * The row of the current (or given) version. Synchronous on SQLite: the caller skips an await
 * on the hot path when the result is not a promise.
 */
export function readVersionRow(store: Store, tenant: string, name: string, version: number | undefined): VersionRow | undefined | Promise<VersionRow | undefined> {
  if (store.dialect === 'sqlite') {
    const s = statements(store);
    return version === undefined ? s.current.get(tenant, name) : s.version.get(version, tenant, name);
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
