/**
 * Tenants: each owns its keys and secrets. Creating one creates its first key; deleting one
 * wipes its keys first (crypto-shredding), then its rows, in one transaction.
 */
import { CofferError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { Store } from '../store/database.js';
import { purgeFreedPages } from '../vault/secrets.js';
import { checkTenantId, checkText } from '../vault/values.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditedChange, type Acting, type ChangeAudit } from '../audit/audited.js';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Date;
  secretCount: number;
}

export class Tenants {
  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly auditLog: AuditLog,
    /** Called after a tenant is deleted, to drop what other parts hold of it in memory. */
    private readonly onDeleted: (tenant: string) => void = () => {},
  ) {}

  /** Creates a tenant and its first key; audited as `tenant.create`. */
  async create(id: string, options: { name?: string } & Acting = {}): Promise<Tenant> {
    // A malformed id is refused before anything is recorded: caller text stays out of the log.
    checkTenantId(id);
    return auditedChange(this.auditLog, options.as, { action: 'tenant.create', tenant: id, target: id }, (audit) => this.createAudited(id, options.name, audit));
  }

  private async createAudited(id: string, requestedName: string | undefined, audit: ChangeAudit): Promise<Tenant> {
    const name = checkText(requestedName ?? id, 'A tenant name', 200);
    const now = Date.now();
    let created: { key: Buffer; wrapped: Buffer } | undefined;
    const result: Tenant = { id, name, createdAt: new Date(now), secretCount: 0 };
    try {
      await this.store.writeTransaction(async (trx) => {
        const exists = await trx.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst();
        if (exists) throw new CofferError('TENANT_EXISTS', `Tenant "${id}" already exists.`);
        // Share-locks the current root key row (PostgreSQL): a root switch waits for this
        // transaction, so its rewrap cannot miss the tenant key committed here.
        const { key, wrapped, rootKeyId } = await this.keyring.createTenantKey(trx, id, 1);
        created = { key, wrapped };
        await trx.insertInto('tenants').values({ id, name, created_at: now }).execute();
        await trx
          .insertInto('tenant_keys')
          .values({ tenant_id: id, version: 1, root_key_id: rootKeyId, wrapped_key: wrapped, state: 'active', created_at: now, retired_at: null })
          .execute();
        await audit.within(trx);
      });
    } catch (err) {
      created?.key.fill(0);
      // Two creators racing past the check on PostgreSQL: the primary key decides.
      if (!(err instanceof CofferError) && /unique|duplicate/i.test(String((err as Error).message))) {
        throw new CofferError('TENANT_EXISTS', `Tenant "${id}" already exists.`);
      }
      throw err;
    }
    this.keyring.remember(id, 1, created!.key, created!.wrapped);
    return result;
  }

  async get(id: string): Promise<Tenant> {
    checkTenantId(id);
    const row = await this.store.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${id}" does not exist.`);
    const count = await this.store.db.selectFrom('secrets').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', id).executeTakeFirstOrThrow();
    return { id: row.id, name: row.name, createdAt: new Date(row.created_at), secretCount: Number(count.n) };
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.store.db
      .selectFrom('tenants as t')
      .leftJoin('secrets as s', 's.tenant_id', 't.id')
      .select(['t.id', 't.name', 't.created_at'])
      .select((eb) => eb.fn.count<number>('s.id').as('n'))
      .groupBy(['t.id', 't.name', 't.created_at'])
      .orderBy('t.id')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: new Date(r.created_at), secretCount: Number(r.n) }));
  }

  /**
   * Deletes a tenant for good. Its wrapped keys are overwritten before the rows go, so even a
   * backup taken later holds nothing that decrypts its secrets.
   */
  async delete(id: string, options: Acting = {}): Promise<void> {
    checkTenantId(id);
    await auditedChange(this.auditLog, options.as, { action: 'tenant.delete', tenant: id, target: id }, (audit) => this.deleteAudited(id, audit));
  }

  private async deleteAudited(id: string, audit: ChangeAudit): Promise<void> {
    await this.store.writeTransaction(async (trx) => {
      const row = await trx.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst();
      if (!row) throw new CofferError('TENANT_NOT_FOUND', `Tenant "${id}" does not exist.`);
      await trx.updateTable('tenant_keys').set({ wrapped_key: null, state: 'retired', retired_at: Date.now() }).where('tenant_id', '=', id).execute();
      await trx.deleteFrom('secret_versions').where('tenant_id', '=', id).execute();
      await trx.deleteFrom('secrets').where('tenant_id', '=', id).execute();
      await trx.deleteFrom('tenant_keys').where('tenant_id', '=', id).execute();
      await trx.deleteFrom('tenants').where('id', '=', id).execute();
      await audit.within(trx);
    });
    this.keyring.forgetTenant(id);
    this.onDeleted(id);
    purgeFreedPages(this.store);
  }
}
