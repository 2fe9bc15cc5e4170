/**
 * Secrets and their versions. Every write seals the value under a fresh data key, wraps that
 * key under the tenant's newest key, and stores both in one transaction. Every read is scoped
 * by tenant in the query itself.
 *
 * Plaintext buffers live no longer than their use: a data key is zeroed as soon as it has
 * wrapped or unwrapped its value, and so are the encoded value and its mask, on every path,
 * failures included (finally blocks). Strings handed to callers cannot be zeroed and are not
 * pretended to be. The tenant keys belong to the keyring, which zeroes its own.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { CofferError, isCofferError } from '../errors.js';
import { open } from '../crypto/envelope.js';
import { formatTenantKeyId, type Keyring } from '../keys/keyring.js';
import type { Store } from '../store/database.js';
import type { Database, SecretsTable, SecretVersionsTable, VersionState } from '../store/schema.js';
import type { MaskedValue } from './masking.js';
import { checkSecretName, checkTenantId, checkValueShape, checkVersion, DEFAULT_MAX_VERSIONS, type Metadata, type SecretType, type SecretValue } from './values.js';
import { readVersionRow, type VersionRow } from './secret-reads.js';
import { auditedChange, auditedRead, LIBRARY_ACTOR, type Actor, type ChangeAudit } from '../audit/audited.js';
import type { AuditAction } from '../audit/audit-actions.js';
import type { AuditLog } from '../audit/audit-log.js';
import { ctx, openValue, prepareWrite, sealVersion, wipe, type PreparedWrite } from './secret-sealing.js';
import type { ListOptions, PutOptions, PutResult, RevealedSecret, SecretInfo, SecretPage, SecretVersionInfo, VersionSelector } from './secret-types.js';

export type { ListOptions, PutOptions, PutResult, RevealedSecret, SecretInfo, SecretPage, SecretVersionInfo, VersionSelector } from './secret-types.js';

type WrappedVersion = { version: number; key_version: number | null; wrapped_dek: Buffer | null };

export class Secrets {
  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly auditLog: AuditLog,
  ) {}

  /**
   * Writes a new version; audited as `secret.write` (with the new version) in the write's own
   * transaction, together with a `secret.version.destroy` for each version it destroyed.
   */
  async put(tenant: string, name: string, value: SecretValue, options: PutOptions = {}): Promise<PutResult> {
    // Malformed ids are refused before anything is recorded: caller text that is not an id may be
    // a pasted secret, and it must not reach the audit log.
    checkTenantId(tenant);
    checkSecretName(name);
    return auditedChange(this.auditLog, options.as, { action: 'secret.write', tenant, target: name }, async (audit) => {
      // Validate and encode before the transaction: a bad value must not take the write lock.
      const write = prepareWrite(tenant, name, value, options);
      try {
        return await this.store.writeTransaction((trx) => this.writePrepared(trx, write, audit));
      } finally {
        wipe(write);
      }
    });
  }

  /**
   * Writes a new version inside the caller's write transaction, so the secret commits or rolls
   * back with the caller's other changes (a connection and its credentials, for one). The
   * caller's operation audits it.
   */
  async putWithin(trx: Kysely<Database>, tenant: string, name: string, value: SecretValue, options: Omit<PutOptions, 'as'> = {}): Promise<PutResult> {
    const write = prepareWrite(tenant, name, value, options);
    try {
      return await this.writePrepared(trx, write);
    } finally {
      wipe(write);
    }
  }

  /**
   * New versions of many existing secrets in the caller's transaction, in a few statements for
   * them all: one lock read, one insert, one update per kept-versions value (the proactive token
   * refresh writes hundreds of token sets this way). Every secret must exist; the crypto is
   * exactly {@link putWithin}'s. Versions beyond each secret's kept number are pruned.
   */
  async putManyWithin(trx: Kysely<Database>, items: readonly { tenant: string; name: string; value: SecretValue; type?: SecretType }[]): Promise<PutResult[]> {
    if (items.length === 0) return [];
    const writes: PreparedWrite[] = [];
    try {
      // Inside the try: a refused item must not leave the encodings of those before it unwiped.
      for (const i of items) writes.push(prepareWrite(i.tenant, i.name, i.value, i.type ? { type: i.type } : {}));
      // One lock read for all (rows of other tenants cannot match: both columns are compared).
      let q = trx.selectFrom('secrets').selectAll().where((eb) => eb.or(writes.map((w) => eb.and([eb('tenant_id', '=', w.tenant), eb('name', '=', w.name)]))));
      if (this.store.dialect === 'postgres') q = q.forUpdate();
      const found = await q.execute();
      const byKey = new Map(found.map((r) => [`${r.tenant_id}\u0000${r.name}`, r]));
      const byId = new Map(found.map((r) => [r.id, r]));
      const tenantKeys = new Map<string, { version: number; key: Buffer }>();
      const now = Date.now();
      const rows: SecretVersionsTable[] = [];
      const next = new Map<string, number>();
      for (const w of writes) {
        const secret = byKey.get(`${w.tenant}\u0000${w.name}`);
        if (!secret) throw new CofferError('SECRET_NOT_FOUND', `Secret "${w.name}" does not exist in tenant "${w.tenant}".`);
        if (w.type === undefined) checkValueShape(w.value, secret.type as SecretType);
        let tenantKey = tenantKeys.get(w.tenant);
        if (!tenantKey) tenantKeys.set(w.tenant, (tenantKey = await this.keyring.newestTenantKey(trx, w.tenant)));
        const version = (next.get(secret.id) ?? secret.latest_version) + 1;
        next.set(secret.id, version);
        rows.push(sealVersion(tenantKey, w, secret.id, version, now));
      }
      for (let i = 0; i < rows.length; i += 100) await trx.insertInto('secret_versions').values(rows.slice(i, i + 100)).execute();
      // Every secret's new latest version in one statement (a VALUES list joined on the id).
      const latest = [...next];
      for (let i = 0; i < latest.length; i += 200) {
        const part = latest.slice(i, i + 200);
        await sql`with v(id, version) as (values ${sql.join(part.map(([id, version]) => sql`(${id}, cast(${version} as integer))`))}) update secrets set latest_version = v.version, updated_at = ${now} from v where secrets.id = v.id`.execute(trx);
      }
      const destroyed = new Map<string, number[]>();
      for (const [id, version] of latest) {
        const secret = byId.get(id)!;
        if (version > secret.max_versions) destroyed.set(id, await this.prune(trx, id, secret.max_versions));
      }
      // A secret written twice in one batch: its destroyed versions go with its last write.
      return writes.map((w, i) => {
        const row = rows[i]!;
        const last = next.get(row.secret_id) === row.version;
        const gone = last ? destroyed.get(row.secret_id) : undefined;
        return { name: w.name, version: row.version, createdAt: new Date(now), ...(gone?.length ? { destroyedVersions: gone } : {}) };
      });
    } finally {
      for (const w of writes) wipe(w);
    }
  }

  /** Writes a prepared version; `audit` is absent for writes the caller's operation audits (putWithin). */
  private async writePrepared(trx: Kysely<Database>, write: PreparedWrite, audit?: ChangeAudit): Promise<PutResult> {
    const { tenant, name, value, type, metadata, cas, maxVersions } = write;
    const tenantKey = await this.keyring.newestTenantKey(trx, tenant);
    let secret = await this.lockSecret(trx, tenant, name);
    if (secret && type === undefined) checkValueShape(value, secret.type as SecretType);
    const now = Date.now();
    if (!secret) {
      if (cas !== undefined && cas !== 0) {
        throw new CofferError('CAS_MISMATCH', `Secret "${name}" does not exist, so cas=${cas} cannot match; use cas=0 to create it.`, { expected: cas, current: 0 });
      }
      await trx
        .insertInto('secrets')
        .values({
          id: randomUUID(),
          tenant_id: tenant,
          name,
          type: type ?? 'generic',
          metadata: metadata ?? '{}',
          max_versions: maxVersions ?? DEFAULT_MAX_VERSIONS,
          latest_version: 0,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing())
        .execute();
      secret = await this.lockSecret(trx, tenant, name);
      if (!secret) throw new CofferError('INTERNAL', 'The secret row vanished inside its own transaction.');
      if (secret.latest_version !== 0 && cas === 0) throw this.casMismatch(name, 0, secret.latest_version);
    } else if (cas !== undefined && cas !== secret.latest_version) {
      throw this.casMismatch(name, cas, secret.latest_version);
    }

    const version = secret.latest_version + 1;
    const row = sealVersion(tenantKey, write, secret.id, version, now);
    await trx.insertInto('secret_versions').values(row).execute();
    const keep = maxVersions ?? secret.max_versions;
    await trx
      .updateTable('secrets')
      .set({
        latest_version: version,
        updated_at: now,
        max_versions: keep,
        ...(type !== undefined ? { type } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      })
      .where('id', '=', secret.id)
      .execute();
    // Versions beyond the kept number exist only once the secret has had more than that.
    const destroyedVersions = version > keep ? await this.prune(trx, secret.id, keep) : [];
    const result: PutResult = { name, version, createdAt: new Date(now), ...(destroyedVersions.length > 0 ? { destroyedVersions } : {}) };
    if (audit) {
      // Destroying a version cannot be undone, so each gets an event of its own, by the same
      // caller and in the same transaction as the write that caused it.
      await audit.manyWithin(trx, [
        { facts: { details: { version } } },
        ...destroyedVersions.map((v) => ({ subject: { action: 'secret.version.destroy' as const, details: { version: v, reason: 'max_versions', maxVersions: keep } } })),
      ]);
    }
    return result;
  }

  private casMismatch(name: string, expected: number, current: number): CofferError {
    return new CofferError(
      'CAS_MISMATCH',
      expected === 0
        ? `Secret "${name}" already exists (version ${current}); cas=0 only creates. Read it and pass cas=${current} to replace it.`
        : `Secret "${name}" is at version ${current}, not ${expected}. Read it again and retry with cas=${current}.`,
      { expected, current },
    );
  }

  /** The secret row, locked for the rest of the transaction on PostgreSQL (SQLite holds the whole write lock). */
  /**
   * Removes a secret and every version inside the caller's transaction: ciphertext and wrapped
   * keys are overwritten, then the rows deleted. For secrets a connection owns. False if absent.
   */
  async eraseWithin(trx: Kysely<Database>, tenant: string, name: string): Promise<boolean> {
    const secret = await this.lockSecret(trx, tenant, name);
    if (!secret) return false;
    await trx
      .updateTable('secret_versions')
      .set({ state: 'destroyed', destroyed_at: Date.now(), ciphertext: null, wrapped_dek: null, masked: null, key_version: null })
      .where('secret_id', '=', secret.id)
      .execute();
    await trx.deleteFrom('secret_versions').where('secret_id', '=', secret.id).execute();
    await trx.deleteFrom('secrets').where('id', '=', secret.id).execute();
    return true;
  }

  private async lockSecret(trx: Kysely<Database>, tenant: string, name: string): Promise<SecretsTable | undefined> {
    let q = trx.selectFrom('secrets').selectAll().where('tenant_id', '=', tenant).where('name', '=', name);
    if (this.store.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /**
   * Keeps the newest `keep` versions; older rows are deleted, which wipes their ciphertext.
   * Returns the versions this destroyed, oldest first: those that still held a value (active
   * or deleted); a row destroyed earlier held none and was audited then.
   */
  private async prune(trx: Kysely<Database>, secretId: string, keep: number): Promise<number[]> {
    const cutoff = await trx
      .selectFrom('secret_versions')
      .select('version')
      .where('secret_id', '=', secretId)
      .orderBy('version', 'desc')
      .offset(keep)
      .limit(1)
      .executeTakeFirst();
    if (!cutoff) return [];
    const removed = await trx.deleteFrom('secret_versions').where('secret_id', '=', secretId).where('version', '<=', cutoff.version).returning(['version', 'state']).execute();
    return removed
      .filter((r) => r.state !== 'destroyed')
      .map((r) => r.version)
      .sort((a, b) => a - b);
  }

  /**
   * Decrypts the current version, or `version`, and records `secret.reveal` (durably) before the
   * value is returned: if the event cannot be written, the value is not returned
   * (AUDIT_UNAVAILABLE). `as` says who acts (`coffer.as(actor)` passes it); without it the actor
   * is `library`. A failed attempt (no such secret, a destroyed version) is recorded too.
   */
  async reveal(tenant: string, name: string, options: { version?: number; as?: Actor } = {}): Promise<RevealedSecret> {
    // Malformed ids are refused before anything is recorded: caller text that is not an id may be
    // a pasted secret, and it must not reach the audit log.
    checkTenantId(tenant);
    checkSecretName(name);
    const version = options.version === undefined ? undefined : checkVersion(options.version);
    return auditedRead(
      this.auditLog,
      options.as ?? LIBRARY_ACTOR,
      { action: 'secret.reveal', tenant, target: name, ...(version !== undefined ? { details: { requestedVersion: version } } : {}) },
      () => this.readValue(tenant, name, version === undefined ? {} : { version }),
      (r) => ({ version: r.version }),
    );
  }

  /**
   * Decrypts the current version, or `version`, without an audit event of its own: for core's
   * own reads (a refresh reading its token set, an OAuth client lookup), which the operation's
   * event covers. This is the hot path: one indexed row read, one unwrap with a cached tenant
   * key, one decrypt.
   * @internal
   */
  async readValue(tenant: string, name: string, options: { version?: number } = {}): Promise<RevealedSecret> {
    const version = options.version === undefined ? undefined : checkVersion(options.version);
    let row = readVersionRow(this.store, tenant, name, version);
    if (row instanceof Promise) row = await row;
    // A miss is explained by further queries; if they find that the current version exists
    // after all (a write committed between the queries), read again instead of misreporting.
    for (let attempt = 0; !row; attempt++) {
      await this.notFound(tenant, name, version, this.store.db, attempt < 3);
      row = await readVersionRow(this.store, tenant, name, version);
    }
    return this.openRow(tenant, name, row);
  }

  /**
   * @internal Decrypts a version row read by a caller's own query (the credentials read joins
   * the connection and its secret's current version in one statement). Checks it as readValue does.
   */
  async openRow(tenant: string, name: string, row: VersionRow): Promise<RevealedSecret> {
    this.checkReadable(name, row);
    const tenantKey = this.keyring.cachedTenantKey(tenant, row.key_version!);
    const dek = tenantKey
      ? this.unwrapDataKeyWith(tenantKey, tenant, row.secret_id, row) ?? (await this.unwrapDataKey(tenant, row.secret_id, row, true))
      : await this.unwrapDataKey(tenant, row.secret_id, row, false);
    try {
      return { name, type: row.type as SecretType, version: row.version, value: openValue(dek, row.ciphertext!, ctx('value', tenant, row.secret_id, row.version)) };
    } finally {
      dek.fill(0);
    }
  }

  /**
   * The current values of many secrets in one query (the proactive token refresh reads a chunk
   * of token sets this way). Secrets that are missing or not readable are left out of the map;
   * the caller decides what that means. Keyed by `tenant NUL name`.
   */
  async revealMany(pairs: readonly { tenant: string; name: string }[]): Promise<Map<string, RevealedSecret>> {
    const out = new Map<string, RevealedSecret>();
    for (let i = 0; i < pairs.length; i += 200) {
      const part = pairs.slice(i, i + 200);
      for (const p of part) {
        checkTenantId(p.tenant);
        checkSecretName(p.name);
      }
      const rows = await this.store.db
        .selectFrom('secrets as s')
        .innerJoin('secret_versions as v', (j) => j.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.latest_version'))
        .select(['s.tenant_id as tenant_id', 's.name as name', 's.id as secret_id', 's.type as type', 'v.version as version', 'v.state as state', 'v.key_version as key_version', 'v.wrapped_dek as wrapped_dek', 'v.ciphertext as ciphertext'])
        .where((eb) => eb.or(part.map((p) => eb.and([eb('s.tenant_id', '=', p.tenant), eb('s.name', '=', p.name)]))))
        .execute();
      for (const row of rows) {
        if (row.state !== 'active' || row.key_version === null || !row.wrapped_dek || !row.ciphertext) continue;
        const cached = this.keyring.cachedTenantKey(row.tenant_id, row.key_version);
        const dek = (cached && this.unwrapDataKeyWith(cached, row.tenant_id, row.secret_id, row)) ?? (await this.unwrapDataKey(row.tenant_id, row.secret_id, row, cached !== undefined));
        try {
          out.set(`${row.tenant_id}\u0000${row.name}`, { name: row.name, type: row.type as SecretType, version: row.version, value: openValue(dek, row.ciphertext, ctx('value', row.tenant_id, row.secret_id, row.version)) });
        } finally {
          dek.fill(0);
        }
      }
    }
    return out;
  }

  private checkReadable(name: string, row: Pick<VersionRow, 'state' | 'version'>): void {
    if (row.state === 'deleted') {
      throw new CofferError('SECRET_VERSION_DELETED', `Version ${row.version} of "${name}" is deleted; undelete it or read another version.`, { version: row.version });
    }
    if (row.state === 'destroyed') {
      throw new CofferError('SECRET_VERSION_DESTROYED', `Version ${row.version} of "${name}" was destroyed and cannot be read.`, { version: row.version });
    }
  }

  /**
   * Works out which of tenant, secret or version is missing, off the hot path, and throws it.
   * With `mayRetry`, returns instead when the current version was asked for and the secret
   * has one now: the caller's read raced a commit.
   */
  private async notFound(tenant: string, name: string, version?: number, db?: Kysely<Database>, mayRetry?: false): Promise<never>;
  private async notFound(tenant: string, name: string, version: number | undefined, db: Kysely<Database>, mayRetry: boolean): Promise<void>;
  private async notFound(tenant: string, name: string, version?: number, db: Kysely<Database> = this.store.db, mayRetry = false): Promise<void> {
    checkTenantId(tenant);
    checkSecretName(name);
    // Inside a write transaction this must use the transaction: on SQLite it holds the only connection.
    const t = await db.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
    if (!t) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
    const s = await db.selectFrom('secrets').select('latest_version').where('tenant_id', '=', tenant).where('name', '=', name).executeTakeFirst();
    if (!s || s.latest_version === 0) throw new CofferError('SECRET_NOT_FOUND', `Secret "${name}" does not exist in tenant "${tenant}".`);
    if (mayRetry && version === undefined) return;
    throw new CofferError('SECRET_VERSION_NOT_FOUND', `Secret "${name}" has no version ${version ?? s.latest_version} (current is ${s.latest_version}; old versions beyond the kept maximum are destroyed).`);
  }

  private async ensureTenant(tenant: string): Promise<void> {
    checkTenantId(tenant);
    const t = await this.store.db.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
    if (!t) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
  }

  /** Unwraps with a cached tenant key; undefined if that key no longer fits (the tenant was replaced elsewhere). */
  private unwrapDataKeyWith(tenantKey: Buffer, tenant: string, secretId: string, v: WrappedVersion): Buffer | undefined {
    try {
      return open(tenantKey, v.wrapped_dek!, ctx('data-key', tenant, secretId, v.version));
    } catch (err) {
      if (isCofferError(err, 'DECRYPTION_FAILED')) return undefined;
      throw err;
    }
  }

  /** Unwraps a version's data key, loading the tenant key from the database (again, when `reload`). */
  private async unwrapDataKey(tenant: string, secretId: string, v: WrappedVersion, reload: boolean, db?: Kysely<Database>): Promise<Buffer> {
    const tenantKey = await this.keyring.tenantKey(tenant, v.key_version!, { reload, ...(db ? { db } : {}) });
    return open(tenantKey, v.wrapped_dek!, ctx('data-key', tenant, secretId, v.version));
  }

  private async unmask(tenant: string, secretId: string, v: Pick<SecretVersionsTable, 'version' | 'key_version' | 'wrapped_dek' | 'masked'>, db?: Kysely<Database>): Promise<MaskedValue | null> {
    if (v.key_version === null || !v.wrapped_dek || !v.masked) return null;
    const cached = this.keyring.cachedTenantKey(tenant, v.key_version);
    const dek = (cached && this.unwrapDataKeyWith(cached, tenant, secretId, v)) ?? (await this.unwrapDataKey(tenant, secretId, v, cached !== undefined, db));
    try {
      // The mask is shown to readers, yet it holds a few characters of the value: wiped too.
      const mask = open(dek, v.masked, ctx('mask', tenant, secretId, v.version));
      try {
        return JSON.parse(mask.toString('utf8')) as MaskedValue;
      } finally {
        mask.fill(0);
      }
    } finally {
      dek.fill(0);
    }
  }

  private async describe(tenant: string, s: SecretsTable, current: Pick<SecretVersionsTable, 'version' | 'state' | 'key_version' | 'wrapped_dek' | 'masked'> | undefined): Promise<SecretInfo> {
    return {
      name: s.name,
      type: s.type as SecretType,
      metadata: JSON.parse(s.metadata) as Metadata,
      currentVersion: s.latest_version,
      state: current?.state ?? 'destroyed',
      maxVersions: s.max_versions,
      createdAt: new Date(s.created_at),
      updatedAt: new Date(s.updated_at),
      masked: current && current.state !== 'destroyed' ? await this.unmask(tenant, s.id, current) : null,
    };
  }

  /**
   * The masked current value of a secret, or null when it is gone or destroyed; on `db`, which
   * may be the caller's transaction (on SQLite it holds the only write connection).
   */
  async maskedWithin(db: Kysely<Database>, tenant: string, name: string): Promise<MaskedValue | null> {
    const s = await db.selectFrom('secrets').select(['id', 'latest_version']).where('tenant_id', '=', tenant).where('name', '=', name).executeTakeFirst();
    if (!s || s.latest_version === 0) return null;
    const current = await db
      .selectFrom('secret_versions')
      .select(['version', 'state', 'key_version', 'wrapped_dek', 'masked'])
      .where('secret_id', '=', s.id)
      .where('version', '=', s.latest_version)
      .executeTakeFirst();
    return current && current.state === 'active' ? this.unmask(tenant, s.id, current, db) : null;
  }

  /** Metadata and the masked current value. */
  async get(tenant: string, name: string): Promise<SecretInfo> {
    checkTenantId(tenant);
    checkSecretName(name);
    const s = await this.store.db.selectFrom('secrets').selectAll().where('tenant_id', '=', tenant).where('name', '=', name).executeTakeFirst();
    if (!s || s.latest_version === 0) return this.notFound(tenant, name);
    const current = await this.store.db
      .selectFrom('secret_versions')
      .select(['version', 'state', 'key_version', 'wrapped_dek', 'masked'])
      .where('secret_id', '=', s.id)
      .where('version', '=', s.latest_version)
      .executeTakeFirst();
    return this.describe(tenant, s, current);
  }

  /** Secrets of a tenant by name, masked, a page at a time. */
  async list(tenant: string, options: ListOptions = {}): Promise<SecretPage> {
    await this.ensureTenant(tenant);
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CofferError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 1000.');
    let q = this.store.db
      .selectFrom('secrets as s')
      .leftJoin('secret_versions as v', (j) => j.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.latest_version'))
      .selectAll('s')
      .select(['v.version', 'v.state', 'v.key_version', 'v.wrapped_dek', 'v.masked'])
      .where('s.tenant_id', '=', tenant)
      .where('s.latest_version', '>', 0)
      .orderBy('s.name')
      .limit(limit + 1);
    if (options.after !== undefined) q = q.where('s.name', '>', options.after);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const items = await Promise.all(
      page.map((r) => this.describe(tenant, r, r.version === null ? undefined : (r as Pick<SecretVersionsTable, 'version' | 'state' | 'key_version' | 'wrapped_dek' | 'masked'>))),
    );
    return { items, nextCursor: rows.length > limit ? page[page.length - 1]!.name : null };
  }

  /** Every kept version, newest first. */
  async versions(tenant: string, name: string): Promise<SecretVersionInfo[]> {
    const s = await this.secretRow(tenant, name);
    const rows = await this.store.db.selectFrom('secret_versions').selectAll().where('secret_id', '=', s.id).where('tenant_id', '=', tenant).orderBy('version', 'desc').execute();
    return Promise.all(
      rows.map(async (v) => ({
        version: v.version,
        state: v.state,
        keyId: v.key_version === null ? null : formatTenantKeyId(tenant, v.key_version),
        createdAt: new Date(v.created_at),
        deletedAt: v.deleted_at === null ? null : new Date(v.deleted_at),
        destroyedAt: v.destroyed_at === null ? null : new Date(v.destroyed_at),
        masked: v.state === 'destroyed' ? null : await this.unmask(tenant, s.id, v),
      })),
    );
  }

  private async secretRow(tenant: string, name: string, db: Kysely<Database> = this.store.db): Promise<SecretsTable> {
    checkTenantId(tenant);
    checkSecretName(name);
    const s = await db.selectFrom('secrets').selectAll().where('tenant_id', '=', tenant).where('name', '=', name).executeTakeFirst();
    if (!s || s.latest_version === 0) return this.notFound(tenant, name, undefined, db);
    return s;
  }

  /**
   * Applies a state change to the selected versions (all when none are named) and returns the
   * versions it changed. Versions already in the target state are left as they are. Audited as
   * `action` with the versions changed, in the change's transaction.
   */
  private async changeVersions(
    action: Extract<AuditAction, 'secret.delete' | 'secret.undelete' | 'secret.destroy'>,
    tenant: string,
    name: string,
    selector: VersionSelector,
    apply: (trx: Kysely<Database>, secretId: string, versions: number[]) => Promise<void>,
    eligible: (state: VersionState, version: number) => boolean,
  ): Promise<number[]> {
    // Malformed ids are refused before anything is recorded (see put).
    checkTenantId(tenant);
    checkSecretName(name);
    return auditedChange(this.auditLog, selector.as, { action, tenant, target: name }, (audit) => this.changeVersionsAudited(tenant, name, selector, apply, eligible, audit));
  }

  private async changeVersionsAudited(
    tenant: string,
    name: string,
    selector: VersionSelector,
    apply: (trx: Kysely<Database>, secretId: string, versions: number[]) => Promise<void>,
    eligible: (state: VersionState, version: number) => boolean,
    audit: ChangeAudit,
  ): Promise<number[]> {
    const wanted = selector.versions?.map((v) => checkVersion(v));
    return this.store.writeTransaction(async (trx) => {
      const s = await this.secretRow(tenant, name, trx);
      const rows = await trx.selectFrom('secret_versions').select(['version', 'state']).where('secret_id', '=', s.id).execute();
      const byVersion = new Map(rows.map((r) => [r.version, r.state]));
      for (const v of wanted ?? []) {
        if (!byVersion.has(v)) throw new CofferError('SECRET_VERSION_NOT_FOUND', `Secret "${name}" has no version ${v}.`, { version: v });
      }
      const targets = (wanted ?? [...byVersion.keys()]).filter((v) => eligible(byVersion.get(v)!, v)).sort((a, b) => a - b);
      if (targets.length > 0) await apply(trx, s.id, targets);
      await audit.within(trx, { details: { versions: targets.join(',') } });
      return targets;
    });
  }

  /** Soft-deletes versions: unreadable until undeleted. Audited as `secret.delete`. */
  async delete(tenant: string, name: string, selector: VersionSelector = {}): Promise<number[]> {
    return this.changeVersions(
      'secret.delete',
      tenant,
      name,
      selector,
      async (trx, id, versions) => {
        await trx.updateTable('secret_versions').set({ state: 'deleted', deleted_at: Date.now() }).where('secret_id', '=', id).where('version', 'in', versions).execute();
      },
      (state, v) => {
        if (state === 'destroyed' && selector.versions) throw new CofferError('SECRET_VERSION_DESTROYED', `Version ${v} of "${name}" was destroyed.`, { version: v });
        return state === 'active';
      },
    );
  }

  /** Restores soft-deleted versions. Audited as `secret.undelete`. */
  async undelete(tenant: string, name: string, selector: VersionSelector = {}): Promise<number[]> {
    return this.changeVersions(
      'secret.undelete',
      tenant,
      name,
      selector,
      async (trx, id, versions) => {
        await trx.updateTable('secret_versions').set({ state: 'active', deleted_at: null }).where('secret_id', '=', id).where('version', 'in', versions).execute();
      },
      (state, v) => {
        if (state === 'destroyed' && selector.versions) throw new CofferError('SECRET_VERSION_DESTROYED', `Version ${v} of "${name}" was destroyed and cannot be undeleted.`, { version: v });
        return state === 'deleted';
      },
    );
  }

  /** Wipes the ciphertext and wrapped data key of versions for good. Audited as `secret.destroy`. */
  async destroy(tenant: string, name: string, selector: VersionSelector = {}): Promise<number[]> {
    const destroyed = await this.changeVersions(
      'secret.destroy',
      tenant,
      name,
      selector,
      async (trx, id, versions) => {
        await trx
          .updateTable('secret_versions')
          .set({ state: 'destroyed', destroyed_at: Date.now(), ciphertext: null, wrapped_dek: null, masked: null, key_version: null })
          .where('secret_id', '=', id)
          .where('version', 'in', versions)
          .execute();
      },
      (state) => state !== 'destroyed',
    );
    if (destroyed.length > 0) purgeFreedPages(this.store);
    return destroyed;
  }
}

/**
 * SQLite keeps old page images in the WAL until a checkpoint; secure_delete zeroes freed space
 * in the main file. Checkpointing right away shortens the time a wiped value lingers on disk.
 */
export function purgeFreedPages(store: Store): void {
  try {
    store.sqlite?.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Best effort: a busy reader delays the checkpoint, and the next one completes it.
  }
}
