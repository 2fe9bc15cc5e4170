/**
 * The keyring holds the root keys this process was given and the tenant keys it has unwrapped.
 *
 * At start-up it checks the root key against the key check values in the database before
 * anything else is read or written, and uses whichever supplied key the database names as
 * current (during a file rotation that may be the staged key). Tenant keys are unwrapped on
 * first use and kept in memory; the database always decides which tenant key version is
 * newest, so a rotation by another process is honoured by the next write here.
 *
 * Every key the keyring holds is its own copy and is zeroed when it leaves: root keys at once
 * (they never leave the keyring), tenant keys once no request that may have handed them out is
 * still running (see {@link Keyring.tenantKey}), and everything at close.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CofferError } from '../errors.js';
import { open, readKeyId, seal } from '../crypto/envelope.js';
import { generateKey, matchesKeyCheckValue, keyCheckValue, rootKeyId } from '../crypto/key-check.js';
import type { Database, RootKeyRotationTable, RootKeysTable } from '../store/schema.js';
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
 * a stale key. A root rotation rewraps the same key: then only `wrapped` changes.
 */
interface CachedTenantKey {
  readonly key: Buffer;
  wrapped: Buffer;
}

/** The id and check value of a root key; never the key. */
export interface RootKeyRef {
  readonly id: number;
  readonly kcv: string;
}

const allMaterial = (m: RootKeyMaterial): Buffer[] => [m.current, ...m.previous, ...(m.pending ? [m.pending] : [])];

export class Keyring {
  private readonly rootKeys = new Map<number, Buffer>();
  private readonly tenantKeys = new Map<string, Map<number, CachedTenantKey>>();
  private currentRootId = 0;
  /** Set when the supplied current root key is not yet the database's: only a root rotation may proceed. */
  private unregisteredCurrent: Buffer | undefined;
  /** Set when a file rotation committed but its key file was not yet promoted. */
  private pendingPromotion = false;
  /** Requests that may hand out a cached tenant key, by sequence number; a Set keeps insertion order, so the first is the oldest. */
  private readonly inFlight = new Set<number>();
  private lastRequest = 0;
  /** Tenant keys dropped from the cache, each with the last request that may have handed it out. */
  private dropped: Array<{ key: Buffer; after: number }> = [];
  private sweepScheduled = false;
  private closed = false;

  private constructor(
    private readonly store: Store,
    private readonly provider: RootKeyProvider,
  ) {}

  static async open(store: Store, provider: RootKeyProvider, options: KeyringOptions): Promise<Keyring> {
    const keyring = new Keyring(store, provider);
    try {
      await keyring.verifyRoot(options);
    } catch (err) {
      keyring.close();
      throw err;
    }
    return keyring;
  }

  get rootKeyId(): number {
    return this.currentRootId;
  }

  /** A file rotation whose database side finished but whose key file still needs promoting. */
  get needsRootPromotion(): boolean {
    return this.pendingPromotion;
  }

  /** The unregistered key an env-provider rotation will adopt (its id and check value); undefined otherwise. */
  get rotationCandidate(): RootKeyRef | undefined {
    const key = this.unregisteredCurrent;
    return key ? { id: rootKeyId(key), kcv: keyCheckValue(key) } : undefined;
  }

  /**
   * Loads the provider's keys for `fn`, which passes each key it keeps through `own`; the rest
   * are zeroed when the provider gave fresh copies. What is kept is always the keyring's own copy.
   */
  private withMaterial<T>(fn: (material: RootKeyMaterial, own: (key: Buffer) => Buffer) => T): T {
    const material = this.provider.load();
    const fresh = this.provider.freshMaterial === true;
    const kept = new Set<Buffer>();
    const own = (key: Buffer): Buffer => {
      kept.add(key);
      return fresh ? key : Buffer.from(key);
    };
    try {
      return fn(material, own);
    } finally {
      if (fresh) for (const k of allMaterial(material)) if (!kept.has(k)) k.fill(0);
    }
  }

  private holdRootKey(id: number, key: Buffer, own: (key: Buffer) => Buffer): void {
    if (!this.rootKeys.has(id)) this.rootKeys.set(id, own(key));
  }

  private async verifyRoot(options: KeyringOptions): Promise<void> {
    // The database first, then the key files: a rotation writes the staged file before the
    // database moves to it and promotes it only afterwards, so files read after the rows always
    // hold the key those rows name as current.
    let rows = await this.store.db.selectFrom('root_keys').selectAll().execute();
    if (rows.length === 0) {
      if (!options.createIfMissing) {
        throw new CofferError('NOT_INITIALIZED', `${this.store.description} has no root key registered. Run \`coffer init\` first.`);
      }
      await this.withMaterial((material) => {
        const values = { id: rootKeyId(material.current), kcv: keyCheckValue(material.current), state: 'current' as const, created_at: Date.now(), retired_at: null };
        return this.store.db.insertInto('root_keys').values(values).onConflict((oc) => oc.doNothing()).execute();
      });
      rows = await this.store.db.selectFrom('root_keys').selectAll().execute();
    }
    const rotation = await this.store.db.selectFrom('root_key_rotation').selectAll().where('id', '=', 1).executeTakeFirst();
    this.withMaterial((material, own) => this.adoptMaterial(rows, rotation, material, own, options));
  }

  private adoptMaterial(
    rows: readonly RootKeysTable[],
    rotation: RootKeyRotationTable | undefined,
    material: RootKeyMaterial,
    own: (key: Buffer) => Buffer,
    options: KeyringOptions,
  ): void {
    const rowOf = (key: Buffer): RootKeysTable | undefined => {
      const row = rows.find((r) => r.id === rootKeyId(key));
      return row && matchesKeyCheckValue(key, row.kcv) ? row : undefined;
    };
    /** The key a recorded, not yet switched rotation moves to. */
    const isStaged = (key: Buffer): boolean =>
      rotation?.step === 'staged' && rotation.staged_kcv !== null && rotation.staged_id === rootKeyId(key) && matchesKeyCheckValue(key, rotation.staged_kcv);
    const dbCurrent = rows.find((r) => r.state === 'current');
    const dbCurrentName = dbCurrent ? formatRootKeyId(dbCurrent.id) : 'none';
    const current = rowOf(material.current);
    const pending = material.pending ? rowOf(material.pending) : undefined;

    // A staged key the database does not name is left alone: it may belong to a rotation that
    // is about to switch (another process holds the lease), and deleting it there lost the vault.
    if (current?.state === 'current') {
      this.currentRootId = current.id;
    } else if (material.pending && pending?.state === 'current') {
      // A file rotation switched the database but has not promoted the file yet (it is running,
      // or it died): the staged key is current, the old file key kept for what is not rewrapped.
      this.currentRootId = pending.id;
      this.pendingPromotion = true;
    } else if (current?.state === 'retired') {
      throw new CofferError('ROOT_KEY_RETIRED', `The root key from ${this.provider.description} (${formatRootKeyId(current.id)}) was retired; supply the current root key (${dbCurrentName}).`);
    } else if (!current && dbCurrent && material.previous.some((k) => rowOf(k)?.state === 'current') && (options.allowRootRotation || isStaged(material.current))) {
      // Supplied keys: the new key in COFFER_ROOT_KEY, the database's current one among the
      // previous keys. Accepted for the rotation that adopts it, and for any process started
      // while that rotation has it recorded as its staged key.
      if (options.allowRootRotation) this.unregisteredCurrent = own(material.current);
      else this.holdRootKey(rotation!.staged_id!, material.current, own);
      this.currentRootId = dbCurrent.id;
    } else if (current?.state === 'previous') {
      throw new CofferError('ROOT_KEY_MISMATCH', `The root key from ${this.provider.description} (${formatRootKeyId(current.id)}) is an older root key; this database has moved to ${dbCurrentName}. Supply that key.`);
    } else {
      throw new CofferError(
        'ROOT_KEY_MISMATCH',
        `The root key from ${this.provider.description} does not match ${this.store.description} (key check value differs). ` +
          'Supply the root key this database was initialised with; if you are rotating the root key, set COFFER_ROOT_KEY_PREVIOUS to the old key and run `coffer key rotate --root`.',
      );
    }
    for (const key of allMaterial(material)) {
      const row = rowOf(key);
      if (row && row.state !== 'retired') this.holdRootKey(row.id, key, own);
      else if (isStaged(key)) this.holdRootKey(rotation!.staged_id!, key, own);
    }
  }

  /** Readiness: the database answers and still names as current a root key this process holds or can load. */
  async check(): Promise<void> {
    const row = await this.store.db.selectFrom('root_keys').select(['id', 'kcv']).where('state', '=', 'current').executeTakeFirst();
    let key: Buffer | undefined;
    try {
      key = row ? this.rootKey(row.id) : undefined;
    } catch {
      key = undefined;
    }
    if (!row || !key || !matchesKeyCheckValue(key, row.kcv)) {
      throw new CofferError('ROOT_KEY_MISMATCH', 'The database no longer names this process\'s root key as current; restart with the current root key.');
    }
  }

  /**
   * Whether, right now, the provider's staged key is the database's current root key: a file
   * rotation switched but did not promote. Read afresh (the rows first, then the files), not
   * from what start-up saw, which a rotation finishing meanwhile may have made stale.
   */
  async stagedKeyIsCurrent(): Promise<boolean> {
    const row = await this.store.db.selectFrom('root_keys').select(['id', 'kcv']).where('state', '=', 'current').executeTakeFirst();
    if (!row) return false;
    return this.withMaterial((m) => m.pending !== undefined && rootKeyId(m.pending) === row.id && matchesKeyCheckValue(m.pending, row.kcv));
  }

  /** Whether this process holds, or can load from its provider, root key `id`. */
  hasRootKey(id: number): boolean {
    try {
      this.rootKey(id);
      return true;
    } catch {
      return false;
    }
  }

  /** Used synchronously only, by wrap and unwrap here: root keys never leave the keyring. */
  private rootKey(id: number): Buffer {
    let key = this.rootKeys.get(id);
    if (!key) {
      // Another process may have rotated the root key file; look again once.
      key = this.withMaterial((material, own) => {
        const found = allMaterial(material).find((k) => rootKeyId(k) === id);
        if (found) this.holdRootKey(id, found, own);
        return this.rootKeys.get(id);
      });
      if (!key) {
        throw new CofferError('KEY_NOT_FOUND', `A tenant key is wrapped by root key ${formatRootKeyId(id)}, which was not supplied. Add it to COFFER_ROOT_KEY_PREVIOUS and run \`coffer key rotate --root\` to finish the rotation.`);
      }
    }
    return key;
  }

  /**
   * Makes the database's current root key (`id`, after a rotation this process did not run)
   * the one new wraps use here; throws KEY_NOT_FOUND if this process cannot load it.
   */
  useCurrentRoot(id: number): void {
    this.rootKey(id);
    this.currentRootId = id;
  }

  /** The unwrapped tenant key if this process holds it already: the hot path, no await. Use it before the next await. */
  cachedTenantKey(tenant: string, version: number): Buffer | undefined {
    return this.tenantKeys.get(tenant)?.get(version)?.key;
  }

  /**
   * The unwrapped tenant key of `version`, from memory or from the database.
   *
   * The buffer is the keyring's: use it right after the await, not across further awaits. A key
   * dropped from the cache meanwhile (tenant deleted, key retired, replaced) is zeroed only once
   * every request that was running when it was dropped has finished and their callers' next
   * synchronous step has run.
   */
  async tenantKey(tenant: string, version: number, options: { db?: Kysely<Database>; reload?: boolean } = {}): Promise<Buffer> {
    const request = this.begin();
    try {
      const db = options.db ?? this.store.db;
      const cached = this.tenantKeys.get(tenant)?.get(version);
      if (cached && !options.reload) return cached.key;
      for (let attempt = 0; ; attempt++) {
        const row = await db
          .selectFrom('tenant_keys')
          .select(['wrapped_key', 'root_key_id'])
          .where('tenant_id', '=', tenant)
          .where('version', '=', version)
          .executeTakeFirst();
        if (!row || !row.wrapped_key) {
          throw new CofferError('KEY_NOT_FOUND', `Tenant key ${formatTenantKeyId(tenant, version)} is ${row ? 'retired' : 'not known'}.`);
        }
        try {
          return this.cacheTenantKey(tenant, version, row.wrapped_key);
        } catch (err) {
          // Read without a lock: a root rotation may have rewrapped the row and retired its old
          // root key (removing it from the key files) since. The row as it is now says.
          if (attempt >= 2 || !(err instanceof CofferError) || err.code !== 'KEY_NOT_FOUND') throw err;
        }
      }
    } finally {
      this.end(request);
    }
  }

  /** A fresh buffer holding the tenant key `wrapped` wraps; the caller zeroes it. */
  unwrapTenantKey(tenant: string, version: number, wrapped: Buffer): Buffer {
    return open(this.rootKey(readKeyId(wrapped)), wrapped, { purpose: 'tenant-key', tenant, version });
  }

  wrapTenantKey(tenant: string, version: number, key: Buffer, rootId = this.currentRootId): Buffer {
    return seal(this.rootKey(rootId), rootId, key, { purpose: 'tenant-key', tenant, version });
  }

  /**
   * The audit key's associated data binds its version and the seq after which events must be
   * keyed (as the `secret` field: audit keys belong to no tenant), so neither can be changed in
   * the database without the root key.
   */
  private static auditKeyContext(version: number, firstSeq: number) {
    return { purpose: 'audit-key', tenant: '', secret: `first-seq:${firstSeq}`, version } as const;
  }

  /** A fresh buffer holding the audit key `wrapped` wraps; the caller zeroes it. */
  unwrapAuditKey(version: number, firstSeq: number, wrapped: Buffer): Buffer {
    return open(this.rootKey(readKeyId(wrapped)), wrapped, Keyring.auditKeyContext(version, firstSeq));
  }

  wrapAuditKey(version: number, firstSeq: number, key: Buffer, rootId = this.currentRootId): Buffer {
    return seal(this.rootKey(rootId), rootId, key, Keyring.auditKeyContext(version, firstSeq));
  }

  /**
   * Unwraps `wrapped` (or takes `key`, whose ownership passes to the keyring) unless the cache
   * already holds exactly that wrapped form. The same key under a new wrap (a root rotation)
   * keeps its buffer; a different key replaces the entry and the old one is dropped.
   */
  private cacheTenantKey(tenant: string, version: number, wrapped: Buffer, key?: Buffer): Buffer {
    if (this.closed) {
      key?.fill(0);
      throw new CofferError('INTERNAL', 'The vault is closed.');
    }
    let byVersion = this.tenantKeys.get(tenant);
    if (!byVersion) this.tenantKeys.set(tenant, (byVersion = new Map()));
    const existing = byVersion.get(version);
    if (existing && existing.wrapped.equals(wrapped)) {
      if (key && key !== existing.key) key.fill(0);
      return existing.key;
    }
    const fresh = key ?? this.unwrapTenantKey(tenant, version, wrapped);
    if (existing) {
      if (fresh !== existing.key && timingSafeEqual(fresh, existing.key)) {
        fresh.fill(0);
        existing.wrapped = Buffer.from(wrapped);
        return existing.key;
      }
      this.drop(existing.key);
    }
    byVersion.set(version, { key: fresh, wrapped: Buffer.from(wrapped) });
    return fresh;
  }

  /**
   * The newest active tenant key, read inside the caller's write transaction. On PostgreSQL the
   * row is share-locked so that a concurrent retire, delete or re-creation cannot change it
   * before the write commits: the returned buffer stays valid for the whole transaction.
   */
  async newestTenantKey(trx: Kysely<Database>, tenant: string): Promise<{ version: number; key: Buffer }> {
    const request = this.begin();
    try {
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
    } finally {
      this.end(request);
    }
  }

  /**
   * The current root key row, locked inside the caller's write transaction: `share` by every
   * transaction that wraps a tenant key, `update` by the root switch. On PostgreSQL the switch
   * therefore waits for every tenant key being wrapped under the old root to commit, and the
   * rewrap that follows it sees them all; a wrap that waited on the switch reads the new root.
   * (On SQLite the write transaction serialises all of this already.)
   */
  async lockCurrentRoot(trx: Kysely<Database>, mode: 'share' | 'update'): Promise<RootKeyRef> {
    for (let attempt = 0; attempt < 10; attempt++) {
      let q = trx.selectFrom('root_keys').select(['id', 'kcv']).where('state', '=', 'current');
      if (this.store.dialect === 'postgres') q = mode === 'share' ? q.forShare() : q.forUpdate();
      const row = await q.executeTakeFirst();
      if (row) return row;
      // PostgreSQL re-checks a row it waited for: if a root switch committed meanwhile, that row
      // is no longer current and the new one was not in this statement's snapshot. Read again.
    }
    throw new CofferError('NOT_INITIALIZED', `${this.store.description} names no current root key.`);
  }

  /**
   * A fresh tenant key and its wrapped form under the database's current root key, read and
   * share-locked inside the caller's write transaction: another process may have rotated the
   * root key since start, and none may switch it before this transaction commits. The key is
   * the caller's until it hands it to {@link remember}; it zeroes it if the transaction fails.
   */
  async createTenantKey(trx: Kysely<Database>, tenant: string, version: number): Promise<{ key: Buffer; wrapped: Buffer; rootKeyId: number }> {
    const current = await this.lockCurrentRoot(trx, 'share');
    if (current.id !== this.currentRootId) this.useCurrentRoot(current.id);
    const key = generateKey();
    return { key, wrapped: this.wrapTenantKey(tenant, version, key, current.id), rootKeyId: current.id };
  }

  /** Caches a tenant key this process just created, once its transaction committed; the keyring now owns `key`. */
  remember(tenant: string, version: number, key: Buffer, wrapped: Buffer): void {
    this.cacheTenantKey(tenant, version, wrapped, key);
  }

  /** Drops a deleted tenant's keys from memory; they are zeroed as soon as no request may still use them. */
  forgetTenant(tenant: string): void {
    const byVersion = this.tenantKeys.get(tenant);
    if (!byVersion) return;
    this.tenantKeys.delete(tenant);
    for (const entry of byVersion.values()) this.drop(entry.key);
  }

  forgetTenantKey(tenant: string, version: number): void {
    const byVersion = this.tenantKeys.get(tenant);
    const entry = byVersion?.get(version);
    if (!entry) return;
    byVersion!.delete(version);
    this.drop(entry.key);
  }

  /** Makes `key` the current root key in memory (after the database made it current); the keyring now owns it. */
  adoptRootKey(id: number, key: Buffer): void {
    const existing = this.rootKeys.get(id);
    if (existing && existing !== key) existing.fill(0);
    this.rootKeys.set(id, key);
    this.currentRootId = id;
  }

  /** After the database made the supplied new key current: it becomes this process's current root key. */
  adoptRotationCandidate(): void {
    const key = this.unregisteredCurrent;
    if (!key) throw new CofferError('INTERNAL', 'No root key is waiting to be adopted.');
    this.unregisteredCurrent = undefined;
    this.adoptRootKey(rootKeyId(key), key);
  }

  markPromoted(): void {
    this.pendingPromotion = false;
  }

  /** Forgets a retired root key and zeroes it: root keys are only ever used synchronously here. */
  dropRootKey(id: number): void {
    const key = this.rootKeys.get(id);
    this.rootKeys.delete(id);
    key?.fill(0);
  }

  private begin(): number {
    const request = ++this.lastRequest;
    this.inFlight.add(request);
    return request;
  }

  private end(request: number): void {
    this.inFlight.delete(request);
    if (this.dropped.length > 0) this.scheduleSweep();
  }

  private drop(key: Buffer): void {
    this.dropped.push({ key, after: this.lastRequest });
    this.scheduleSweep();
  }

  /**
   * Zeroes dropped keys that no running request can have handed out. It runs from setImmediate:
   * after the microtasks in which callers of a finished request use what it returned.
   */
  private scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    setImmediate(() => {
      this.sweepScheduled = false;
      const oldest: number = this.inFlight.values().next().value ?? Number.POSITIVE_INFINITY;
      this.dropped = this.dropped.filter((d) => {
        if (d.after >= oldest) return true;
        d.key.fill(0);
        return false;
      });
    }).unref();
  }

  /** Zeroes every key the keyring holds. Call it once nothing runs any more (after the database is closed). */
  close(): void {
    this.closed = true;
    for (const byVersion of this.tenantKeys.values()) byVersion.forEach((k) => k.key.fill(0));
    this.tenantKeys.clear();
    for (const d of this.dropped) d.key.fill(0);
    this.dropped = [];
    for (const key of this.rootKeys.values()) key.fill(0);
    this.rootKeys.clear();
    this.unregisteredCurrent?.fill(0);
    this.unregisteredCurrent = undefined;
  }
}
