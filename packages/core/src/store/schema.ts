/**
 * Table types shared by both databases. Timestamps are epoch milliseconds; binary columns
 * are Buffers (SQLite BLOB, PostgreSQL bytea).
 */
import type { Generated } from 'kysely';

export type RootKeyState = 'current' | 'previous' | 'retired';
export type TenantKeyState = 'active' | 'retired';
export type VersionState = 'active' | 'deleted' | 'destroyed';

export interface RootKeysTable {
  id: number;
  kcv: string;
  state: RootKeyState;
  created_at: number;
  retired_at: number | null;
}

export type RootRotationState = 'staged' | 'switched';

/** The single row (id 1) that leases root key rotations and records where one stands. */
export interface RootKeyRotationTable {
  id: number;
  /** Grows with every lease acquisition: a rotator that lost its lease cannot commit a step. */
  fence: number;
  owner: string | null;
  lease_until: number | null;
  heartbeat_at: number | null;
  /** Null when no rotation is recorded; `staged` once the new key's check value is recorded; `switched` once it is current. */
  step: RootRotationState | null;
  from_id: number | null;
  staged_id: number | null;
  staged_kcv: string | null;
  started_at: number | null;
}

export interface TenantsTable {
  id: string;
  name: string;
  created_at: number;
  /** JSON list of origins connect sessions may return to; null: only Coffer's own. */
  connect_return_origins?: string | null;
}

export interface TenantKeysTable {
  tenant_id: string;
  version: number;
  root_key_id: number;
  /** Null once retired: the key is gone for good. */
  wrapped_key: Buffer | null;
  state: TenantKeyState;
  created_at: number;
  retired_at: number | null;
}

export interface SecretsTable {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  metadata: string;
  max_versions: number;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface SecretVersionsTable {
  secret_id: string;
  tenant_id: string;
  version: number;
  /** Tenant key version that wraps the data key; null once destroyed. */
  key_version: number | null;
  wrapped_dek: Buffer | null;
  ciphertext: Buffer | null;
  masked: Buffer | null;
  state: VersionState;
  created_at: number;
  deleted_at: number | null;
  destroyed_at: number | null;
}

export type TokenKind = 'admin' | 'tenant';

export interface ApiTokensTable {
  id: string;
  /** SHA-256 of the whole token, hex. The token itself is never stored. */
  token_hash: string;
  kind: TokenKind;
  tenant_id: string | null;
  /** Space-separated scopes. */
  scopes: string;
  description: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  tenant_id: string | null;
  target: string | null;
  outcome: string;
  code: string | null;
  ip: string | null;
  request_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
  /** The audit key version whose HMAC `hash` is; null for the plain SHA-256 events from before audit keys. */
  key_version: number | null;
}

/** Audit keys (main database, beside the root and tenant keys), each wrapped by a root key. */
export interface AuditKeysTable {
  version: number;
  root_key_id: number;
  wrapped_key: Buffer;
  /** Events after this seq are MACed; bound to the wrapped key as associated data. */
  first_seq: number;
  created_at: number;
}

/**
 * SQLite: a change's audit events, written in the change's transaction in the main file and
 * moved into the chain (audit_events, in the audit file) once it has committed; see
 * audit/audit-log.ts. The content is the event's as the change built it; `id` orders the moves.
 */
export interface AuditOutboxTable {
  id: Generated<number>;
  /** The chain head's seq when the change committed: the event cannot be in the chain before it. */
  head_seq: number;
  event_id: string;
  at: number;
  actor: string;
  action: string;
  tenant_id: string | null;
  target: string | null;
  outcome: string;
  code: string | null;
  ip: string | null;
  request_id: string | null;
  details: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** SQLite: the last audit_outbox id moved into the chain, moved with it. */
  outbox_id: Generated<number>;
}

export type ConnectionStatus = 'active' | 'error' | 'expired' | 'refresh_failed' | 'revoked';

export interface ConnectionsTable {
  id: string;
  tenant_id: string;
  provider: string;
  display_name: string;
  auth_mode: string;
  /** JSON object of non-secret config fields. */
  config: string;
  secret_name: string;
  owns_secret: number;
  status: ConnectionStatus;
  last_error: string | null;
  identifier: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  last_refreshed_at: number | null;
  expires_at: number | null;
  refresh_lease_until: number | null;
  refresh_lease_owner: string | null;
  next_refresh_attempt_at: number | null;
  refresh_failures: number;
  /** Set for connections made by `coffer migrate legacy`: the source row's key. */
  import_key?: string | null;
}

export interface OAuthSessionsTable {
  id: string;
  tenant_id: string;
  provider: string;
  display_name: string | null;
  config: string;
  scopes: string;
  connection_id: string | null;
  return_url: string;
  link_hash: string;
  state_hash: string | null;
  binding_hash: string | null;
  verifier: Buffer | null;
  status: 'pending' | 'started' | 'completed' | 'failed';
  error_code: string | null;
  result_connection_id: string | null;
  created_at: number;
  expires_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface Database {
  root_keys: RootKeysTable;
  root_key_rotation: RootKeyRotationTable;
  tenants: TenantsTable;
  tenant_keys: TenantKeysTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  audit_keys: AuditKeysTable;
  audit_outbox: AuditOutboxTable;
  connections: ConnectionsTable;
  oauth_sessions: OAuthSessionsTable;
}

