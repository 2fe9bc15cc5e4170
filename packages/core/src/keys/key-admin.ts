/**
 * Key rotation without downtime, at every level of the hierarchy:
 *
 * - rotate a tenant key: a new version takes every new write; old versions keep reading;
 * - rewrap: re-encrypt a tenant's data keys under its newest key, in batches; values are never
 *   decrypted, and a rerun continues where an interrupted one stopped;
 * - rotate the root key: rewrap the tenant keys only;
 * - retire: wipe a key version once nothing uses it.
 */
import { CofferError } from '../errors.js';
import { open, seal } from '../crypto/envelope.js';
import { generateKey, keyCheckValue, rootKeyId } from '../crypto/key-check.js';
import type { Store } from '../store/database.js';
import type { RootKeyState, TenantKeyState } from '../store/schema.js';
import { checkTenantId } from '../vault/values.js';
import { formatRootKeyId, formatTenantKeyId, parseKeyId, type Keyring } from './keyring.js';
import type { RootKeyProvider } from './root-key-provider.js';
import type { AuditLog, AuditWith } from '../audit/audit-log.js';

export interface Progress {
  (done: number, total: number): void;
}

export interface RootKeyStatus {
  id: string;
  state: RootKeyState;
  createdAt: Date;
  /** Tenant key versions it wraps. */
  tenantKeys: number;
}

export interface TenantKeyStatus {
  id: string;
  tenant: string;
  version: number;
  state: TenantKeyState;
  newest: boolean;
  createdAt: Date;
  rootKeyId: string | null;
  /** Secret versions whose data key it wraps. */
  secretVersions: number;
}

export interface KeyStatus {
  rootKeyProvider: string;
  root: RootKeyStatus[];
  tenants: TenantKeyStatus[];
}

export interface RewrapResult {
  tenant: string;
  keyId: string;
  rewrapped: number;
}

const DEFAULT_BATCH = 500;

export class KeyAdmin {
  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly provider: RootKeyProvider,
    private readonly auditLog: AuditLog,
  ) {}

  async status(): Promise<KeyStatus> {
    const db = this.store.db;
    const [roots, tenantKeys, wrapsByRoot, usesByKey] = await Promise.all([
      db.selectFrom('root_keys').selectAll().orderBy('created_at').execute(),
      db.selectFrom('tenant_keys').select(['tenant_id', 'version', 'state', 'created_at', 'root_key_id', 'wrapped_key']).orderBy('tenant_id').orderBy('version').execute(),
      db.selectFrom('tenant_keys').select(['root_key_id', (eb) => eb.fn.countAll<number>().as('n')]).where('wrapped_key', 'is not', null).groupBy('root_key_id').execute(),
      db.selectFrom('secret_versions').select(['tenant_id', 'key_version', (eb) => eb.fn.countAll<number>().as('n')]).where('key_version', 'is not', null).groupBy(['tenant_id', 'key_version']).execute(),
    ]);
    const newest = new Map<string, number>();
    for (const k of tenantKeys) if (k.state === 'active') newest.set(k.tenant_id, Math.max(newest.get(k.tenant_id) ?? 0, k.version));
    return {
      rootKeyProvider: this.provider.description,
      root: roots.map((r) => ({
        id: formatRootKeyId(r.id),
        state: r.state,
        createdAt: new Date(r.created_at),
        tenantKeys: Number(wrapsByRoot.find((w) => w.root_key_id === r.id)?.n ?? 0),
      })),
      tenants: tenantKeys.map((k) => ({
        id: formatTenantKeyId(k.tenant_id, k.version),
        tenant: k.tenant_id,
        version: k.version,
        state: k.state,
        newest: newest.get(k.tenant_id) === k.version,
        createdAt: new Date(k.created_at),
        rootKeyId: k.wrapped_key ? formatRootKeyId(k.root_key_id) : null,
        secretVersions: Number(usesByKey.find((u) => u.tenant_id === k.tenant_id && u.key_version === k.version)?.n ?? 0),
      })),
    };
  }

  /** Adds a new tenant key version; every write from now on uses it. */
  async rotateTenantKey(tenant: string, options: { audit?: AuditWith<{ keyId: string; version: number }> } = {}): Promise<{ keyId: string; version: number }> {
    checkTenantId(tenant);
    let created: { key: Buffer; wrapped: Buffer; version: number } | undefined;
    await this.store.writeTransaction(async (trx) => {
      const t = await trx.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
      if (!t) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
      const last = await trx.selectFrom('tenant_keys').select((eb) => eb.fn.max('version').as('v')).where('tenant_id', '=', tenant).executeTakeFirstOrThrow();
      const version = Number(last.v ?? 0) + 1;
      const fresh = await this.keyring.createTenantKey(trx, tenant, version);
      created = { key: fresh.key, wrapped: fresh.wrapped, version };
      await trx
        .insertInto('tenant_keys')
        .values({ tenant_id: tenant, version, root_key_id: fresh.rootKeyId, wrapped_key: fresh.wrapped, state: 'active', created_at: Date.now(), retired_at: null })
        .execute();
      if (options.audit) await this.auditLog.appendWithin(trx, options.audit({ keyId: formatTenantKeyId(tenant, version), version }));
    });
    this.keyring.remember(tenant, created!.version, created!.key, created!.wrapped);
    return { keyId: formatTenantKeyId(tenant, created!.version), version: created!.version };
  }

  /**
   * Re-encrypts every data key of `tenant` that is wrapped by an older tenant key, under the
   * newest one. Each batch is its own transaction; rows are updated only if still wrapped by
   * the key they were read with, so concurrent writers and reruns are harmless.
   */
  async rewrapTenant(tenant: string, options: { batchSize?: number; onProgress?: Progress } = {}): Promise<RewrapResult> {
    checkTenantId(tenant);
    const batch = options.batchSize ?? DEFAULT_BATCH;
    const db = this.store.db;
    const newestRow = await db
      .selectFrom('tenant_keys')
      .select('version')
      .where('tenant_id', '=', tenant)
      .where('state', '=', 'active')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!newestRow) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${tenant}" does not exist.`);
    const newest = newestRow.version;
    const newKey = await this.keyring.tenantKey(tenant, newest);
    const pending = () =>
      db.selectFrom('secret_versions').where('tenant_id', '=', tenant).where('key_version', 'is not', null).where('key_version', '<>', newest);
    const { n: total } = await pending().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    let done = 0;
    options.onProgress?.(0, Number(total));
    for (;;) {
      const rows = await pending().select(['secret_id', 'version', 'key_version', 'wrapped_dek']).limit(batch).execute();
      if (rows.length === 0) break;
      const updates = await Promise.all(
        rows.map(async (r) => {
          const oldKey = await this.keyring.tenantKey(tenant, r.key_version!);
          const place = { tenant, secret: r.secret_id, version: r.version };
          const dek = open(oldKey, r.wrapped_dek!, { purpose: 'data-key', ...place });
          const wrapped = seal(newKey, newest, dek, { purpose: 'data-key', ...place });
          dek.fill(0);
          return { ...r, wrapped };
        }),
      );
      await this.store.writeTransaction(async (trx) => {
        for (const u of updates) {
          await trx
            .updateTable('secret_versions')
            .set({ wrapped_dek: u.wrapped, key_version: newest })
            .where('secret_id', '=', u.secret_id)
            .where('version', '=', u.version)
            .where('key_version', '=', u.key_version)
            .execute();
        }
      });
      done += rows.length;
      options.onProgress?.(Math.min(done, Number(total)), Math.max(done, Number(total)));
    }
    return { tenant, keyId: formatTenantKeyId(tenant, newest), rewrapped: done };
  }

  async rewrapAll(options: { batchSize?: number; onProgress?: (tenant: string, done: number, total: number) => void } = {}): Promise<RewrapResult[]> {
    const tenants = await this.store.db.selectFrom('tenants').select('id').orderBy('id').execute();
    const results: RewrapResult[] = [];
    for (const t of tenants) {
      results.push(
        await this.rewrapTenant(t.id, {
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          onProgress: (d, n) => options.onProgress?.(t.id, d, n),
        }),
      );
    }
    return results;
  }

  /**
   * Moves the root of the hierarchy to a new key and rewraps every tenant key under it.
   *
   * With a key file, Coffer makes the new key itself: it is staged next to the old file, the
   * database adopts it, the tenant keys are rewrapped, and only then the file is replaced.
   * With `COFFER_ROOT_KEY`, the operator supplies the new key there and the old one in
   * `COFFER_ROOT_KEY_PREVIOUS`. Rerunning after an interruption finishes the job.
   */
  async rotateRootKey(options: { batchSize?: number; onProgress?: Progress } = {}): Promise<{ keyId: string; previousKeyId: string; rewrapped: number }> {
    const previousId = this.keyring.rootKeyId;
    let newKey = this.keyring.rotationCandidate;
    const staged = newKey === undefined;
    if (!newKey) {
      // A rotation that was interrupted after the database adopted the new key: finish it.
      const { n: unfinished } = await this.store.db
        .selectFrom('tenant_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('wrapped_key', 'is not', null)
        .where('root_key_id', '<>', previousId)
        .executeTakeFirstOrThrow();
      if (Number(unfinished) > 0) {
        const previous = await this.store.db.selectFrom('root_keys').select('id').where('state', '=', 'previous').orderBy('created_at', 'desc').executeTakeFirst();
        const rewrapped = await this.rewrapTenantKeys(options);
        return { keyId: formatRootKeyId(previousId), previousKeyId: formatRootKeyId(previous?.id ?? previousId), rewrapped };
      }
      if (!this.provider.rotation) {
        throw new CofferError(
          'ROTATION_UNAVAILABLE',
          `The root key comes from ${this.provider.description}, which Coffer cannot change. Generate a key with \`coffer key generate\`, set COFFER_ROOT_KEY to it and COFFER_ROOT_KEY_PREVIOUS to the current key, then run \`coffer key rotate --root\` again.`,
        );
      }
      newKey = generateKey();
      this.provider.rotation.stage(newKey);
    }
    const id = rootKeyId(newKey);
    const kcv = keyCheckValue(newKey);
    await this.store.writeTransaction(async (trx) => {
      await trx.updateTable('root_keys').set({ state: 'previous' }).where('state', '=', 'current').execute();
      await trx.insertInto('root_keys').values({ id, kcv, state: 'current', created_at: Date.now(), retired_at: null }).execute();
    });
    this.keyring.adoptRootKey(id, newKey);
    const rewrapped = await this.rewrapTenantKeys(options);
    if (staged) this.promoteStagedRootKey();
    return { keyId: formatRootKeyId(id), previousKeyId: formatRootKeyId(previousId), rewrapped };
  }

  /**
   * Finishes a file rotation that was interrupted after the database adopted the staged key:
   * rewraps what is left, then replaces the key file. Called at start-up.
   */
  async finishRootRotation(): Promise<void> {
    await this.rewrapTenantKeys();
    this.promoteStagedRootKey();
  }

  private promoteStagedRootKey(): void {
    this.provider.rotation?.promote();
    this.keyring.markPromoted();
  }

  /** Rewraps every tenant key not under the current root key; used by root rotation and its resumption. */
  async rewrapTenantKeys(options: { batchSize?: number; onProgress?: Progress } = {}): Promise<number> {
    const batch = options.batchSize ?? DEFAULT_BATCH;
    const current = this.keyring.rootKeyId;
    const db = this.store.db;
    const pending = () => db.selectFrom('tenant_keys').where('wrapped_key', 'is not', null).where('root_key_id', '<>', current);
    const { n: total } = await pending().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    let done = 0;
    options.onProgress?.(0, Number(total));
    for (;;) {
      const rows = await pending().select(['tenant_id', 'version', 'root_key_id', 'wrapped_key']).limit(batch).execute();
      if (rows.length === 0) break;
      await this.store.writeTransaction(async (trx) => {
        for (const r of rows) {
          const key = this.keyring.unwrapTenantKey(r.tenant_id, r.version, r.wrapped_key!);
          const wrapped = this.keyring.wrapTenantKey(r.tenant_id, r.version, key, current);
          key.fill(0);
          await trx
            .updateTable('tenant_keys')
            .set({ wrapped_key: wrapped, root_key_id: current })
            .where('tenant_id', '=', r.tenant_id)
            .where('version', '=', r.version)
            .where('root_key_id', '=', r.root_key_id)
            .execute();
        }
      });
      done += rows.length;
      options.onProgress?.(Math.min(done, Number(total)), Math.max(done, Number(total)));
    }
    return done;
  }

  /** Retires a key that nothing uses any more: its wrapped form is wiped for good. */
  async retire(keyId: string): Promise<{ keyId: string }> {
    const parsed = parseKeyId(keyId);
    if (parsed.kind === 'root') {
      await this.store.writeTransaction(async (trx) => {
        const row = await trx.selectFrom('root_keys').select(['id', 'state']).where('id', '=', parsed.id).executeTakeFirst();
        if (!row) throw new CofferError('KEY_NOT_FOUND', `Root key ${keyId} is not known.`);
        if (row.state === 'current') throw new CofferError('KEY_ACTIVE', `Root key ${keyId} is the current root key; rotate it first.`);
        if (row.state === 'retired') return;
        const { n } = await trx.selectFrom('tenant_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('root_key_id', '=', parsed.id).where('wrapped_key', 'is not', null).executeTakeFirstOrThrow();
        if (Number(n) > 0) throw new CofferError('KEY_IN_USE', `Root key ${keyId} still wraps ${n} tenant key(s); run \`coffer key rotate --root\` to finish the rotation first.`, { uses: Number(n) });
        await trx.updateTable('root_keys').set({ state: 'retired', retired_at: Date.now() }).where('id', '=', parsed.id).execute();
      });
      this.keyring.dropRootKey(parsed.id);
      return { keyId };
    }
    const { tenant, version } = parsed;
    await this.store.writeTransaction(async (trx) => {
      let q = trx.selectFrom('tenant_keys').select(['version', 'state']).where('tenant_id', '=', tenant).where('version', '=', version);
      if (this.store.dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) throw new CofferError('KEY_NOT_FOUND', `Tenant key ${keyId} is not known.`);
      if (row.state === 'retired') return;
      const newer = await trx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenant).where('state', '=', 'active').where('version', '>', version).executeTakeFirst();
      if (!newer) throw new CofferError('KEY_ACTIVE', `${keyId} is the newest key of tenant "${tenant}"; rotate the tenant key first.`);
      const { n } = await trx
        .selectFrom('secret_versions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenant)
        .where('key_version', '=', version)
        .executeTakeFirstOrThrow();
      if (Number(n) > 0) {
        throw new CofferError('KEY_IN_USE', `${keyId} still wraps ${n} secret version(s); run \`coffer key rewrap --tenant ${tenant}\` first.`, { uses: Number(n) });
      }
      await trx.updateTable('tenant_keys').set({ state: 'retired', wrapped_key: null, retired_at: Date.now() }).where('tenant_id', '=', tenant).where('version', '=', version).execute();
    });
    this.keyring.forgetTenantKey(tenant, version);
    return { keyId };
  }
}
