/**
 * The keyring holds the root keys this process was given and the tenant keys it has unwrapped.
 *
 * At start-up it checks the root key against the key check values in the database before
 * anything else is read or written. Tenant keys are unwrapped on first use and kept in memory
 * (zeroed on close); the database always decides which tenant key version is newest, so a
 * rotation by another process is honoured by the next write here.
 */
import type { Kysely } from 'kysely';
import { CofferError } from '../errors.js';
import { open, readKeyId, seal } from '../crypto/envelope.js';
import { generateKey, matchesKeyCheckValue, keyCheckValue, rootKeyId } from '../crypto/key-check.js';
import type { Database, RootKeysTable } from '../store/schema.js';
import type { Store } from '../store/database.js';
import type { RootKeyMaterial, RootKeyProvider } from './root-key-provider.js';

export interface KeyringOptions {
  /** Register the supplied root key when the database has none yet (first run). */
  readonly createIfMissing: boolean;
  /** Accept an unregistered current key when a supplied previous key is the database's current: a root rotation. */
  readonly allowRootRotation?: boolean;
}

export function formatRootKeyId(id: number): string {
  return `root/${id.toString(16).padStart(8, '0')}`;
}

export function formatTenantKeyId(tenant: string, version: number): string {
  return `${tenant}/v${version}`;
}

export type ParsedKeyId = { kind: 'root'; id: number } | { kind: 'tenant'; tenant: string; version: number };

export function parseKeyId(text: string): ParsedKeyId {
  const root = /^root\/([0-9a-f]{8})$/.exec(text);
  if (root) return { kind: 'root', id: Number.parseInt(root[1]!, 16) };
  const tenant = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/v([1-9][0-9]{0,9})$/.exec(text);
  if (tenant && Number(tenant[2]) <= 0x7fffffff) return { kind: 'tenant', tenant: tenant[1]!, version: Number(tenant[2]) };
  // The input is not echoed: a root key pasted here by mistake must not end up in a log.
  throw new CofferError('KEY_ID_INVALID', 'That is not a key id: use root/<8 hex digits> or <tenant>/v<N>, as `coffer key status` prints them.');
}

/**
 * A cached tenant key with the wrapped form it came from. Another process may delete a tenant
 * and create one with the same id (same versions, new keys): comparing the wrapped form read
 * in a write transaction with the cached one catches that before a data key is wrapped under
 * a stale key.
 */
interface CachedTenantKey {
  readonly key: Buffer;
  readonly wrapped: Buffer;
}

interface UnwrappedTenantKeys {
  readonly byVersion: Map<number, CachedTenantKey>;
}

export class Keyring {
  private readonly rootKeys = new Map<number, Buffer>();
  private readonly tenantKeys = new Map<string, UnwrappedTenantKeys>();
  private currentRootId = 0;
  /** Set when the supplied current root key is not yet the database's: only a root rotation may proceed. */
  private unregisteredCurrent: Buffer | undefined;
  /** Set when a file rotation committed but its key file was not yet promoted. */
  private pendingPromotion = false;

  private constructor(
    private readonly store: Store,
    private readonly provider: RootKeyProvider,
  ) {}

  static async open(store: Store, provider: RootKeyProvider, options: KeyringOptions): Promise<Keyring> {
    const keyring = new Keyring(store, provider);
    await keyring.verifyRoot(provider.load(), options);
    return keyring;
  }

  get rootKeyId(): number {
    return this.currentRootId;
  }

  /** A file rotation whose database side finished but whose key file still needs promoting. */
  get needsRootPromotion(): boolean {
    return this.pendingPromotion;
  }

  /** The unregistered key an env-provider rotation will adopt; undefined otherwise. */
  get rotationCandidate(): Buffer | undefined {
    return this.unregisteredCurrent;
  }

  private async verifyRoot(material: RootKeyMaterial, options: KeyringOptions): Promise<void> {
    let rows = await this.store.db.selectFrom('root_keys').selectAll().execute();
    if (rows.length === 0) {
      if (!options.createIfMissing) {
        throw new CofferError('NOT_INITIALIZED', `${this.store.description} has no root key registered. Run \`coffer init\` first.`);
      }
      await this.store.db
        .insertInto('root_keys')
        .values({ id: rootKeyId(material.current), kcv: keyCheckValue(material.current), state: 'current', created_at: Date.now(), retired_at: null })
        .onConflict((oc) => oc.doNothing())
        .execute();
      rows = await this.store.db.selectFrom('root_keys').selectAll().execute();
    }
    const rowOf = (key: Buffer): RootKeysTable | undefined => {
      const row = rows.find((r) => r.id === rootKeyId(key));
      return row && matchesKeyCheckValue(key, row.kcv) ? row : undefined;
    };
    const dbCurrent = rows.find((r) => r.state === 'current');
    const dbCurrentName = dbCurrent ? formatRootKeyId(dbCurrent.id) : 'none';
    const current = rowOf(material.current);
    const pending = material.pending ? rowOf(material.pending) : undefined;

    if (material.pending && !pending) this.provider.rotation?.discard();

    if (current?.state === 'current') {
      this.currentRootId = current.id;
    } else if (material.pending && pending?.state === 'current') {
      // A file rotation committed in the database but did not finish: the staged key is
      // current, the old file key is kept for the tenant keys not yet rewrapped.
      this.currentRootId = pending.id;
      this.pendingPromotion = true;
    } else if (current?.state === 'retired') {
      throw new CofferError('ROOT_KEY_RETIRED', `The root key from ${this.provider.description} (${formatRootKeyId(current.id)}) was retired; supply the current root key (${dbCurrentName}).`);
    } else if (!current && options.allowRootRotation && material.previous.some((k) => rowOf(k)?.state === 'current')) {
      this.unregisteredCurrent = material.current;
      this.currentRootId = dbCurrent!.id;
    } else if (current?.state === 'previous') {
      throw new CofferError('ROOT_KEY_MISMATCH', `The root key from ${this.provider.description} (${formatRootKeyId(current.id)}) is an older root key; this database has moved to ${dbCurrentName}. Supply that key.`);
    } else {
      throw new CofferError(
        'ROOT_KEY_MISMATCH',
        `The root key from ${this.provider.description} does not match ${this.store.description} (key check value differs). ` +
          'Supply the root key this database was initialised with; if you are rotating the root key, set COFFER_ROOT_KEY_PREVIOUS to the old key and run `coffer key rotate --root`.',
      );
    }
    for (const key of [material.current, ...material.previous, ...(material.pending ? [material.pending] : [])]) {
      const row = rowOf(key);
      if (row && row.state !== 'retired') this.rootKeys.set(row.id, key);
    }
  }

  /** Readiness: the database answers and still names the root key this process holds as current. */
  async check(): Promise<void> {
    const row = await this.store.db.selectFrom('root_keys').select(['id', 'kcv']).where('state', '=', 'current').executeTakeFirst();
    const key = row ? this.rootKeys.get(row.id) ?? this.provider.load().current : undefined;
    if (!row || !key || !matchesKeyCheckValue(key, row.kcv)) {
      throw new CofferError('ROOT_KEY_MISMATCH', 'The database no longer names this process\'s root key as current; restart with the current root key.');
    }
  }

  private rootKey(id: number): Buffer {
    let key = this.rootKeys.get(id);
    if (!key) {
      // Another process may have rotated the root key file; look again once.
      const material = this.provider.load();
      for (const k of [material.current, ...material.previous, ...(material.pending ? [material.pending] : [])]) {
        if (rootKeyId(k) === id) key = k;
      }
      if (!key) {
        throw new CofferError('KEY_NOT_FOUND', `A tenant key is wrapped by root key ${formatRootKeyId(id)}, which was not supplied. Add it to COFFER_ROOT_KEY_PREVIOUS and run \`coffer key rotate --root\` to finish the rotation.`);
      }
      this.rootKeys.set(id, key);
    }
    return key;
  }

  /** The unwrapped tenant key if this process holds it already: the hot path, no await. */
  cachedTenantKey(tenant: string, version: number): Buffer | undefined {
    return this.tenantKeys.get(tenant)?.byVersion.get(version)?.key;
  }

  /** The unwrapped tenant key of `version`, from memory or from the database. */
  async tenantKey(tenant: string, version: number, options: { db?: Kysely<Database>; reload?: boolean } = {}): Promise<Buffer> {
    const db = options.db ?? this.store.db;
    const cached = this.tenantKeys.get(tenant)?.byVersion.get(version);
    if (cached && !options.reload) return cached.key;
    const row = await db
      .selectFrom('tenant_keys')
      .select(['wrapped_key', 'root_key_id'])
      .where('tenant_id', '=', tenant)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row || !row.wrapped_key) {
      throw new CofferError('KEY_NOT_FOUND', `Tenant key ${formatTenantKeyId(tenant, version)} is ${row ? 'retired' : 'not known'}.`);
    }
    return this.cacheTenantKey(tenant, version, row.wrapped_key);
  }

  unwrapTenantKey(tenant: string, version: number, wrapped: Buffer): Buffer {
    return open(this.rootKey(readKeyId(wrapped)), wrapped, { purpose: 'tenant-key', tenant, version });
  }

  wrapTenantKey(tenant: string, version: number, key: Buffer, rootId = this.currentRootId): Buffer {
    return seal(this.rootKey(rootId), rootId, key, { purpose: 'tenant-key', tenant, version });
  }

  /**
   * Unwraps `wrapped` unless the cache already holds exactly that wrapped form. A replaced entry
   * is dropped, not zeroed: an operation in flight may still hold it, and zeroing it there
   * would turn it into a known all-zero key.
   */
  private cacheTenantKey(tenant: string, version: number, wrapped: Buffer, key?: Buffer): Buffer {
    let entry = this.tenantKeys.get(tenant);
    if (!entry) this.tenantKeys.set(tenant, (entry = { byVersion: new Map() }));
    const existing = entry.byVersion.get(version);
    if (existing && existing.wrapped.equals(wrapped)) return existing.key;
    const fresh = key ?? this.unwrapTenantKey(tenant, version, wrapped);
    entry.byVersion.set(version, { key: fresh, wrapped: Buffer.from(wrapped) });
    return fresh;
  }

  /**
   * The newest active tenant key, read inside the caller's write transaction. On PostgreSQL the
   * row is share-locked so that a concurrent retire cannot remove it before the write commits.
   */
  async newestTenantKey(trx: Kysely<Database>, tenant: string): Promise<{ version: number; key: Buffer }> {
    let q = trx
      .selectFrom('tenant_keys')
      .select(['version', 'wrapped_key'])
      .where('tenant_id', '=', tenant)
      .where('state', '=', 'active')
      .orderBy('version', 'desc')
      .limit(1);
    if (this.store.dialect === 'postgres') q = q.forShare();
    const row = await q.executeTakeFirst();
    if (!row || !row.wrapped_key) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
    return { version: row.version, key: this.cacheTenantKey(tenant, row.version, row.wrapped_key) };
  }

  /**
   * A fresh tenant key and its wrapped form under the database's current root key, read inside
   * the caller's write transaction: another process may have rotated the root key since start.
   */
  async createTenantKey(trx: Kysely<Database>, tenant: string, version: number): Promise<{ key: Buffer; wrapped: Buffer; rootKeyId: number }> {
    const current = await trx.selectFrom('root_keys').select('id').where('state', '=', 'current').executeTakeFirst();
    if (current && current.id !== this.currentRootId && this.unregisteredCurrent === undefined) {
      this.rootKey(current.id); // loads it from the provider, or explains what is missing
      this.currentRootId = current.id;
    }
    const key = generateKey();
    return { key, wrapped: this.wrapTenantKey(tenant, version, key), rootKeyId: this.currentRootId };
  }

  /** Caches a tenant key this process just created, once its transaction committed. */
  remember(tenant: string, version: number, key: Buffer, wrapped: Buffer): void {
    this.cacheTenantKey(tenant, version, wrapped, key);
  }

  /** Drops a deleted tenant's keys from memory (dropped, not zeroed: see cacheTenantKey). */
  forgetTenant(tenant: string): void {
    this.tenantKeys.delete(tenant);
  }

  forgetTenantKey(tenant: string, version: number): void {
    this.tenantKeys.get(tenant)?.byVersion.delete(version);
  }

  /** Makes `key` the current root key in memory (after the database made it current). */
  adoptRootKey(id: number, key: Buffer): void {
    this.rootKeys.set(id, key);
    this.currentRootId = id;
    this.unregisteredCurrent = undefined;
  }

  markPromoted(): void {
    this.pendingPromotion = false;
  }

  dropRootKey(id: number): void {
    this.rootKeys.delete(id);
  }

  /** Zeroes every unwrapped tenant key once nothing runs any more. Root keys belong to the provider. */
  close(): void {
    for (const entry of this.tenantKeys.values()) entry.byVersion.forEach((k) => k.key.fill(0));
    this.tenantKeys.clear();
  }
}
