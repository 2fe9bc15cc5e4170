/**
 * Keeps OAuth tokens fresh. At most one refresh per connection runs at a time across every
 * process on the database: a process takes a lease on the connection row with one conditional
 * UPDATE (no lock is held during the HTTP call to the provider), refreshes, and stores the new
 * token set and releases the lease in one transaction. Callers in the same process share one
 * attempt. While another process holds the lease, a caller gets the current token if it is
 * still valid, and otherwise waits for the new one.
 *
 * A token is due within the provider's refresh buffer of its expiry. A token that lives less
 * than the buffer is due from the start, so one this refresher obtained is kept for min(30 s,
 * half its life) before it counts as due again (`next_refresh_attempt_at` after a success):
 * short-lived tokens are refreshed before they expire, not on every call.
 *
 * `invalid_grant` marks the connection `refresh_failed` and stops. Any other failure backs off
 * (30 s, doubling per failure in a row, at most 1 h); the back-off applies after failures only,
 * never after a success. A forced refresh ("refresh now") asks the provider now, whatever the
 * token's expiry or the back-off, single-flight like any other.
 */
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../audit/audited.js';
import { CofferError } from '../errors.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { ProviderDefinition } from '../providers/provider-schema.js';
import type { Store } from '../store/database.js';
import type { ConnectionsTable, Database } from '../store/schema.js';
import type { Secrets } from '../vault/secrets.js';
import type { Outbound } from '../outbound/http.js';
import { applyCredentials, runTestRequest } from '../connections/provider-requests.js';
import { describeOAuthError, endpointsFor, findClientSettings, oauthSettings, type OAuthClientSettings } from './oauth-client.js';
import { readTokenSet, tokenSetFrom, tokenSetValue, type TokenSet } from './token-set.js';

export interface RefresherOptions {
  /** The tenant holding OAuth clients shared by every tenant. */
  globalTenant: string;
  /** The one way to the network (address checks, no redirects, timeouts, capped answers). */
  outbound: Outbound;
  /** How long a lease lasts; a crashed refresher's lease lapses after this. Default 30 s. */
  leaseMs?: number;
  /** The back-off after a failed attempt (doubling per failure in a row), and the most a refreshed token is kept before it may count as due again. Default 30 s. */
  minAttemptIntervalMs?: number;
  /** Horizon for tokens whose provider gives no lifetime: refreshed or re-validated after it. Default 3600 s. */
  validationSeconds?: number;
  /** How long a caller waits for another process's refresh of an expired token. Default 20 s. */
  waitMs?: number;
}

export interface RefreshOutcome {
  attempted: number;
  refreshed: number;
  failed: number;
}

const OAUTH_MODES = ['oauth2', 'oauth2_client_credentials'];

/** Who refreshes when no caller asked: the proactive pass, or a token found due on use. */
const REFRESH_JOB: Actor = Object.freeze({ actor: 'system:token-refresh' });

/**
 * Errors thrown after an attempt's outcome was recorded with it (in the transaction that
 * stored the attempt's result): the caller must not record them again.
 */
const recordedOutcomes = new WeakSet<object>();

function recorded(err: CofferError): CofferError {
  recordedOutcomes.add(err);
  return err;
}

/** Whether `err` ends an attempt whose outcome is recorded already. */
export function refreshOutcomeRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && recordedOutcomes.has(err);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TokenRefresher {
  /** This process, as the owner of the leases it takes. */
  private readonly owner = `proc_${randomBytes(8).toString('hex')}`;
  private readonly inflight = new Map<string, Promise<TokenSet>>();
  /** Forced refreshes running in this process, apart: a forced call never settles for an unforced one that found nothing due. */
  private readonly forcing = new Map<string, Promise<TokenSet>>();
  private readonly leaseMs: number;
  private readonly minAttemptIntervalMs: number;
  readonly validationSeconds: number;
  private readonly waitMs: number;

  constructor(
    private readonly store: Store,
    private readonly secrets: Secrets,
    private readonly catalog: ProviderCatalog,
    private readonly auditLog: AuditLog,
    private readonly options: RefresherOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.minAttemptIntervalMs = options.minAttemptIntervalMs ?? 30_000;
    this.validationSeconds = options.validationSeconds ?? 3600;
    this.waitMs = options.waitMs ?? 20_000;
  }

  /** The current token set of a connection, refreshed first when it is due. */
  async fresh(row: ConnectionsTable): Promise<TokenSet> {
    const provider = this.catalog.get(row.provider);
    const set = readTokenSet((await this.secrets.readValue(row.tenant_id, row.secret_name)).value);
    if (!this.isDue(set, provider, row, Date.now())) return set;
    return this.refresh(row.tenant_id, row.id);
  }

  /**
   * Refreshes when due, or with `force` now, its attempt recorded with `who` as actor (an
   * on-demand refresh names its caller). Shared with any attempt of the same kind already
   * running in this process (that one's actor stands); a forced call also shares an attempt
   * another process started after it was called, and gets that attempt's result.
   */
  refresh(tenant: string, id: string, who: Actor = REFRESH_JOB, options: { force?: boolean } = {}): Promise<TokenSet> {
    const runs = options.force ? this.forcing : this.inflight;
    let running = runs.get(id);
    if (!running) {
      running = (options.force ? this.runForced(tenant, id, who) : this.run(tenant, id, who)).finally(() => runs.delete(id));
      runs.set(id, running);
    }
    return running;
  }

  private bufferMs(provider: ProviderDefinition): number {
    return oauthSettings(provider).refreshBufferSeconds * 1000;
  }

  private isDue(set: TokenSet, provider: ProviderDefinition, row: ConnectionsTable, now: number): boolean {
    if (set.expires_at === undefined || set.expires_at - this.bufferMs(provider) > now) return false;
    if (set.expires_at <= now) return true;
    // Kept a while after a successful refresh (never past half the token's life).
    return !(row.refresh_failures === 0 && row.next_refresh_attempt_at !== null && row.next_refresh_attempt_at > now);
  }

  /** Until when a token just obtained is kept before it may count as due: min(the interval, half its life). */
  private keptUntil(f: Finished): number | null {
    const expires = f.next?.expires_at;
    if (expires === undefined) return null;
    return f.started + Math.max(0, Math.floor(Math.min(this.minAttemptIntervalMs, (expires - f.started) / 2)));
  }

  /** Whether the connection is backing off after a failed attempt (a success never backs off). */
  private backingOff(row: ConnectionsTable, now: number): boolean {
    return row.refresh_failures > 0 && row.next_refresh_attempt_at !== null && row.next_refresh_attempt_at > now;
  }

  private async run(tenant: string, id: string, who: Actor): Promise<TokenSet> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const row = await this.store.db.selectFrom('connections').selectAll().where('id', '=', id).where('tenant_id', '=', tenant).executeTakeFirst();
      if (!row) throw new CofferError('CONNECTION_NOT_FOUND', `No connection ${id} in tenant "${tenant}".`);
      if (row.status === 'refresh_failed' || row.status === 'revoked' || row.status === 'expired') {
        throw new CofferError('CONNECTION_UNUSABLE', `Connection ${id} is ${row.status.replace('_', ' ')}; reconnect it to use it again.`, { status: row.status });
      }
      const provider = this.catalog.get(row.provider);
      const revealed = await this.secrets.readValue(tenant, row.secret_name);
      const set = readTokenSet(revealed.value);
      const now = Date.now();
      if (!this.isDue(set, provider, row, now)) return set;
      const stillValid = set.expires_at === undefined || set.expires_at > now;
      if (this.backingOff(row, now)) {
        // Backing off after failed attempts: the current token while it lasts.
        if (stillValid) return set;
        throw new CofferError('PROVIDER_REQUEST_FAILED', `Connection ${id}: the token expired and the last ${plural(row.refresh_failures, 'refresh attempt')} failed (last: ${lastFailure(row)}); the next attempt is in ${Math.ceil((row.next_refresh_attempt_at! - now) / 1000)} s.`);
      }
      if (await this.claim(row, now)) return this.refreshClaimed(row, provider, set, revealed.version, who);
      // Another process is refreshing: the current token while it is valid, else wait for theirs.
      if (stillValid) return set;
      if (Date.now() > deadline) throw new CofferError('PROVIDER_REQUEST_FAILED', `Connection ${id}: the token expired and a refresh by another process has not finished; try again.`);
      await sleep(25 + Math.random() * 50);
    }
  }

  /**
   * A forced refresh: one request to the provider now, shared by every forced call made while it
   * runs, in this process or another. A call that finds another process's attempt running (or
   * finished since the call began) waits for it and returns its result, a failure included.
   */
  private async runForced(tenant: string, id: string, who: Actor): Promise<TokenSet> {
    const deadline = Date.now() + this.waitMs;
    let since: AttemptMark | undefined;
    for (;;) {
      const row = await this.store.db.selectFrom('connections').selectAll().where('id', '=', id).where('tenant_id', '=', tenant).executeTakeFirst();
      if (!row) throw new CofferError('CONNECTION_NOT_FOUND', `No connection ${id} in tenant "${tenant}".`);
      if (row.status === 'refresh_failed' || row.status === 'revoked' || row.status === 'expired') {
        throw new CofferError('CONNECTION_UNUSABLE', `Connection ${id} is ${row.status.replace('_', ' ')}; reconnect it to use it again.`, { status: row.status });
      }
      since ??= attemptMark(row);
      if (!sameAttemptMark(since, attemptMark(row))) {
        // Another process's attempt finished after this call began: its result is this call's.
        if (row.refresh_failures === 0) return readTokenSet((await this.secrets.readValue(tenant, row.secret_name)).value);
        throw new CofferError('PROVIDER_REQUEST_FAILED', `Connection ${id}: refreshing the token failed (${lastFailure(row)}).`);
      }
      const provider = this.catalog.get(row.provider);
      const revealed = await this.secrets.readValue(tenant, row.secret_name);
      const now = Date.now();
      if (await this.claim(row, now, { force: true })) return this.refreshClaimed(row, provider, readTokenSet(revealed.value), revealed.version, who, true);
      if (Date.now() > deadline) throw new CofferError('PROVIDER_REQUEST_FAILED', `Connection ${id}: a refresh by another process has not finished; try again.`);
      await sleep(25 + Math.random() * 50);
    }
  }

  /**
   * Takes the refresh lease with one conditional update; true if this process now holds it. Only
   * while the row is as read: the token set read with it is then the current one, and a set
   * another process stored meanwhile (its refresh token rotated) is never refreshed from again.
   */
  private async claim(row: ConnectionsTable, now: number, options: { force?: boolean } = {}): Promise<boolean> {
    let update = this.store.db
      .updateTable('connections')
      .set({ refresh_lease_until: now + this.leaseMs, refresh_lease_owner: this.owner })
      .where('id', '=', row.id)
      .where('status', 'in', ['active', 'error'])
      .where((eb) => (row.last_refreshed_at === null ? eb('last_refreshed_at', 'is', null) : eb('last_refreshed_at', '=', row.last_refreshed_at)))
      .where('refresh_failures', '=', row.refresh_failures)
      .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now)]));
    if (!options.force) update = update.where((eb) => notBackingOff(eb, now));
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private async refreshClaimed(row: ConnectionsTable, provider: ProviderDefinition, current: TokenSet, fromVersion: number, who: Actor, force = false): Promise<TokenSet> {
    const started = Date.now();
    const lease = { leaseOwner: this.owner, fromVersion };
    let f: Finished;
    try {
      f = { row, started, provider, current, ...lease, next: await this.requestNewTokens(row, provider, JSON.parse(row.config) as Record<string, string>, current) };
    } catch (err) {
      f = { row, started, provider, current, ...lease, failure: failureOf(err) };
    }
    await this.store.writeTransaction((trx) => this.commitOne(trx, f, who));
    if (f.superseded) {
      // Another writer stored a newer token set meanwhile (a re-authorisation, or a refresh after
      // this lease lapsed): that one is current.
      const now = readTokenSet((await this.secrets.readValue(row.tenant_id, row.secret_name)).value);
      return now;
    }
    if (f.next) return f.next;
    const failure = f.failure!;
    if (failure.invalidGrant || failure.expired) {
      const status = failure.expired ? 'expired' : 'refresh failed';
      throw recorded(new CofferError('CONNECTION_UNUSABLE', `Connection ${row.id}: ${status} (${failure.message}); reconnect it.`, { status: failure.expired ? 'expired' : 'refresh_failed' }));
    }
    if (!force && (current.expires_at === undefined || current.expires_at > Date.now())) return current;
    const retryIn = Math.ceil(this.backoffMs(row.refresh_failures) / 1000);
    const what = force ? 'refreshing the token failed' : 'the token expired and refreshing it failed';
    throw recorded(new CofferError('PROVIDER_REQUEST_FAILED', `Connection ${row.id}: ${what} (${failure.message}); Coffer retries on use in ${retryIn} s.`));
  }

  /** A refresh grant, a new client credentials grant, or (no refresh token) a validation. */
  private async requestNewTokens(row: ConnectionsTable, provider: ProviderDefinition, config: Record<string, string>, current: TokenSet, knownClient?: OAuthClientSettings): Promise<TokenSet> {
    const settings = oauthSettings(provider);
    const now = Date.now();
    if (provider.auth.mode === 'oauth2' && current.refresh_token === undefined) {
      // Nothing to refresh with (a provider with long-lived tokens): check the token still works.
      // Without a test request there is no way to know, so the token is over at its expiry; it is
      // never reported fresh by moving `expires_at`.
      if (!provider.api.test) throw new CofferError('CONNECTION_UNUSABLE', 'the token reached its expiry and has no refresh token, and the provider has no request to validate it');
      const result = await runTestRequest(provider, applyCredentials(provider, config, { access_token: current.access_token, token_type: current.token_type }), config, this.options.outbound);
      if (result.status === 401 || result.status === 403) throw new CofferError('CONNECTION_UNUSABLE', `${provider.name} no longer accepts the token (${result.status})`);
      if (!result.ok) throw Object.assign(new Error(result.error ?? 'validation failed'), { cause: { code: 'validation' } });
      return { ...current, expires_at: now + (settings.defaultExpiresIn ?? this.validationSeconds) * 1000, expiry_assumed: true };
    }
    const client = knownClient ?? (await findClientSettings(this.secrets, row.tenant_id, provider, this.options.globalTenant));
    const { as, client: c, auth, http } = endpointsFor(provider, config, client, this.options.outbound);
    const tokenOrigin = new URL(as.token_endpoint!).origin;
    if (provider.auth.mode === 'oauth2_client_credentials') {
      const params = new URLSearchParams();
      if (settings.scopes.length > 0) params.set('scope', settings.scopes.join(settings.scopeSeparator));
      const response = await oauth.clientCredentialsGrantRequest(as, c, auth, params, http);
      const tokens = await oauth.processClientCredentialsResponse(as, c, response);
      return tokenSetFrom(tokens, { now, defaultExpiresIn: settings.defaultExpiresIn, validationSeconds: this.validationSeconds, tokenOrigin });
    }
    // A refresh token goes back only to the endpoint that issued it.
    if (current.token_origin !== undefined && current.token_origin !== tokenOrigin) {
      throw new CofferError('OAUTH_ORIGIN_NOT_ALLOWED', "the token endpoint's origin differs from the one that issued the refresh token; reconnect the connection");
    }
    const response = await oauth.refreshTokenGrantRequest(as, c, auth, current.refresh_token!, http);
    const tokens = await oauth.processRefreshTokenResponse(as, c, response);
    return tokenSetFrom(tokens, { now, defaultExpiresIn: settings.defaultExpiresIn, previous: current, validationSeconds: this.validationSeconds, tokenOrigin });
  }

  /**
   * The proactive pass: refreshes OAuth connections whose tokens expire within `windowMs`,
   * `concurrency` requests at a time. Safe to run in every replica at once: the leases divide
   * the work. Built for volume: leases are taken for a chunk of connections in one statement,
   * the OAuth client is looked up once per tenant and provider, and finished refreshes are
   * committed in batches (one transaction, one audit head lock, one disk sync per batch). A
   * batch that cannot commit is retried one refresh at a time, so one bad row costs no other
   * connection its rotated refresh token.
   */
  async refreshDue(options: { windowMs: number; limit?: number; concurrency?: number; onProgress?: (done: number, total: number) => void }): Promise<RefreshOutcome> {
    const now = Date.now();
    const due = await this.store.db
      .selectFrom('connections')
      .select('id')
      .where('status', 'in', ['active', 'error'])
      .where('auth_mode', 'in', OAUTH_MODES)
      .where('expires_at', 'is not', null)
      .where('expires_at', '<', now + options.windowMs)
      .where((eb) => notBackingOff(eb, now))
      .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now)]))
      .orderBy('expires_at')
      .limit(options.limit ?? 5000)
      .execute();
    const outcome: RefreshOutcome = { attempted: 0, refreshed: 0, failed: 0 };
    const clients = new Map<string, Promise<OAuthClientSettings>>();
    const concurrency = Math.max(1, options.concurrency ?? 16);
    // SQLite has one writer; PostgreSQL runs a few batch transactions side by side (their writes
    // overlap, and only the audit head lock at their end is taken one after another). Commits
    // run on while the next chunk is claimed and requested.
    const parallel = this.store.dialect === 'postgres' ? PG_PARALLEL_COMMITS : 1;
    const inFlight = new Set<Promise<void>>();
    let pending: Finished[] = [];
    const commit = async () => {
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      while (inFlight.size >= parallel) await Promise.race(inFlight);
      const p: Promise<void> = this.commitFinished(batch, outcome).finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    for (let i = 0; i < due.length; i += CLAIM_CHUNK) {
      const rows = await this.claimMany(due.slice(i, i + CLAIM_CHUNK).map((d) => d.id), options.windowMs);
      // The chunk's current token sets in one read.
      const sets = await this.secrets.revealMany(rows.map((r) => ({ tenant: r.tenant_id, name: r.secret_name })));
      let next = 0;
      const worker = async () => {
        while (next < rows.length) {
          const row = rows[next++]!;
          outcome.attempted += 1;
          // Awaited first: `pending` is swapped by each commit, so it is read only once the result is in.
          const finished = await this.attempt(row, clients, sets.get(`${row.tenant_id}\u0000${row.secret_name}`));
          pending.push(finished);
          if (pending.length >= COMMIT_BATCH) await commit();
          options.onProgress?.(outcome.attempted, due.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, rows.length)) }, worker));
      await commit();
    }
    await Promise.all(inFlight);
    return outcome;
  }

  /** Takes the leases of every connection in `ids` that is free, in one statement; returns those taken. */
  private async claimMany(ids: string[], windowMs: number): Promise<ConnectionsTable[]> {
    if (ids.length === 0) return [];
    const now = Date.now();
    const until = now + this.leaseMs;
    // A fresh owner tag per claim, so the rows read back are exactly the ones this claim took.
    const tag = `${this.owner}.${randomBytes(4).toString('hex')}`;
    await this.store.db
      .updateTable('connections')
      .set({ refresh_lease_until: until, refresh_lease_owner: tag })
      .where('id', 'in', ids)
      .where('status', 'in', ['active', 'error'])
      // Still due: another replica may have refreshed it since the list was read.
      .where('expires_at', '<', now + windowMs)
      .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now)]))
      .where((eb) => notBackingOff(eb, now))
      .execute();
    return this.store.db.selectFrom('connections').selectAll().where('id', 'in', ids).where('refresh_lease_owner', '=', tag).execute();
  }

  /** One refresh request for a claimed connection; never throws. */
  private async attempt(row: ConnectionsTable, clients: Map<string, Promise<OAuthClientSettings>>, revealed: { value: unknown; version: number } | undefined): Promise<Finished> {
    const started = Date.now();
    let provider: ProviderDefinition;
    let current: TokenSet;
    let fromVersion: number;
    const leaseOwner = row.refresh_lease_owner ?? '';
    try {
      provider = this.catalog.get(row.provider);
      const read = revealed ?? (await this.secrets.readValue(row.tenant_id, row.secret_name));
      current = readTokenSet(read.value);
      fromVersion = read.version;
    } catch (err) {
      return { row, started, leaseOwner, fromVersion: -1, failure: { code: err instanceof CofferError ? err.code : 'error', message: 'the stored token set could not be read', invalidGrant: false, expired: false } };
    }
    try {
      const key = `${row.tenant_id}\u0000${row.provider}`;
      let client = clients.get(key);
      if (!client) {
        client = findClientSettings(this.secrets, row.tenant_id, provider, this.options.globalTenant);
        client.catch(() => clients.delete(key));
        clients.set(key, client);
      }
      const next = await this.requestNewTokens(row, provider, JSON.parse(row.config) as Record<string, string>, current, await client);
      return { row, started, provider, current, leaseOwner, fromVersion, next };
    } catch (err) {
      return { row, started, provider, current, leaseOwner, fromVersion, failure: failureOf(err) };
    }
  }

  /** Commits finished refreshes in one transaction; if that fails, one at a time. */
  private async commitFinished(batch: Finished[], outcome: RefreshOutcome): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.store.writeTransaction(async (trx) => {
        // A single refresh (also the retry of a batch that failed) takes the plain path.
        if (batch.length === 1) return this.commitOne(trx, batch[0]!);
        await this.markSuperseded(trx, batch);
        const refreshed = batch.filter((f) => f.next && !f.superseded);
        // The new token sets, then the connections, each in a few statements for the whole batch.
        await this.secrets.putManyWithin(trx, refreshed.map((f) => ({ tenant: f.row.tenant_id, name: f.row.secret_name, value: tokenSetValue(f.next!), type: 'oauth2' as const })));
        const now = Date.now();
        for (let i = 0; i < refreshed.length; i += 200) {
          const part = refreshed.slice(i, i + 200);
          await sql`with v(id, expires_at, kept_until) as (values ${sql.join(
            part.map((f) => sql`(${f.row.id}, cast(${f.next!.expires_at ?? null} as bigint), cast(${this.keptUntil(f)} as bigint))`),
          )}) update connections set status = 'active', last_error = null, expires_at = v.expires_at, last_refreshed_at = ${now}, updated_at = ${now}, refresh_failures = 0, next_refresh_attempt_at = v.kept_until, refresh_lease_until = null, refresh_lease_owner = null from v where connections.id = v.id`.execute(trx);
        }
        for (const f of batch) if (!f.next && !f.superseded) await this.writeFinished(trx, f);
        await this.auditLog.appendManyWithin(trx, batch.map((f) => this.refreshEvent(f)));
      });
      for (const f of batch) f.next && !f.superseded ? (outcome.refreshed += 1) : (outcome.failed += 1);
    } catch {
      if (batch.length === 1) {
        outcome.failed += 1;
        return;
      }
      for (const f of batch) {
        f.superseded = false;
        await this.commitFinished([f], outcome);
      }
    }
  }

  /**
   * A result is committed while its lease is held. A lease can lapse during a slow provider call
   * and be taken by another process; the result is then still committed if the token set it was
   * refreshed from is still the current version (a rotated refresh token is never lost), and
   * marked superseded otherwise (another writer stored a newer set; that one stays).
   */
  private async markSuperseded(trx: Kysely<Database>, batch: Finished[]): Promise<void> {
    if (batch.length === 0) return;
    const ids = batch.map((f) => f.row.id);
    let leases = trx.selectFrom('connections').select(['id', 'refresh_lease_owner']).where('id', 'in', ids);
    if (this.store.dialect === 'postgres') leases = leases.forUpdate();
    const owners = new Map((await leases.execute()).map((r) => [r.id, r.refresh_lease_owner]));
    const lost = batch.filter((f) => owners.get(f.row.id) !== f.leaseOwner);
    if (lost.length === 0) return;
    let versions = trx
      .selectFrom('secrets')
      .select(['tenant_id', 'name', 'latest_version'])
      .where((eb) => eb.or(lost.map((f) => eb.and([eb('tenant_id', '=', f.row.tenant_id), eb('name', '=', f.row.secret_name)]))));
    if (this.store.dialect === 'postgres') versions = versions.forUpdate();
    const latest = new Map((await versions.execute()).map((r) => [`${r.tenant_id}\u0000${r.name}`, r.latest_version]));
    for (const f of lost) f.superseded = !owners.has(f.row.id) || latest.get(`${f.row.tenant_id}\u0000${f.row.secret_name}`) !== f.fromVersion;
  }

  /** One finished refresh (or failure) and its audit event, in the caller's transaction. */
  private async commitOne(trx: Kysely<Database>, f: Finished, who: Actor = REFRESH_JOB): Promise<void> {
    await this.markSuperseded(trx, [f]);
    if (!f.superseded) await this.writeFinished(trx, f);
    await this.auditLog.appendWithin(trx, this.refreshEvent(f, who));
  }

  private async writeFinished(trx: Kysely<Database>, f: Finished): Promise<void> {
    const now = Date.now();
    if (f.next) {
      await this.secrets.putWithin(trx, f.row.tenant_id, f.row.secret_name, tokenSetValue(f.next), { type: 'oauth2' });
      await trx
        .updateTable('connections')
        .set({ status: 'active', last_error: null, expires_at: f.next.expires_at ?? null, last_refreshed_at: now, updated_at: now, refresh_failures: 0, next_refresh_attempt_at: this.keptUntil(f), refresh_lease_until: null, refresh_lease_owner: null })
        .where('id', '=', f.row.id)
        .execute();
      return;
    }
    const failure = f.failure!;
    const status = statusAfter(f);
    await trx
      .updateTable('connections')
      .set({
        status,
        last_error: `refresh failed: ${failure.message}`,
        updated_at: now,
        refresh_failures: f.row.refresh_failures + 1,
        next_refresh_attempt_at: failure.invalidGrant || failure.expired ? null : f.started + this.backoffMs(f.row.refresh_failures),
        refresh_lease_until: null,
        refresh_lease_owner: null,
      })
      .where('id', '=', f.row.id)
      .execute();
  }

  /** The back-off after a failed attempt that follows `failuresBefore` failures in a row. */
  private backoffMs(failuresBefore: number): number {
    return Math.max(this.minAttemptIntervalMs, Math.min(3_600_000, this.minAttemptIntervalMs * 2 ** failuresBefore));
  }

  private refreshEvent(f: Finished, who: Actor = REFRESH_JOB): AuditEventInput {
    const base = { actor: who.actor, ip: who.ip ?? null, requestId: who.requestId ?? null, action: 'connection.refresh' as const, tenant: f.row.tenant_id, target: f.row.id };
    if (f.superseded) return { ...base, outcome: 'failure', code: 'superseded', details: { provider: f.row.provider, status: f.row.status } };
    if (f.next) return { ...base, outcome: 'success', details: { provider: f.row.provider, rotated: f.next.refresh_token !== undefined && f.next.refresh_token !== f.current?.refresh_token } };
    return { ...base, outcome: 'failure', code: f.failure!.invalidGrant ? 'invalid_grant' : f.failure!.code, details: { provider: f.row.provider, status: statusAfter(f) } };
  }
}

/** Connections leased per claim statement in the proactive pass. */
const CLAIM_CHUNK = 500;
/** Batch transactions that may run at once on PostgreSQL. */
const PG_PARALLEL_COMMITS = 4;
/** Finished refreshes committed per transaction in the proactive pass. */
const COMMIT_BATCH = 200;

interface Finished {
  row: ConnectionsTable;
  started: number;
  /** The lease owner tag this attempt claimed with. */
  leaseOwner: string;
  /** The secret version the current token set was read from (-1 when it could not be read). */
  fromVersion: number;
  /** Set at commit: the lease was lost and a newer token set was stored meanwhile; nothing is written. */
  superseded?: boolean;
  provider?: ProviderDefinition;
  current?: TokenSet;
  next?: TokenSet;
  failure?: { code: string; message: string; invalidGrant: boolean; expired: boolean };
}

type Failure = NonNullable<Finished['failure']>;

/**
 * What changes each time an attempt on a connection finishes: a success sets
 * `last_refreshed_at`, a failure counts one more in `refresh_failures`.
 */
type AttemptMark = Pick<ConnectionsTable, 'last_refreshed_at' | 'refresh_failures'>;

function attemptMark(row: ConnectionsTable): AttemptMark {
  return { last_refreshed_at: row.last_refreshed_at, refresh_failures: row.refresh_failures };
}

function sameAttemptMark(a: AttemptMark, b: AttemptMark): boolean {
  return a.last_refreshed_at === b.last_refreshed_at && a.refresh_failures === b.refresh_failures;
}

/**
 * Not backing off: no failure in a row (a `next_refresh_attempt_at` left by a success, from an
 * older version, holds nothing back), or its back-off is over.
 */
function notBackingOff(eb: ExpressionBuilder<Database, 'connections'>, now: number) {
  return eb.or([eb('refresh_failures', '=', 0), eb('next_refresh_attempt_at', 'is', null), eb('next_refresh_attempt_at', '<=', now)]);
}

/** The last failure in words stored with the connection (never a token). */
function lastFailure(row: ConnectionsTable): string {
  return (row.last_error ?? 'no reason recorded').replace(/^refresh failed: /, '');
}

function plural(n: number, what: string): string {
  return n === 1 ? what : `${n} ${what}s`;
}

/** A failed attempt in words safe to store: a token the provider no longer accepts is `expired`. */
function failureOf(err: unknown): Failure {
  if (err instanceof CofferError && err.code === 'CONNECTION_UNUSABLE') return { code: 'expired', message: err.message, invalidGrant: false, expired: true };
  // Coffer's own refusals (a host or origin not allowed, a missing client) say what to fix; their
  // messages never carry a token.
  if (err instanceof CofferError) return { code: err.code.toLowerCase(), message: err.message, invalidGrant: false, expired: false };
  return { ...describeOAuthError(err), expired: false };
}

/** The connection's status after a failed attempt. */
function statusAfter(f: Finished): 'refresh_failed' | 'expired' | 'error' | 'active' {
  const failure = f.failure!;
  return failure.invalidGrant ? 'refresh_failed' : failure.expired ? 'expired' : f.row.status === 'error' ? 'error' : 'active';
}
