/**
 * Key rotation without downtime, at every level of the hierarchy:
 *
 * - rotate a tenant key: a new version takes every new write; old versions keep reading;
 * - rewrap: re-encrypt a tenant's data keys under its newest key, in batches; values are never
 *   decrypted, and a rerun continues where an interrupted one stopped;
 * - rotate the root key: rewrap the tenant keys only;
 * - retire: wipe a key version once nothing uses it.
 */
import { CofferError, isCofferError } from '../errors.js';
import { open, seal } from '../crypto/envelope.js';
import { generateKey, keyCheckValue, matchesKeyCheckValue, rootKeyId } from '../crypto/key-check.js';
import type { Store } from '../store/database.js';
import type { RootKeyRotationTable } from '../store/schema.js';
import { checkTenantId } from '../vault/values.js';
import { formatRootKeyId, formatTenantKeyId, parseKeyId, type Keyring, type ParsedKeyId } from './keyring.js';
import type { RootKeyProvider } from './root-key-provider.js';
import { leaseAlive, readRotation, RotationLease } from './root-rotation.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditedChange, type Acting, type AuditFacts, type ChangeAudit } from '../audit/audited.js';
import { rewrapAuditKeys } from './audit-keys.js';
import type { Progress, RootRotationStatus, KeyStatus, RotateRootOptions, RootRotationResult, RetireResult, RewrapResult, RewrapOptions, RewrapAllOptions } from './key-admin-types.js';

export type { RootRotationStep } from './root-rotation.js';
export type { Progress, RootKeyStatus, AuditKeyStatus, TenantKeyStatus, RootRotationStatus, KeyStatus, RotateRootOptions, RootRotationResult, RetireResult, RewrapResult, RewrapOptions, RewrapAllOptions } from './key-admin-types.js';

/** The rotation record fields a finished or rolled back rotation leaves empty. */
const NO_ROTATION = { step: null, from_id: null, staged_id: null, staged_kcv: null, started_at: null } as const;

const rewrapFacts = (r: Pick<RewrapResult, 'keyId' | 'rewrapped'>): AuditFacts => ({ target: r.keyId, details: { keyId: r.keyId, rewrapped: r.rewrapped } });
const rootRotationFacts = (r: RootRotationResult): AuditFacts => ({ target: r.keyId, details: { previous: r.previousKeyId, rewrapped: r.rewrapped } });

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
    const [roots, tenantKeys, wrapsByRoot, usesByKey, rotation, auditKeys] = await Promise.all([
      db.selectFrom('root_keys').selectAll().orderBy('created_at').execute(),
      db.selectFrom('tenant_keys').select(['tenant_id', 'version', 'state', 'created_at', 'root_key_id', 'wrapped_key']).orderBy('tenant_id').orderBy('version').execute(),
      db.selectFrom('tenant_keys').select(['root_key_id', (eb) => eb.fn.countAll<number>().as('n')]).where('wrapped_key', 'is not', null).groupBy('root_key_id').execute(),
      db.selectFrom('secret_versions').select(['tenant_id', 'key_version', (eb) => eb.fn.countAll<number>().as('n')]).where('key_version', 'is not', null).groupBy(['tenant_id', 'key_version']).execute(),
      readRotation(db),
      db.selectFrom('audit_keys').select(['version', 'root_key_id', 'first_seq', 'created_at']).orderBy('version').execute(),
    ]);
    const newestAudit = auditKeys.length > 0 ? auditKeys[auditKeys.length - 1]!.version : undefined;
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
      audit: auditKeys.map((k) => ({
        version: k.version,
        current: k.version === newestAudit,
        rootKeyId: formatRootKeyId(k.root_key_id),
        firstSeq: Number(k.first_seq),
        createdAt: new Date(k.created_at),
      })),
      rotation: rotationStatus(rotation),
    };
  }

  /** Adds a new tenant key version; every write from now on uses it. Audited as `key.rotate`, in its transaction. */
  async rotateTenantKey(tenant: string, options: Acting = {}): Promise<{ keyId: string; version: number }> {
    // A malformed id is refused before anything is recorded: caller text stays out of the log.
    checkTenantId(tenant);
    return auditedChange(this.auditLog, options.as, { action: 'key.rotate', tenant }, (audit) => this.rotateTenantKeyAudited(tenant, audit));
  }

  private async rotateTenantKeyAudited(tenant: string, audit: ChangeAudit): Promise<{ keyId: string; version: number }> {
    let created: { key: Buffer; wrapped: Buffer; version: number } | undefined;
    await this.store.writeTransaction(async (trx) => {
      created?.key.fill(0);
      created = undefined;
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
      await audit.within(trx, { target: formatTenantKeyId(tenant, version) });
    }).catch((err: unknown) => {
      created?.key.fill(0);
      throw err;
    });
    this.keyring.remember(tenant, created!.version, created!.key, created!.wrapped);
    return { keyId: formatTenantKeyId(tenant, created!.version), version: created!.version };
  }

  /**
   * Re-encrypts every data key of `tenant` that is wrapped by an older tenant key, under the
   * newest one. Each batch is its own transaction; rows are updated only if still wrapped by
   * the key they were read with, so concurrent writers and reruns are harmless.
   *
   * Audited as `key.rewrap` (the newest key, the data keys moved). The batches cannot roll back
   * together, so the event goes in the first batch's transaction, counting the data keys found
   * under older keys: a log that cannot take it refuses the rewrap before any key moves. A
   * rewrap with nothing to move records its event before it returns.
   */
  async rewrapTenant(tenant: string, options: RewrapOptions = {}): Promise<RewrapResult> {
    // A malformed id is refused before anything is recorded: caller text stays out of the log.
    checkTenantId(tenant);
    return auditedChange(this.auditLog, options.as, { action: 'key.rewrap', tenant }, (audit) => this.rewrapTenantAudited(tenant, options, audit), rewrapFacts);
  }

  private async rewrapTenantAudited(tenant: string, options: RewrapOptions, audit: ChangeAudit): Promise<RewrapResult> {
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
    // Held across many batches: a copy of its own, not the cache's (which may drop it meanwhile).
    const newKey = Buffer.from(await this.keyring.tenantKey(tenant, newest));
    try {
      return await this.rewrapUnder(tenant, newest, newKey, batch, options.onProgress, audit);
    } finally {
      newKey.fill(0);
    }
  }

  private async rewrapUnder(tenant: string, newest: number, newKey: Buffer, batch: number, onProgress: Progress | undefined, audit: ChangeAudit): Promise<RewrapResult> {
    const keyId = formatTenantKeyId(tenant, newest);
    const db = this.store.db;
    const pending = () =>
      db.selectFrom('secret_versions').where('tenant_id', '=', tenant).where('key_version', 'is not', null).where('key_version', '<>', newest);
    const { n: total } = await pending().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    let done = 0;
    let audited = false;
    onProgress?.(0, Number(total));
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
        if (!audited) await audit.within(trx, rewrapFacts({ keyId, rewrapped: Number(total) }));
      });
      audited = true;
      done += rows.length;
      onProgress?.(Math.min(done, Number(total)), Math.max(done, Number(total)));
    }
    return { tenant, keyId, rewrapped: done };
  }

  /** {@link rewrapTenant} for every tenant, in order: one `key.rewrap` event per tenant. */
  async rewrapAll(options: RewrapAllOptions = {}): Promise<RewrapResult[]> {
    const tenants = await this.store.db.selectFrom('tenants').select('id').orderBy('id').execute();
    const results: RewrapResult[] = [];
    for (const t of tenants) {
      results.push(
        await this.rewrapTenant(t.id, {
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          ...(options.as ? { as: options.as } : {}),
          onProgress: (d, n) => options.onProgress?.(t.id, d, n),
        }),
      );
    }
    return results;
  }

  /**
   * Moves the root of the hierarchy to a new key and rewraps every tenant key under it.
   *
   * With a key file, Coffer makes the new key itself. With `COFFER_ROOT_KEY`, the operator
   * supplies the new key there and the old one in `COFFER_ROOT_KEY_PREVIOUS` (and opens with
   * `allowRootRotation`). Either way, under the rotation lease:
   *
   * 1. `staged` (key file only): the new key is written to `root.key.next`, fsynced;
   * 2. `recorded`: its id and check value are committed in the rotation record;
   * 3. the staged file is read back and checked against that record;
   * 4. `switched`: one transaction makes it current (the old one `previous`), holding the
   *    current root row FOR UPDATE so that no tenant key is being wrapped under the old one;
   * 5. `rewrapping`: the tenant keys move to it, batch by batch;
   * 6. `promoted` (key file only): the old key is copied to `root.key.previous`, then
   *    `root.key.next` is renamed over `root.key`;
   * 7. `done`: the record is cleared and the lease released.
   *
   * A rotation interrupted after 4 is finished by the next start or by rerunning this; one
   * interrupted before is rolled back (the database never moved, so nothing was lost).
   *
   * Audited as `key.rotate_root` (the new key, the previous one, the tenant keys it moves) in
   * the switch's transaction (4), the step that cannot be undone: a log that cannot take the
   * event leaves the database on the old key, to be rolled back like any rotation stopped
   * before its switch. A call that finishes an interrupted rotation records its event before
   * it returns.
   */
  async rotateRootKey(options: RotateRootOptions = {}): Promise<RootRotationResult> {
    return auditedChange(this.auditLog, options.as, { action: 'key.rotate_root' }, (audit) => this.rotateRootKeyAudited(options, audit), rootRotationFacts);
  }

  private async rotateRootKeyAudited(options: RotateRootOptions, audit: ChangeAudit): Promise<RootRotationResult> {
    const lease = await RotationLease.acquire(this.store, options.leaseMs);
    let generated: Buffer | undefined;
    try {
      const found = lease.found;
      if (found.step === 'switched') return await this.finishUnder(lease, found, options);
      // Recorded but never switched: the database never used the staged key. Roll back.
      if (found.step === 'staged') await lease.within((trx) => lease.record(NO_ROTATION, trx));
      const legacy = await this.finishLegacyRotation(lease, options);
      if (legacy) return legacy;

      let target = this.keyring.rotationCandidate;
      if (!target) {
        if (!this.provider.rotation) {
          throw new CofferError(
            'ROTATION_UNAVAILABLE',
            `The root key comes from ${this.provider.description}, which Coffer cannot change. Generate a key with \`coffer key generate\`, set COFFER_ROOT_KEY to it and COFFER_ROOT_KEY_PREVIOUS to the current key, then run \`coffer key rotate --root\` again.`,
          );
        }
        generated = generateKey();
        target = { id: rootKeyId(generated), kcv: keyCheckValue(generated) };
        this.provider.rotation.stage(generated);
        await options.onStep?.('staged');
      }
      const to = target;
      const fromId = await lease.within(async (trx) => {
        const current = await this.keyring.lockCurrentRoot(trx, 'share');
        const used = await trx.selectFrom('root_keys').select('state').where('id', '=', to.id).executeTakeFirst();
        if (used) {
          throw new CofferError('INVALID_ARGUMENT', `The new root key ${formatRootKeyId(to.id)} has been used before (${used.state}); generate a fresh one with \`coffer key generate\`.`);
        }
        await lease.record({ step: 'staged', from_id: current.id, staged_id: to.id, staged_kcv: to.kcv, started_at: Date.now() }, trx);
        return current.id;
      });
      await options.onStep?.('recorded');

      if (generated) {
        // The switch makes current what is on disk, so read it back and check it first.
        const onDisk = this.provider.rotation!.readStaged();
        const intact = onDisk !== undefined && rootKeyId(onDisk) === to.id && matchesKeyCheckValue(onDisk, to.kcv);
        onDisk?.fill(0);
        if (!intact) {
          throw new CofferError('ROOT_KEY_MISMATCH', 'The staged root key file no longer holds the key this rotation wrote (replaced or removed); nothing was switched. Run `coffer key rotate --root` again.');
        }
      }
      await lease.within(async (trx, row) => {
        if (row.step !== 'staged' || Number(row.staged_id) !== to.id || row.staged_kcv !== to.kcv) {
          throw new CofferError('INTERNAL', 'The rotation record changed under the lease; nothing was switched.');
        }
        const current = await this.keyring.lockCurrentRoot(trx, 'update');
        if (current.id !== fromId) throw new CofferError('INTERNAL', 'The current root key changed under the rotation lease; nothing was switched.');
        await trx.updateTable('root_keys').set({ state: 'previous' }).where('id', '=', fromId).execute();
        await trx.insertInto('root_keys').values({ id: to.id, kcv: to.kcv, state: 'current', created_at: Date.now(), retired_at: null }).execute();
        await lease.record({ step: 'switched' }, trx);
        // The tenant keys the rewrap will move: every one not under the new key. New ones are
        // wrapped under it from here on (this transaction holds the current root row).
        const { n: moving } = await trx
          .selectFrom('tenant_keys')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('wrapped_key', 'is not', null)
          .where('root_key_id', '<>', to.id)
          .executeTakeFirstOrThrow();
        await audit.within(trx, rootRotationFacts({ keyId: formatRootKeyId(to.id), previousKeyId: formatRootKeyId(fromId), rewrapped: Number(moving) }));
      });
      if (generated) {
        this.keyring.adoptRootKey(to.id, generated);
        generated = undefined;
      } else {
        this.keyring.adoptRotationCandidate();
      }
      await options.onStep?.('switched');
      return await this.completeUnder(lease, { fromId, toId: to.id, kcv: to.kcv }, options);
    } catch (err) {
      // The staged file stays: if the switch committed after all (its acknowledgement lost), it is the current key.
      generated?.fill(0);
      await lease.release(false).catch(() => {});
      throw err;
    }
  }

  /**
   * At start-up: finishes a rotation that switched the database but was interrupted, or rolls
   * back one that was interrupted before the switch. A rotation still running (its lease alive)
   * is left to finish by itself; so is one this process lacks the keys to finish.
   */
  async recoverRootRotation(): Promise<void> {
    const row = await readRotation(this.store.db);
    if (!row || leaseAlive(row)) return;
    // Checked after the row: a rotation renames its staged file before it clears its record.
    const promotion = row.step === null && this.keyring.needsRootPromotion && (await this.keyring.stagedKeyIsCurrent());
    if (row.step === null && row.owner === null && !promotion) return;
    if (row.step === 'switched' && !(this.keyring.hasRootKey(Number(row.staged_id)) && this.keyring.hasRootKey(Number(row.from_id)))) return;
    let lease: RotationLease;
    try {
      lease = await RotationLease.acquire(this.store);
    } catch (err) {
      if (isCofferError(err, 'ROTATION_IN_PROGRESS')) return; // another process started first and recovers it
      throw err;
    }
    try {
      const found = lease.found;
      if (found.step === 'switched') {
        await this.finishUnder(lease, found, {});
        return;
      }
      // Never switched: roll back. The staged file is left alone (start-up never deletes a key).
      if (found.step === 'staged') await lease.within((trx) => lease.record(NO_ROTATION, trx));
      else await this.finishLegacyRotation(lease, {});
      await lease.release(true);
    } catch (err) {
      await lease.release(false).catch(() => {});
      throw err;
    }
  }

  /** Finishes a rotation whose switch committed (`found` is its record): rewrap, promote, clear. */
  private async finishUnder(lease: RotationLease, found: RootKeyRotationTable, options: RotateRootOptions): Promise<RootRotationResult> {
    const toId = Number(found.staged_id);
    this.keyring.useCurrentRoot(toId);
    return this.completeUnder(lease, { fromId: Number(found.from_id), toId, kcv: found.staged_kcv! }, options);
  }

  private async completeUnder(lease: RotationLease, r: { fromId: number; toId: number; kcv: string }, options: RotateRootOptions): Promise<RootRotationResult> {
    const rewrapped = await this.rewrapTenantKeys({
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      lease,
      ...(options.onStep ? { onBatch: () => options.onStep!('rewrapping') } : {}),
    });
    if (this.provider.rotation) {
      // Still ours right before the files change (and the expiry pushed forward).
      await lease.within(async () => {});
      this.provider.rotation.promote(r.kcv);
      this.keyring.markPromoted();
      await options.onStep?.('promoted');
    }
    await lease.release(true);
    await options.onStep?.('done');
    return { keyId: formatRootKeyId(r.toId), previousKeyId: formatRootKeyId(r.fromId), rewrapped };
  }

  /**
   * A rotation interrupted by a version of Coffer before the rotation record: tenant keys left
   * under an older root key, or a staged key file the database already uses. Finishes it.
   */
  private async finishLegacyRotation(lease: RotationLease, options: RotateRootOptions): Promise<RootRotationResult | undefined> {
    const current = await this.store.db.selectFrom('root_keys').select(['id', 'kcv']).where('state', '=', 'current').executeTakeFirst();
    if (!current) return undefined;
    const { n } = await this.store.db
      .selectFrom('tenant_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('wrapped_key', 'is not', null)
      .where('root_key_id', '<>', current.id)
      .executeTakeFirstOrThrow();
    const audit = await this.store.db.selectFrom('audit_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('root_key_id', '<>', current.id).executeTakeFirstOrThrow();
    // What start-up saw may be stale (a rotation finished since): ask the files now.
    const promote = this.keyring.needsRootPromotion && (await this.keyring.stagedKeyIsCurrent());
    if (!promote) this.keyring.markPromoted();
    if (Number(n) === 0 && Number(audit.n) === 0 && !promote) return undefined;
    this.keyring.useCurrentRoot(current.id);
    const previous = await this.store.db.selectFrom('root_keys').select('id').where('state', '=', 'previous').orderBy('created_at', 'desc').executeTakeFirst();
    const rewrapped = await this.rewrapTenantKeys({ ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}), lease });
    if (promote) {
      await lease.within(async () => {});
      this.provider.rotation?.promote(current.kcv);
      this.keyring.markPromoted();
    }
    await lease.release(true);
    return { keyId: formatRootKeyId(current.id), previousKeyId: formatRootKeyId(previous?.id ?? current.id), rewrapped };
  }

  /**
   * Rewraps every tenant key (and audit key) not under the database's current root key; used by
   * root rotation and its resumption. Returns the number of tenant keys rewrapped.
   */
  async rewrapTenantKeys(options: { batchSize?: number; onProgress?: Progress; lease?: RotationLease; onBatch?: () => void | Promise<void> } = {}): Promise<number> {
    const batch = options.batchSize ?? DEFAULT_BATCH;
    const current = this.keyring.rootKeyId;
    const db = this.store.db;
    const pending = () => db.selectFrom('tenant_keys').where('wrapped_key', 'is not', null).where('root_key_id', '<>', current);
    const { n: total } = await pending().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    let done = 0;
    options.onProgress?.(0, Number(total));
    // The audit keys first, in the same pass: a handful of rows, one transaction.
    options.lease?.check();
    await rewrapAuditKeys(this.store, this.keyring, current);
    for (;;) {
      options.lease?.check();
      const rows = await pending().select(['tenant_id', 'version', 'root_key_id', 'wrapped_key']).limit(batch).execute();
      if (rows.length === 0) break;
      await this.store.writeTransaction(async (trx) => {
        for (const r of rows) {
          const key = this.keyring.unwrapTenantKey(r.tenant_id, r.version, r.wrapped_key!);
          let wrapped: Buffer;
          try {
            wrapped = this.keyring.wrapTenantKey(r.tenant_id, r.version, key, current);
          } finally {
            key.fill(0);
          }
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
      await options.onBatch?.();
    }
    return done;
  }

  /**
   * Retires a key that nothing uses any more: its wrapped form is wiped for good. Audited as
   * `key.retire` (in the key's tenant, for a tenant key), in the transaction that retires it.
   */
  async retire(keyId: string, options: Acting = {}): Promise<RetireResult> {
    // Text that is not a key id is refused before anything is recorded: it may be a pasted key.
    const parsed = parseKeyId(keyId);
    return auditedChange(this.auditLog, options.as, { action: 'key.retire', tenant: parsed.kind === 'tenant' ? parsed.tenant : null, target: keyId }, (audit) =>
      this.retireAudited(keyId, parsed, audit),
    );
  }

  private async retireAudited(keyId: string, parsed: ParsedKeyId, audit: ChangeAudit): Promise<RetireResult> {
    if (parsed.kind === 'root') {
      await this.store.writeTransaction(async (trx) => {
        const row = await trx.selectFrom('root_keys').select(['id', 'state']).where('id', '=', parsed.id).executeTakeFirst();
        if (!row) throw new CofferError('KEY_NOT_FOUND', `Root key ${keyId} is not known.`);
        if (row.state === 'current') throw new CofferError('KEY_ACTIVE', `Root key ${keyId} is the current root key; rotate it first.`);
        if (row.state !== 'retired') {
          const { n } = await trx.selectFrom('tenant_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('root_key_id', '=', parsed.id).where('wrapped_key', 'is not', null).executeTakeFirstOrThrow();
          if (Number(n) > 0) throw new CofferError('KEY_IN_USE', `Root key ${keyId} still wraps ${n} tenant key(s); run \`coffer key rotate --root\` to finish the rotation first.`, { uses: Number(n) });
          // The audit keys too: retiring their root key would leave the audit chain unverifiable.
          const audit = await trx.selectFrom('audit_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('root_key_id', '=', parsed.id).executeTakeFirstOrThrow();
          if (Number(audit.n) > 0) throw new CofferError('KEY_IN_USE', `Root key ${keyId} still wraps ${audit.n} audit key(s); run \`coffer key rotate --root\` to finish the rotation first.`, { uses: Number(audit.n) });
        }
        // Rewrapped but not yet promoted: the key file may still be the only copy of this key.
        const rotation = await readRotation(trx);
        if (rotation?.step && (Number(rotation.from_id) === parsed.id || Number(rotation.staged_id) === parsed.id)) {
          throw new CofferError('ROTATION_IN_PROGRESS', `A root rotation from ${keyId} is not finished yet; let it finish (or run \`coffer key rotate --root\` to finish it), then retire the key.`);
        }
        // Retiring a retired key again changes nothing, but is recorded like the first time.
        if (row.state !== 'retired') await trx.updateTable('root_keys').set({ state: 'retired', retired_at: Date.now() }).where('id', '=', parsed.id).execute();
        await audit.within(trx);
      });
      this.keyring.dropRootKey(parsed.id);
      // No tenant key is under it any more: its copy in root.key.previous may go now.
      const keyFile = this.provider.rotation?.forget(parsed.id);
      return keyFile ? { keyId, keyFile } : { keyId };
    }
    const { tenant, version } = parsed;
    await this.store.writeTransaction(async (trx) => {
      let q = trx.selectFrom('tenant_keys').select(['version', 'state']).where('tenant_id', '=', tenant).where('version', '=', version);
      if (this.store.dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) throw new CofferError('KEY_NOT_FOUND', `Tenant key ${keyId} is not known.`);
      if (row.state === 'retired') return audit.within(trx);
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
      await audit.within(trx);
    });
    this.keyring.forgetTenantKey(tenant, version);
    return { keyId };
  }
}

function rotationStatus(row: RootKeyRotationTable | undefined): RootRotationStatus | null {
  if (!row || (row.step === null && row.owner === null)) return null;
  const ref = (id: number | null) => (id === null ? null : formatRootKeyId(Number(id)));
  return {
    state: row.step ?? 'starting',
    owner: row.owner,
    running: leaseAlive(row),
    leaseUntil: row.lease_until === null ? null : new Date(row.lease_until),
    fromKeyId: ref(row.from_id),
    toKeyId: ref(row.staged_id),
  };
}
