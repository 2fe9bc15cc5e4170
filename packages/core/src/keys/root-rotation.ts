/**
 * The root key rotation lease: one row (`root_key_rotation`, id 1) that lets one process at a
 * time rotate the root key, and records where its rotation stands so that whoever starts next
 * can finish it or roll it back.
 *
 * The lease has an owner (`host:pid:random`), an expiry the owner keeps pushing forward (the
 * heartbeat), and a fence number that grows with every acquisition. Every step of a rotation
 * commits in a transaction that first checks owner and fence, so a rotator that lost its lease
 * (paused past the expiry, then taken over) cannot commit anything more. On PostgreSQL those
 * transactions also take a transaction-level advisory lock, so lease changes queue instead of
 * racing on the row.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { CofferError } from '../errors.js';
import type { Store } from '../store/database.js';
import type { Database, RootKeyRotationTable } from '../store/schema.js';

/** Steps of a root rotation, in order, as reported to `onStep`. `staged` and `promoted` happen with a key file only. */
export type RootRotationStep = 'staged' | 'recorded' | 'switched' | 'rewrapping' | 'promoted' | 'done';

/** How long a lease lasts without a heartbeat. A rotation renews it every third of this. */
export const DEFAULT_ROTATION_LEASE_MS = 60_000;

/** pg_advisory_xact_lock key of root rotation ("CofferRR" in ASCII). */
const ADVISORY_LOCK = sql`4859215112930742866`;

export async function readRotation(db: Kysely<Database>): Promise<RootKeyRotationTable | undefined> {
  return db.selectFrom('root_key_rotation').selectAll().where('id', '=', 1).executeTakeFirst();
}

const HOST = hostname();

/**
 * Whether the lease in `row` still belongs to a running rotation. A lease past its expiry is
 * dead. So is one whose owner is a process on this host that no longer exists (a rotation
 * killed with SIGKILL is taken over at once, not after the expiry); a process elsewhere is
 * trusted until its lease expires.
 */
export function leaseAlive(row: Pick<RootKeyRotationTable, 'owner' | 'lease_until'>, now = Date.now()): boolean {
  if (!row.owner || row.lease_until === null || row.lease_until <= now) return false;
  const [host, pidText] = row.owner.split(':');
  const pid = Number(pidText);
  if (host !== HOST || !Number.isInteger(pid) || pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeOwner(row: RootKeyRotationTable): string {
  const [host, pid] = (row.owner ?? '').split(':');
  const until = row.lease_until === null ? '' : `; its lease runs until ${new Date(row.lease_until).toISOString()}`;
  return `process ${pid ?? '?'} on ${host ?? '?'}${until}`;
}

/** The row with a write lock on it, inside a write transaction. */
async function lockRow(trx: Kysely<Database>, store: Store): Promise<RootKeyRotationTable> {
  if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK})`.execute(trx);
  let q = trx.selectFrom('root_key_rotation').selectAll().where('id', '=', 1);
  if (store.dialect === 'postgres') q = q.forUpdate();
  let row = await q.executeTakeFirst();
  if (!row) {
    // The migration inserts it; a hand-cleaned table gets it back here.
    await trx.insertInto('root_key_rotation').values({ id: 1, fence: 0, owner: null, lease_until: null, heartbeat_at: null, step: null, from_id: null, staged_id: null, staged_kcv: null, started_at: null }).execute();
    row = await q.executeTakeFirstOrThrow();
  }
  return row;
}

export class RotationLease {
  private timer: NodeJS.Timeout | undefined;
  /** Set when a heartbeat found the lease taken over; every later step fails with it. */
  private lost: CofferError | undefined;

  private constructor(
    private readonly store: Store,
    readonly owner: string,
    readonly fence: number,
    private readonly leaseMs: number,
    /** The row as it was when the lease was taken: what a previous rotation left. */
    readonly found: RootKeyRotationTable,
  ) {}

  /** Takes the lease, or throws ROTATION_IN_PROGRESS while another live process holds it. */
  static async acquire(store: Store, leaseMs = DEFAULT_ROTATION_LEASE_MS): Promise<RotationLease> {
    const owner = `${HOST}:${process.pid}:${randomBytes(4).toString('hex')}`;
    const lease = await store.writeTransaction(async (trx) => {
      const row = await lockRow(trx, store);
      const now = Date.now();
      if (leaseAlive(row, now)) {
        throw new CofferError('ROTATION_IN_PROGRESS', `The root key is being rotated by ${describeOwner(row)}. Wait for it to finish (\`coffer key status\` shows it), then run this again.`, {
          owner: row.owner,
          leaseUntil: row.lease_until,
        });
      }
      const fence = Number(row.fence) + 1;
      await trx.updateTable('root_key_rotation').set({ owner, fence, lease_until: now + leaseMs, heartbeat_at: now }).where('id', '=', 1).execute();
      return new RotationLease(store, owner, fence, leaseMs, row);
    });
    lease.timer = setInterval(() => {
      lease.within(async () => {}).catch((err: unknown) => {
        if (err instanceof CofferError && err.code === 'ROTATION_IN_PROGRESS') lease.lost = err;
      });
    }, Math.max(50, Math.floor(leaseMs / 3)));
    lease.timer.unref();
    return lease;
  }

  /** Throws if a heartbeat found the lease gone. */
  check(): void {
    if (this.lost) throw this.lost;
  }

  /**
   * Runs `fn` in a write transaction that holds the rotation row locked, after checking that
   * this lease is still the current one, and pushes the expiry forward.
   */
  async within<T>(fn: (trx: Kysely<Database>, row: RootKeyRotationTable) => Promise<T>): Promise<T> {
    this.check();
    return this.store.writeTransaction(async (trx) => {
      const row = await lockRow(trx, this.store);
      if (row.owner !== this.owner || Number(row.fence) !== this.fence) {
        this.lost = new CofferError('ROTATION_IN_PROGRESS', `This root rotation lost its lease to ${describeOwner(row)}, which finishes or rolls it back; nothing more was changed here.`);
        throw this.lost;
      }
      const now = Date.now();
      await trx.updateTable('root_key_rotation').set({ lease_until: now + this.leaseMs, heartbeat_at: now }).where('id', '=', 1).execute();
      return fn(trx, row);
    });
  }

  /** Records a step of the rotation (what the next starter acts on). */
  record(values: Partial<Pick<RootKeyRotationTable, 'step' | 'from_id' | 'staged_id' | 'staged_kcv' | 'started_at'>>, trx: Kysely<Database>): Promise<unknown> {
    return trx.updateTable('root_key_rotation').set(values).where('id', '=', 1).execute();
  }

  /**
   * Gives the lease up. With `clear`, the rotation is over (finished or rolled back) and its
   * record goes too; without, the record stays for the next starter to act on.
   */
  async release(clear: boolean): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store.writeTransaction(async (trx) => {
      const row = await lockRow(trx, this.store);
      if (row.owner !== this.owner || Number(row.fence) !== this.fence) return;
      await trx
        .updateTable('root_key_rotation')
        .set({ owner: null, lease_until: null, ...(clear ? { step: null, from_id: null, staged_id: null, staged_kcv: null, started_at: null } : {}) })
        .where('id', '=', 1)
        .execute();
    });
  }
}
