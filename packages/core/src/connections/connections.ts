/**
 * Connections to third-party accounts, secrets first: a connection row holds the provider,
 * a display name, non-secret config, status and timestamps, and the name of the vault secret
 * that holds its credentials. Creating one writes its secret in the same transaction, so a
 * failure at any step leaves nothing behind; deleting one erases the secret it owns.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import { auditedChange, auditedRead, LIBRARY_ACTOR, recordFailure, type Acting, type Actor, type ChangeAudit } from '../audit/audited.js';
import { CofferError } from '../errors.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { AuthMode, ProviderDefinition } from '../providers/provider-schema.js';
import type { Store } from '../store/database.js';
import type { ConnectionsTable, Database } from '../store/schema.js';
import type { Secrets } from '../vault/secrets.js';
import type { Outbound } from '../outbound/http.js';
import { checkSecretName, checkTenantId, checkText } from '../vault/values.js';
import { checkConfig, checkCredentials, credentialsFromSecret, mergeConfig } from './connection-fields.js';
import { applyCredentials, runTestRequest, type TestResult } from './provider-requests.js';
import * as oauth from 'oauth4webapi';
import { describeOAuthError, endpointsFor, findClientSettings, oauthSettings } from '../oauth/oauth-client.js';
import { checkProviderUrls, refuseUrlChange } from '../providers/host-binding.js';
import { checkProviderId } from '../providers/provider-id.js';
import { readTokenSet, tokenSetFrom, tokenSetValue, type TokenSet } from '../oauth/token-set.js';
import { refreshOutcomeRecorded, type TokenRefresher } from '../oauth/token-refresher.js';
import { LastUsed, readCredentialsRow } from './connection-reads.js';
import {
  checkConnectionId,
  date,
  decodeCursor,
  encodeCursor,
  newConnectionId,
  newConnectionRow,
  ownedSecretName,
  SECRET_TYPE,
  UPDATABLE_FIELDS,
  type AuthorizationInput,
  type ConnectionInfo,
  type ConnectionPage,
  type CreateConnectionInput,
  type UpdateConnectionInput,
  type UsableCredentials,
} from './connection-model.js';
import { checkImportedSize, importedCredentials } from './imported-credentials.js';

export { ownedSecretName } from './connection-model.js';
export type { AuthorizationInput, ConnectionInfo, ConnectionPage, CreateConnectionInput, UpdateConnectionInput, UsableCredentials } from './connection-model.js';

export type { ConnectionStatus } from '../store/schema.js';

export class Connections {
  private refresher: TokenRefresher | undefined;
  private readonly lastUsed = new LastUsed();

  constructor(
    private readonly store: Store,
    private readonly secrets: Secrets,
    private readonly catalog: ProviderCatalog,
    private readonly auditLog: AuditLog,
    private readonly options: { globalTenant: string; validationSeconds: number; outbound: Outbound },
  ) {}

  /** Wired once at start-up (the refresher and connections need each other). */
  useRefresher(refresher: TokenRefresher): void {
    this.refresher = refresher;
  }

  /**
   * Creates a connection and its credentials secret in one transaction; audited as
   * `connection.create`. `canRevealSecrets: false` says the caller may not reveal this tenant's
   * secrets: it may not make a connection from an existing one either, since the connection
   * would send it to the provider's host (FORBIDDEN, recorded as denied).
   */
  async create(tenant: string, input: CreateConnectionInput, options: { canRevealSecrets?: boolean } & Acting = {}): Promise<ConnectionInfo> {
    // Malformed ids are refused before anything is recorded: caller text stays out of the log.
    checkTenantId(tenant);
    if (typeof input !== 'object' || input === null) throw new CofferError('INVALID_ARGUMENT', 'A connection needs at least a provider.');
    const providerId = checkProviderId(input.provider);
    return auditedChange(this.auditLog, options.as, { action: 'connection.create', tenant, details: { provider: providerId } }, (audit) => {
      if (input.secret !== undefined && options.canRevealSecrets === false) {
        throw new CofferError('FORBIDDEN', 'Referencing an existing secret needs the right to reveal it (the secrets:reveal scope); send credentials instead, or act as someone who may reveal the secret.');
      }
      return this.createAudited(tenant, input, audit);
    });
  }

  private async createAudited(tenant: string, input: CreateConnectionInput, audit: ChangeAudit): Promise<ConnectionInfo> {
    const provider = this.catalog.get(input.provider);
    const displayName = checkText(input.displayName ?? provider.name, 'A connection name', 200);
    const config = checkConfig(provider, input.config);
    checkProviderUrls(provider, config);
    if (input.credentials !== undefined && input.secret !== undefined) {
      throw new CofferError('CONNECTION_INVALID', 'Give either credentials or the name of a secret that holds them, not both.');
    }
    let credentials: Record<string, string | number | boolean> | undefined;
    let secretName: string;
    let expiresAt: number | null = null;
    if (provider.auth.mode === 'oauth2_client_credentials') {
      if (input.credentials !== undefined || input.secret !== undefined) {
        throw new CofferError('CONNECTION_INVALID', `Provider "${provider.id}" uses the client credentials grant: Coffer gets the token itself with the OAuth client stored for it.`);
      }
      // The token request runs before the transaction: no lock is held across a provider call.
      const tokens = await this.clientCredentialsToken(tenant, provider, config);
      credentials = tokenSetValue(tokens);
      expiresAt = tokens.expires_at ?? null;
      secretName = '';
    } else if (input.secret !== undefined) {
      secretName = checkSecretName(input.secret);
      // Decrypted here only to check that it fits the provider; nothing of it leaves.
      const { value } = await this.secrets.readValue(tenant, secretName);
      credentialsFromSecret(provider, value, secretName);
    } else {
      credentials = checkCredentials(provider, input.credentials);
      secretName = '';
    }

    const id = newConnectionId();
    const owned = credentials !== undefined;
    if (owned) secretName = ownedSecretName(id);
    const now = Date.now();
    const row = newConnectionRow({ id, tenant, provider, displayName, config, secretName, owned, now, expiresAt, refreshedAt: expiresAt === null ? null : now });
    return this.store.writeTransaction(async (trx) => {
      await this.ensureTenant(trx, tenant);
      if (credentials) {
        await this.secrets.putWithin(trx, tenant, secretName, credentials, {
          type: SECRET_TYPE[provider.auth.mode],
          cas: 0,
          metadata: { connection: id, provider: provider.id },
        });
      }
      await trx.insertInto('connections').values(row).execute();
      const info = await this.describe(trx, row);
      await audit.within(trx, { target: info.id });
      return info;
    });
  }

  /**
   * Imports a connection with its credentials inside a batch's transaction (its event is the
   * batch's). Makes nothing when `importKey` was imported into this tenant before, which makes
   * re-runs idempotent, and returns the connection that was made then.
   */
  private async importOne(
    trx: Kysely<Database>,
    tenant: string,
    input: { provider: string; displayName?: string; config?: Record<string, string>; credentials: Record<string, string>; importKey: string },
  ): Promise<{ made: true; id: string; secretName: string } | { made: false; id: string }> {
    checkTenantId(tenant);
    const provider = this.catalog.get(input.provider);
    const displayName = checkText(input.displayName ?? provider.name, 'A connection name', 200);
    const config = checkConfig(provider, input.config);
    const credentials = importedCredentials(provider, input.credentials);
    const importKey = checkText(input.importKey, 'An import key', 200);
    const existing = await trx.selectFrom('connections').select('id').where('tenant_id', '=', tenant).where('import_key', '=', importKey).executeTakeFirst();
    if (existing) return { made: false, id: existing.id };
    await this.ensureTenant(trx, tenant);
    const id = newConnectionId();
    const secretName = ownedSecretName(id);
    const now = Date.now();
    await this.secrets.putWithin(trx, tenant, secretName, credentials, { type: SECRET_TYPE[provider.auth.mode], cas: 0, metadata: { connection: id, provider: provider.id, imported: true } });
    const expiresAt = typeof credentials.expires_at === 'number' ? credentials.expires_at : null;
    await trx
      .insertInto('connections')
      .values({ ...newConnectionRow({ id, tenant, provider, displayName, config, secretName, owned: true, now, expiresAt, refreshedAt: null }), import_key: importKey })
      .execute();
    return { made: true, id, secretName };
  }

  /**
   * One batch of `coffer migrate legacy`: rows are checked first (a bad row is reported and
   * left out), then the good ones are written in one transaction, with a `connection.import`
   * event for each connection made (row number, import key and provider; never a value). With
   * `dryRun`, only checked, and nothing is recorded. Each row's connection id is returned, made
   * now or by an earlier import (null for a row a dry run would import).
   */
  async importBatch(
    rows: readonly { row: number; key: string; tenant: string; provider: string; displayName?: string; config: Record<string, string>; credentials: Record<string, string> }[],
    options: { dryRun: boolean; knownTenants: ReadonlySet<string>; createTenants: boolean } & Acting,
  ): Promise<Array<{ row: number; key: string } & ({ outcome: 'imported'; secretName: string; connectionId: string | null } | { outcome: 'skipped'; connectionId: string } | { outcome: 'failed'; problem: { code: string; message: string } })>> {
    type Result = Awaited<ReturnType<Connections['importBatch']>>[number];
    const results: Result[] = [];
    const good: typeof rows = [];
    for (const r of rows) {
      try {
        checkTenantId(r.tenant);
        if (!options.knownTenants.has(r.tenant) && !(options.createTenants && options.dryRun)) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${r.tenant}" does not exist (create it, or pass --create-tenants).`);
        const provider = this.catalog.get(r.provider);
        checkProviderUrls(provider, checkConfig(provider, r.config));
        checkImportedSize(importedCredentials(provider, r.credentials));
        (good as (typeof rows)[number][]).push(r);
      } catch (err) {
        results.push({ row: r.row, key: r.key, outcome: 'failed', problem: err instanceof CofferError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: 'unexpected error' } });
      }
    }
    if (options.dryRun) {
      for (const r of good) {
        const existing = await this.store.db.selectFrom('connections').select('id').where('tenant_id', '=', r.tenant).where('import_key', '=', r.key).executeTakeFirst();
        results.push(existing ? { row: r.row, key: r.key, outcome: 'skipped', connectionId: existing.id } : { row: r.row, key: r.key, outcome: 'imported', secretName: '', connectionId: null });
      }
      return results;
    }
    try {
      // A batch that fails as a whole (its events cannot be written, say) is recorded as one failed import.
      const written = await auditedChange(this.auditLog, options.as, { action: 'connection.import' }, (audit) =>
        this.store.writeTransaction(async (trx) => {
          const out: Result[] = [];
          const events: { facts: { tenant: string; target: string; details: { provider: string; row: number; importKey: string } } }[] = [];
          for (const r of good) {
            const made = await this.importOne(trx, r.tenant, { provider: r.provider, ...(r.displayName !== undefined ? { displayName: r.displayName } : {}), config: r.config, credentials: r.credentials, importKey: r.key });
            if (made.made) events.push({ facts: { tenant: r.tenant, target: made.id, details: { provider: r.provider, row: r.row, importKey: r.key } } });
            out.push(made.made ? { row: r.row, key: r.key, outcome: 'imported', secretName: made.secretName, connectionId: made.id } : { row: r.row, key: r.key, outcome: 'skipped', connectionId: made.id });
          }
          // One event per connection made; none when every row was imported before.
          await audit.manyWithin(trx, events);
          return out;
        }),
      );
      results.push(...written);
    } catch (err) {
      // The whole batch rolled back; a re-run picks these rows up again.
      const problem = err instanceof CofferError ? { code: err.code, message: `the batch was rolled back: ${err.message}` } : { code: 'INTERNAL', message: 'the batch was rolled back (unexpected error)' };
      for (const r of good) results.push({ row: r.row, key: r.key, outcome: 'failed', problem });
    }
    return results.sort((a, b) => a.row - b.row);
  }

  async get(tenant: string, id: string): Promise<ConnectionInfo> {
    checkTenantId(tenant);
    const row = await this.find(this.store.db, tenant, checkConnectionId(id));
    return this.describe(this.store.db, row);
  }

  /** Connections of a tenant, newest first, a page at a time. */
  async list(tenant: string, options: { limit?: number; cursor?: string } = {}): Promise<ConnectionPage> {
    checkTenantId(tenant);
    await this.ensureTenant(this.store.db, tenant);
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CofferError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 1000.');
    let q = this.store.db.selectFrom('connections').selectAll().where('tenant_id', '=', tenant).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (options.cursor !== undefined) {
      const cursor = decodeCursor(options.cursor);
      q = q.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
    }
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const items: ConnectionInfo[] = [];
    for (const row of page) items.push(await this.describe(this.store.db, row));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /**
   * Renames, changes config, or replaces credentials (a new version of the connection's secret);
   * audited as `connection.update` with the names of the fields changed.
   */
  async update(tenant: string, id: string, change: UpdateConnectionInput, options: Acting = {}): Promise<ConnectionInfo> {
    checkTenantId(tenant);
    checkConnectionId(id);
    if (typeof change !== 'object' || change === null) throw new CofferError('INVALID_ARGUMENT', 'Say what to change: displayName, config or credentials.');
    // Only the fields this call knows are named, never the caller's own keys.
    const fields = UPDATABLE_FIELDS.filter((f) => change[f] !== undefined).join(',');
    return auditedChange(this.auditLog, options.as, { action: 'connection.update', tenant, target: id, details: { fields } }, (audit) => this.updateAudited(tenant, id, change, audit));
  }

  private async updateAudited(tenant: string, id: string, change: UpdateConnectionInput, audit: ChangeAudit): Promise<ConnectionInfo> {
    const displayName = change.displayName === undefined ? undefined : checkText(change.displayName, 'A connection name', 200);
    return this.store.writeTransaction(async (trx) => {
      const row = await this.find(trx, tenant, id, true);
      const provider = this.catalog.get(row.provider);
      const current = JSON.parse(row.config) as Record<string, string>;
      const config = change.config === undefined ? undefined : mergeConfig(provider, current, change.config);
      if (config !== undefined) refuseUrlChange(provider, current, config);
      if (change.credentials !== undefined) {
        // checkCredentials refuses OAuth providers: their tokens come from a connect session.
        const credentials = checkCredentials(provider, change.credentials);
        await this.secrets.putWithin(trx, tenant, row.secret_name, credentials, { type: SECRET_TYPE[provider.auth.mode] });
      }
      const now = Date.now();
      const set: Partial<ConnectionsTable> = { updated_at: now };
      if (displayName !== undefined) set.display_name = displayName;
      if (config !== undefined) set.config = JSON.stringify(config);
      // New credentials deserve a fresh start: a failed test of the old ones no longer applies.
      if (change.credentials !== undefined) Object.assign(set, { status: 'active', last_error: null, identifier: null });
      await trx.updateTable('connections').set(set).where('id', '=', id).where('tenant_id', '=', tenant).execute();
      const info = await this.describe(trx, { ...row, ...set });
      await audit.within(trx);
      return info;
    });
  }

  /** Deletes a connection and erases the secret it owns (a referenced secret is left alone); audited as `connection.delete`. */
  async delete(tenant: string, id: string, options: Acting = {}): Promise<ConnectionInfo & { revocation: 'revoked' | 'not_supported' | 'failed' }> {
    checkTenantId(tenant);
    checkConnectionId(id);
    return auditedChange(this.auditLog, options.as, { action: 'connection.delete', tenant, target: id }, (audit) => this.deleteAudited(tenant, id, audit));
  }

  private async deleteAudited(tenant: string, id: string, audit: ChangeAudit): Promise<ConnectionInfo & { revocation: 'revoked' | 'not_supported' | 'failed' }> {
    // Revoked at the provider first (outside any transaction: no lock across the HTTP call).
    const revocation = await this.revokeAtProvider(await this.find(this.store.db, tenant, id));
    return this.store.writeTransaction(async (trx) => {
      const row = await this.find(trx, tenant, id, true);
      const info = await this.describe(trx, row);
      if (row.owns_secret === 1) await this.secrets.eraseWithin(trx, tenant, row.secret_name);
      await trx.deleteFrom('connections').where('id', '=', id).where('tenant_id', '=', tenant).execute();
      await audit.within(trx);
      return { ...info, revocation };
    });
  }

  /**
   * Credentials that are valid now, with how to put them on a request: what an integration
   * calls before each job. Plaintext: recorded as `connection.credentials` (durably, fail
   * closed) before it is returned, with the actor from `as` (`library` without it).
   */
  async getCredentials(tenant: string, id: string, options: { as?: Actor } = {}): Promise<UsableCredentials> {
    // Malformed ids are refused before anything is recorded (caller text stays out of the log).
    checkTenantId(tenant);
    checkConnectionId(id);
    return auditedRead(
      this.auditLog,
      options.as ?? LIBRARY_ACTOR,
      { action: 'connection.credentials', tenant, target: id },
      async () => (await this.usable(tenant, id)).usable,
      (c) => ({ provider: c.provider }),
    );
  }

  private async usable(tenant: string, id: string): Promise<{ usable: UsableCredentials; config: Record<string, string> }> {
    checkTenantId(tenant);
    checkConnectionId(id);
    // One prepared read of the connection and its secret; a miss is explained (no such tenant,
    // or connection) by the slow path.
    let found = readCredentialsRow(this.store, tenant, id);
    if (found instanceof Promise) found = await found;
    const row = found?.connection ?? (await this.find(this.store.db, tenant, id));
    if (row.status === 'revoked' || row.status === 'refresh_failed') {
      throw new CofferError('CONNECTION_UNUSABLE', `Connection ${id} is ${row.status.replace('_', ' ')}; reconnect it to use it again.`, { status: row.status });
    }
    const provider = this.catalog.get(row.provider);
    const config = JSON.parse(row.config) as Record<string, string>;
    let values: Record<string, string>;
    let expiresAt = date(row.expires_at);
    if (provider.auth.mode === 'oauth2' || provider.auth.mode === 'oauth2_client_credentials') {
      // Refreshed first when due. The refresh token never leaves Coffer.
      const set = await this.requireRefresher().fresh(row);
      values = { access_token: set.access_token, token_type: set.token_type };
      expiresAt = set.expires_at === undefined ? null : new Date(set.expires_at);
    } else {
      // The version read with the connection; without one, readValue reads and explains.
      const { value } = found?.version ? await this.secrets.openRow(tenant, row.secret_name, found.version) : await this.secrets.readValue(tenant, row.secret_name);
      values = credentialsFromSecret(provider, value, row.secret_name);
    }
    await this.touch(row.id);
    const usable = {
      connectionId: row.id,
      provider: provider.id,
      authMode: provider.auth.mode,
      values,
      ...applyCredentials(provider, config, values),
      expiresAt,
    };
    return { usable, config };
  }

  /**
   * Refreshes an OAuth connection's token at the provider now, whatever its expiry or a back-off
   * after failures ("refresh now", by an operator or an application before a job); the returned
   * connection carries the new `expiresAt`. Single-flight: concurrent calls for one connection,
   * in this process or others on the database, send one request and all get its result. The
   * attempt is recorded as `connection.refresh` by the refresher, with the caller as actor, in
   * the transaction that stores the new token; a call refused before any attempt (no such
   * connection, not OAuth) is recorded as a failure here. A call that shares another's attempt
   * adds no event of its own.
   */
  async refresh(tenant: string, id: string, options: Acting = {}): Promise<ConnectionInfo> {
    checkTenantId(tenant);
    checkConnectionId(id);
    const who = options.as ?? LIBRARY_ACTOR;
    try {
      const row = await this.find(this.store.db, tenant, id);
      if (row.auth_mode !== 'oauth2' && row.auth_mode !== 'oauth2_client_credentials') throw new CofferError('CONNECTION_INVALID', `Connection ${id} does not use OAuth; there is no token to refresh.`);
      await this.requireRefresher().refresh(tenant, row.id, who, { force: true });
    } catch (err) {
      await this.recordRefusedRefresh(who, tenant, id, err);
      throw err;
    }
    return this.get(tenant, id);
  }

  /** A refresh refused before any attempt, recorded like any failed call; an attempt's own outcome is the refresher's. */
  private async recordRefusedRefresh(who: Actor, tenant: string, id: string, err: unknown): Promise<void> {
    if (refreshOutcomeRecorded(err)) return;
    await recordFailure(this.auditLog, who, { action: 'connection.refresh', tenant, target: id }, err);
  }

  private requireRefresher(): TokenRefresher {
    if (!this.refresher) throw new CofferError('INTERNAL', 'OAuth token refresh is not wired.');
    return this.refresher;
  }

  private async clientCredentialsToken(tenant: string, provider: ProviderDefinition, config: Record<string, string>): Promise<TokenSet> {
    const settings = oauthSettings(provider);
    const client = await findClientSettings(this.secrets, tenant, provider, this.options.globalTenant);
    const { as, client: c, auth, http } = endpointsFor(provider, config, client, this.options.outbound);
    try {
      const params = new URLSearchParams();
      if (settings.scopes.length > 0) params.set('scope', settings.scopes.join(settings.scopeSeparator));
      const response = await oauth.clientCredentialsGrantRequest(as, c, auth, params, http);
      const tokens = await oauth.processClientCredentialsResponse(as, c, response);
      return tokenSetFrom(tokens, { now: Date.now(), defaultExpiresIn: settings.defaultExpiresIn, validationSeconds: this.options.validationSeconds, tokenOrigin: new URL(as.token_endpoint!).origin });
    } catch (err) {
      throw new CofferError('OAUTH_FAILED', `${provider.name} refused the client credentials grant: ${describeOAuthError(err).message}.`);
    }
  }

  /**
   * Stores the tokens of a completed authorization: a new connection, or new tokens for the
   * connection being re-authorised, with its `connection.authorize` event and the caller's
   * bookkeeping, in one transaction. Returns the connection id. A connect session's callback
   * acts as `connect:<session id>`.
   */
  async storeAuthorization(
    tenant: string,
    provider: ProviderDefinition,
    input: AuthorizationInput,
    options: Acting = {},
  ): Promise<string> {
    const subject = { action: 'connection.authorize' as const, tenant, target: input.connectionId, details: { provider: provider.id, reauthorized: input.connectionId !== null } };
    return auditedChange(this.auditLog, options.as, subject, (audit) => this.storeAuthorizationAudited(tenant, provider, input, audit));
  }

  private async storeAuthorizationAudited(tenant: string, provider: ProviderDefinition, input: AuthorizationInput, audit: ChangeAudit): Promise<string> {
    const now = Date.now();
    return this.store.writeTransaction(async (trx) => {
      let id = input.connectionId;
      if (id !== null) {
        const row = await this.find(trx, tenant, id, true);
        await this.secrets.putWithin(trx, tenant, row.secret_name, tokenSetValue(input.tokens), { type: 'oauth2' });
        await trx
          .updateTable('connections')
          .set({
            status: 'active',
            last_error: null,
            config: JSON.stringify(input.config),
            expires_at: input.tokens.expires_at ?? null,
            last_refreshed_at: now,
            updated_at: now,
            refresh_failures: 0,
            next_refresh_attempt_at: null,
            refresh_lease_until: null,
            refresh_lease_owner: null,
          })
          .where('id', '=', id)
          .execute();
      } else {
        id = newConnectionId();
        const secretName = ownedSecretName(id);
        await this.ensureTenant(trx, tenant);
        await this.secrets.putWithin(trx, tenant, secretName, tokenSetValue(input.tokens), { type: 'oauth2', cas: 0, metadata: { connection: id, provider: provider.id } });
        const row = newConnectionRow({ id, tenant, provider, displayName: input.displayName ?? provider.name, config: input.config, secretName, owned: true, now, expiresAt: input.tokens.expires_at ?? null, refreshedAt: now });
        await trx.insertInto('connections').values(row).execute();
      }
      await input.onCommit(trx, id);
      await audit.within(trx, { target: id });
      return id;
    });
  }

  /** Best-effort revocation at the provider before a delete; the delete goes ahead regardless. */
  private async revokeAtProvider(row: ConnectionsTable): Promise<'revoked' | 'not_supported' | 'failed'> {
    const provider = this.catalog.has(row.provider) ? this.catalog.get(row.provider) : undefined;
    if (!provider || (provider.auth.mode !== 'oauth2' && provider.auth.mode !== 'oauth2_client_credentials') || !provider.auth.oauth?.revocationUrl) return 'not_supported';
    try {
      const set = readTokenSet((await this.secrets.readValue(row.tenant_id, row.secret_name)).value);
      const client = await findClientSettings(this.secrets, row.tenant_id, provider, this.options.globalTenant);
      const { as, client: c, auth, http } = endpointsFor(provider, JSON.parse(row.config) as Record<string, string>, client, this.options.outbound);
      // Revoking the refresh token ends the grant (RFC 7009); the access token goes with it at most providers.
      const response = await oauth.revocationRequest(as, c, auth, set.refresh_token ?? set.access_token, { ...http, additionalParameters: { token_type_hint: set.refresh_token ? 'refresh_token' : 'access_token' } });
      await oauth.processRevocationResponse(response);
      return 'revoked';
    } catch {
      return 'failed';
    }
  }

  /**
   * Runs the provider's test request and records the outcome on the connection; audited as
   * `connection.test` with whether the provider accepted the credentials and its status (the
   * credentials are read inside: no reveal event of their own).
   */
  async test(tenant: string, id: string, options: Acting = {}): Promise<TestResult & { connection: ConnectionInfo }> {
    checkTenantId(tenant);
    checkConnectionId(id);
    return auditedChange(this.auditLog, options.as, { action: 'connection.test', tenant, target: id }, (audit) => this.testAudited(tenant, id, audit));
  }

  private async testAudited(tenant: string, id: string, audit: ChangeAudit): Promise<TestResult & { connection: ConnectionInfo }> {
    const { usable: credentials, config } = await this.usable(tenant, id);
    const provider = this.catalog.get(credentials.provider);
    const result = await runTestRequest(provider, credentials, config, this.options.outbound);
    const set: Partial<ConnectionsTable> = result.ok
      ? { status: 'active', last_error: null, ...(result.identifier ? { identifier: result.identifier } : {}), updated_at: Date.now() }
      : { status: 'error', last_error: result.error, updated_at: Date.now() };
    const connection = await this.store.writeTransaction(async (trx) => {
      const row = await this.find(trx, tenant, id, true);
      // A connection revoked meanwhile stays revoked.
      if (row.status !== 'revoked') await trx.updateTable('connections').set(set).where('id', '=', id).where('tenant_id', '=', tenant).execute();
      const info = await this.describe(trx, row.status === 'revoked' ? row : { ...row, ...set });
      await audit.within(trx, { details: { ok: result.ok, status: result.status } });
      return info;
    });
    return { ...result, connection };
  }

  /** Records a use (`lastUsedAt`), at most once a minute per connection and process (see LastUsed). */
  private async touch(id: string): Promise<void> {
    const now = Date.now();
    if (!this.lastUsed.due(id, now)) return;
    // Best effort and outside any transaction: a failed timestamp must not fail the caller.
    await this.store.db
      .updateTable('connections')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute()
      .catch(() => this.lastUsed.failed(id));
  }

  private async ensureTenant(db: Kysely<Database>, tenant: string): Promise<void> {
    const t = await db.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
    if (!t) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
  }

  private async find(db: Kysely<Database>, tenant: string, id: string, lock = false): Promise<ConnectionsTable> {
    let q = db.selectFrom('connections').selectAll().where('id', '=', id).where('tenant_id', '=', tenant);
    if (lock && this.store.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) {
      await this.ensureTenant(db, tenant);
      throw new CofferError('CONNECTION_NOT_FOUND', `No connection ${id} in tenant "${tenant}".`);
    }
    return row;
  }

  private async describe(db: Kysely<Database>, row: ConnectionsTable): Promise<ConnectionInfo> {
    const masked = await this.secrets.maskedWithin(db, row.tenant_id, row.secret_name);
    return {
      id: row.id,
      tenant: row.tenant_id,
      provider: row.provider,
      displayName: row.display_name,
      authMode: row.auth_mode as AuthMode,
      status: row.status,
      lastError: row.last_error,
      identifier: row.identifier,
      config: JSON.parse(row.config) as Record<string, string>,
      secret: { name: row.secret_name, owned: row.owns_secret === 1 },
      credentials: masked,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      lastUsedAt: date(row.last_used_at),
      lastRefreshedAt: date(row.last_refreshed_at),
      expiresAt: date(row.expires_at),
      importKey: row.import_key ?? null,
    };
  }
}

export type { ProviderDefinition, TestResult };
