/**
 * A connection as core shows it and stores it: its public shapes, its id, a new row, and the
 * list cursor. No storage access here; `connections.ts` does the work.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CofferError } from '../errors.js';
import type { TokenSet } from '../oauth/token-set.js';
import type { AuthMode, ProviderDefinition } from '../providers/provider-schema.js';
import type { ConnectionStatus, ConnectionsTable, Database } from '../store/schema.js';
import type { MaskedValue } from '../vault/masking.js';
import type { AppliedCredentials } from './provider-requests.js';

export interface ConnectionInfo {
  id: string;
  tenant: string;
  provider: string;
  displayName: string;
  authMode: AuthMode;
  status: ConnectionStatus;
  /** Why the last test or refresh failed, in words safe to show; never a token or a response body. */
  lastError: string | null;
  /** The remote account id, once a test request has found it. */
  identifier: string | null;
  config: Record<string, string>;
  /** The vault secret with the credentials; `owned` when it was created for this connection. */
  secret: { name: string; owned: boolean };
  /** The credentials, masked; null when the secret is gone. */
  credentials: MaskedValue | null;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
  lastRefreshedAt: Date | null;
  expiresAt: Date | null;
  /** The legacy row's key, for a connection made by `coffer migrate legacy`: the way back to its source row. */
  importKey: string | null;
}

export interface CreateConnectionInput {
  provider: string;
  displayName?: string;
  config?: Record<string, string>;
  /** api_key, basic and custom providers: the credential fields. */
  credentials?: Record<string, string>;
  /** Or the name of an existing vault secret of this tenant that holds them. */
  secret?: string;
}

export interface UpdateConnectionInput {
  displayName?: string;
  /** Fields to change; the others keep their values. */
  config?: Record<string, string>;
  /** New credentials: a new version of the connection's secret. */
  credentials?: Record<string, string>;
}

/** The outcome of a completed authorization, to store. */
export interface AuthorizationInput {
  /** The connection being re-authorised, or null for a new one. */
  connectionId: string | null;
  displayName: string | null;
  config: Record<string, string>;
  tokens: TokenSet;
  /** The caller's bookkeeping, in the same transaction (the connect session's completion). */
  onCommit: (trx: Kysely<Database>, connectionId: string) => Promise<void>;
}

/** Credentials valid now, and how to use them. */
export interface UsableCredentials extends AppliedCredentials {
  connectionId: string;
  provider: string;
  authMode: AuthMode;
  /** The credential fields (for OAuth: access_token and token_type). */
  values: Record<string, string>;
  expiresAt: Date | null;
}

export interface ConnectionPage {
  items: ConnectionInfo[];
  nextCursor: string | null;
}

export const CONNECTION_ID = /^con_[0-9a-f]{20}$/;

/** What `update` may change, in the order its audit event names them. */
export const UPDATABLE_FIELDS = ['config', 'credentials', 'displayName'] as const;

export function newConnectionId(): string {
  return `con_${randomBytes(10).toString('hex')}`;
}

export function checkConnectionId(id: unknown): string {
  if (typeof id !== 'string' || !CONNECTION_ID.test(id)) throw new CofferError('CONNECTION_NOT_FOUND', 'No such connection.');
  return id;
}

/** A new connection row: active, no error, no lease; the fields that differ are given. */
export function newConnectionRow(f: {
  id: string;
  tenant: string;
  provider: ProviderDefinition;
  displayName: string;
  config: Record<string, string>;
  secretName: string;
  owned: boolean;
  now: number;
  expiresAt: number | null;
  refreshedAt: number | null;
}): ConnectionsTable {
  return {
    id: f.id,
    tenant_id: f.tenant,
    provider: f.provider.id,
    display_name: f.displayName,
    auth_mode: f.provider.auth.mode,
    config: JSON.stringify(f.config),
    secret_name: f.secretName,
    owns_secret: f.owned ? 1 : 0,
    status: 'active',
    last_error: null,
    identifier: null,
    created_at: f.now,
    updated_at: f.now,
    last_used_at: null,
    last_refreshed_at: f.refreshedAt,
    expires_at: f.expiresAt,
    refresh_lease_until: null,
    refresh_lease_owner: null,
    next_refresh_attempt_at: null,
    refresh_failures: 0,
  };
}

export const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** The vault secret a connection creates for its credentials. */
export const ownedSecretName = (connectionId: string) => `${connectionId}.credentials`;

export const SECRET_TYPE: Record<AuthMode, 'api_key' | 'basic' | 'generic' | 'oauth2'> = {
  api_key: 'api_key',
  basic: 'basic',
  custom: 'generic',
  oauth2: 'oauth2',
  oauth2_client_credentials: 'oauth2',
};

export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: unknown): { createdAt: number; id: string } {
  const bad = () => new CofferError('INVALID_ARGUMENT', 'cursor is not one this API returned.');
  if (typeof cursor !== 'string' || cursor.length > 200) throw bad();
  const m = /^(\d{1,15}):(con_[0-9a-f]{20})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw bad();
  return { createdAt: Number(m[1]), id: m[2]! };
}
