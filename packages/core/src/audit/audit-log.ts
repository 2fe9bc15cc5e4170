/**
 * The audit log: append-only and hash-chained. Each event's hash (an HMAC under the audit key,
 * see audit-chain.ts) covers its content and the previous event's hash, so an edited, deleted
 * or reordered event breaks the chain at that point and `verify` names it. A one-row head
 * (newest seq and hash) is locked by every writer, which orders appends across processes and
 * exposes events cut from the end.
 *
 * Appends are durable when their promise resolves. Concurrent appends share commits (group
 * commit): while one transaction is being written, new events queue up and go together in
 * the next, so durability does not cap throughput.
 *
 * A change's events are written in the change's own transaction (`appendWithin`), so the two
 * commit together or not at all. On PostgreSQL they go straight into the chain: one database,
 * one transaction. On SQLite the chain lives in a file of its own (fast reads under audit
 * load, see store/database.ts), and a transaction over two WAL files is not atomic across a
 * host crash; so a change's events go to the outbox in the main file, in the change's
 * transaction, and are moved into the chain, in order, once it has committed and before the
 * change is acknowledged (`drainOutbox`). A move that fails leaves them in the outbox, durable,
 * for the next write or the next start, which drains the outbox before serving.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CofferError } from '../errors.js';
import type { Store } from '../store/database.js';
import type { AuditEventsTable, Database } from '../store/schema.js';
import { CoalescedRun } from '../store/coalesced-run.js';
import { chainRows, eventHash, GENESIS_HASH, type AuditKey, type AuditKeySet, type EventContent } from './audit-chain.js';
import {
  moveSqliteOutbox,
  prepareOutboxStatements,
  prepareSqliteStatements,
  removeMovedOutbox,
  writeSqliteBatch,
  type SqliteAuditStatements,
  type SqliteOutboxStatements,
} from './sqlite-audit-batch.js';
import type { AuditAction } from './audit-actions.js';

export { AUDIT_ACTIONS, isAuditAction, type AuditAction } from './audit-actions.js';

export { eventHash, GENESIS_HASH, type AuditKey, type AuditKeySet } from './audit-chain.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';
export type AuditDetailValue = string | number | boolean | null;

export interface AuditEventInput {
  /** Token id, or `cli` / `library` / `anonymous`; never a token. */
  actor: string;
  /** Dotted verb, e.g. `secret.reveal`, `token.create`, `auth.failure`: one of {@link AuditAction}. */
  action: AuditAction;
  tenant?: string | null;
  /** What was acted on: a secret name, token id or key id. Never a value. */
  target?: string | null;
  outcome: AuditOutcome;
  /** The error code when the outcome is not success. */
  code?: string | null;
  ip?: string | null;
  requestId?: string | null;
  /** Small non-secret facts (a version number, a count). */
  details?: Record<string, AuditDetailValue>;
}

export interface AuditEvent {
  seq: number;
  id: string;
  at: Date;
  actor: string;
  action: string;
  tenant: string | null;
  target: string | null;
  outcome: AuditOutcome;
  code: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, AuditDetailValue>;
  hash: string;
}

export interface AuditQuery {
  tenant?: string;
  action?: string;
  actor?: string;
  target?: string;
  outcome?: AuditOutcome;
  since?: Date;
  until?: Date;
  /** Cursor: continue with events older than this seq. */
  before?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface AuditPage {
  items: AuditEvent[];
  nextCursor: number | null;
}

export interface VerifyResult {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first event where the chain breaks, and how. */
  firstBroken: { seq: number; reason: string } | null;
  /**
   * The checked events in runs: plain SHA-256 (`keyed: false`, a log from before audit keys)
   * then HMAC under an audit key (`keyed: true`, one run per key version).
   */
  segments: VerifySegment[];
}

export type VerifySegment = { from: number; to: number; keyed: false } | { from: number; to: number; keyed: true; keyVersion: number };

const MAX_BATCH = 500;
const MAX_FIELD = 300;

function toEvent(row: AuditEventsTable, details?: Record<string, AuditDetailValue>): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    at: new Date(row.at),
    actor: row.actor,
    action: row.action,
    tenant: row.tenant_id,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    code: row.code,
    ip: row.ip,
    requestId: row.request_id,
    details: details ?? (JSON.parse(row.details) as Record<string, AuditDetailValue>),
    hash: row.hash,
  };
}

// The cause (a driver error) stays out of the message: it may quote the statement.
const auditUnavailable = () => new CofferError('AUDIT_UNAVAILABLE', 'The audit log could not be written, so the operation was refused. Check the database and retry.');

interface Pending {
  readonly row: EventContent;
  /** The cleaned details as an object, so a committed event needs no JSON.parse. */
  readonly details?: Record<string, AuditDetailValue>;
  resolve(event: AuditEvent): void;
  reject(err: unknown): void;
}

export interface AuditLogOptions {
  /** Called after each committed batch with its size (for metrics). */
  onCommit?: (events: number) => void;
  /**
   * The audit keys (keys/audit-keys.ts) that MAC the chain; createCoffer always passes them.
   * Without them events are plain SHA-256, as before audit keys: only for tests of that older
   * log. Verification without them refuses keyed events; with them, unkeyed events after the
   * keyed start (a chain re-hashed by someone without the root key).
   */
  keys?: AuditKeySet;
  /**
   * @internal For crash tests (a child process kills itself there): right after a change with
   * events has committed (on SQLite before they are moved out of the outbox; on PostgreSQL they
   * are in the chain already); and, SQLite only, right after a move's chain commit is durable,
   * before its outbox rows are deleted.
   */
  crashPoints?: { afterChangeCommit?: () => void; afterChainCommit?: () => void };
}

/**
 * Event fields often come straight from a request (a path segment, a filter). They are made
 * storable whatever they hold: bounded, and without NUL, which PostgreSQL text refuses, so a
 * hostile request cannot make an event unwritable.
 */
function clean(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD)}…` : value;
  return text.includes('\u0000') || !text.isWellFormed() ? text.toWellFormed().replaceAll('\u0000', '\ufffd') : text;
}

function cleanDetails(input: AuditEventInput): Record<string, AuditDetailValue> {
  const details: Record<string, AuditDetailValue> = {};
  for (const [k, v] of Object.entries(input.details ?? {})) details[clean(k)!] = typeof v === 'string' ? clean(v) : v;
  return details;
}

function toRow(input: AuditEventInput, details = cleanDetails(input)): Pending['row'] {
  return {
    id: randomUUID(),
    at: Date.now(),
    actor: clean(input.actor)!,
    action: clean(input.action)!,
    tenant_id: clean(input.tenant),
    target: clean(input.target),
    outcome: input.outcome,
    code: clean(input.code),
    ip: clean(input.ip),
    request_id: clean(input.requestId),
    details: JSON.stringify(details),
  };
}

/** Numbers the batch after `head` and links each event to the one before it. */
function chain(head: { seq: number; hash: string }, batch: Pending[], keys: AuditKeySet | undefined): AuditEventsTable[] {
  return chainRows(head, batch.map((p) => p.row), keys?.current);
}

export class AuditLog {
  private queue: Pending[] = [];
  private flushing = false;
  private sqliteStatements: SqliteAuditStatements | undefined;
  private outboxStatements: SqliteOutboxStatements | undefined;
  private readonly drains = new CoalescedRun(() => this.drainAll());
  private drainFailures = 0;

  constructor(
    private readonly store: Store,
    private readonly options: AuditLogOptions = {},
  ) {}

  /** Appends an event; resolves once it is committed. Rejects with AUDIT_UNAVAILABLE otherwise. */
  append(input: AuditEventInput): Promise<AuditEvent> {
    const details = cleanDetails(input);
    const row = toRow(input, details);
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ row, details, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // Let the requests whose I/O is already waiting append their events first, so a batch
        // holds everything that arrived in this turn of the event loop, not just the first.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.commit(batch);
        } catch {
          // One event that cannot be stored must not fail the others it was batched with:
          // write them one by one, so only the bad one (if any) is refused.
          if (batch.length > 1) for (const p of batch) await this.commit([p]).catch(() => {});
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Appends an event inside the caller's write transaction, so the change it records and the
   * event commit together or not at all: a change whose event cannot be written is rolled back.
   * On SQLite the event is in the chain when writeTransaction resolves (see the outbox above).
   */
  async appendWithin(trx: Kysely<Database>, input: AuditEventInput): Promise<void> {
    await this.appendManyWithin(trx, [input]);
  }

  /** {@link appendWithin} for several events: one head lock and one insert for them all. */
  async appendManyWithin(trx: Kysely<Database>, inputs: readonly AuditEventInput[]): Promise<void> {
    if (inputs.length === 0) return;
    if (this.store.dialect === 'sqlite') return this.appendToOutbox(trx, inputs);
    try {
      const rows = chain(
        await this.lockHead(trx),
        inputs.map((input) => ({ row: toRow(input), resolve: () => {}, reject: () => {} })),
        this.options.keys,
      );
      // Bounded statements: at most 64 rows (896 parameters) per insert.
      for (let i = 0; i < rows.length; i += 64) await trx.insertInto('audit_events').values(rows.slice(i, i + 64)).execute();
      const last = rows[rows.length - 1]!;
      await trx.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).where('id', '=', 1).execute();
      const crash = this.options.crashPoints?.afterChangeCommit;
      if (crash) this.store.afterCommit(trx, async () => crash());
    } catch {
      throw auditUnavailable();
    }
    this.options.onCommit?.(inputs.length);
  }

  /**
   * SQLite: the events go to the outbox in the main file, in the change's transaction, and are
   * moved into the chain once it commits (before writeTransaction resolves). The commit's own
   * fsync (main is synchronous FULL) makes the change and its events durable together.
   */
  private async appendToOutbox(trx: Kysely<Database>, inputs: readonly AuditEventInput[]): Promise<void> {
    try {
      this.store.afterCommit(trx, this.drainAfterCommit);
      // Read under the change's write lock: if a crashed move chains these events, it is after this.
      const head = await trx.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
      if (!head) throw new CofferError('INTERNAL', 'The audit head row is missing.');
      const rows = inputs.map((input) => {
        const { id, ...content } = toRow(input);
        return { head_seq: head.seq, event_id: id, ...content };
      });
      // Bounded statements: at most 64 rows (768 parameters) per insert.
      for (let i = 0; i < rows.length; i += 64) await trx.insertInto('audit_outbox').values(rows.slice(i, i + 64)).execute();
    } catch {
      throw auditUnavailable();
    }
    // onCommit is called by the move into the chain, which is when these events are committed to it.
  }

  /**
   * After a change's commit. Its events are durable in the outbox already, so a failed move does
   * not turn the committed change into an error: they stay there for the next drain (the next
   * write, or the next start), counted in {@link outboxDrainFailures} and {@link pendingOutbox}.
   */
  private readonly drainAfterCommit = async (): Promise<void> => {
    this.options.crashPoints?.afterChangeCommit?.();
    try {
      await this.drainOutbox();
    } catch {
      this.drainFailures += 1;
    }
  };

  /**
   * Moves the outbox (SQLite) into the chain, oldest first, and resolves with how many events it
   * chained; rejects with AUDIT_UNAVAILABLE when it cannot. Start-up calls it before serving.
   * PostgreSQL has nothing to move. Safe from any number of processes at once: each move
   * write-locks both files, and skips events a crashed drain had chained already.
   */
  drainOutbox(): Promise<number> {
    if (this.store.dialect !== 'sqlite') return Promise.resolve(0);
    // A move running now may have read the outbox before the caller's change committed.
    return this.drains.run();
  }

  /** Events held in the outbox, not yet in the chain (0 on PostgreSQL): above 0 only while moves fail. */
  async pendingOutbox(): Promise<number> {
    if (this.store.dialect !== 'sqlite') return 0;
    return this.store.withSqliteWriter((handle) => this.outbox(handle).count.get()!.n);
  }

  /** Moves after a change's commit that failed in this process (their events wait in the outbox). */
  get outboxDrainFailures(): number {
    return this.drainFailures;
  }

  private async drainAll(): Promise<number> {
    let chained = 0;
    for (;;) {
      let lastId: number;
      let read: number;
      let count: number;
      try {
        // Synchronously on the write handle, like the read path's batches, so the two
        // interleave in commit order on the one chain head.
        const move = await this.store.withSqliteWriter((handle) =>
          moveSqliteOutbox(handle, (this.sqliteStatements ??= prepareSqliteStatements(handle)), this.outbox(handle), MAX_BATCH, this.options.keys?.current),
        );
        if (!move) return chained;
        ({ lastId, read } = move);
        count = move.chained.length;
        // Durable in the chain before the outbox lets go of them. Never deleted in the chain's
        // own transaction: over two files, a crash could keep the delete and lose the events.
        await this.store.syncAuditLog();
        this.options.crashPoints?.afterChainCommit?.();
        await this.store.withSqliteWriter((handle) => removeMovedOutbox(handle, this.outbox(handle), lastId));
      } catch {
        throw auditUnavailable();
      }
      chained += count;
      if (count > 0) this.options.onCommit?.(count);
      if (read < MAX_BATCH) return chained;
    }
  }

  private outbox(handle: Parameters<typeof prepareOutboxStatements>[0]): SqliteOutboxStatements {
    return (this.outboxStatements ??= prepareOutboxStatements(handle));
  }

  /** Writes a batch and settles its promises; a failure of a single event rejects it. */
  private async commit(batch: Pending[]): Promise<void> {
    let written: AuditEventsTable[];
    try {
      written = await this.write(batch);
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(auditUnavailable());
      throw err;
    }
    try {
      // Committed; now durable before anyone is told. A failed flush refuses the whole batch
      // (fail closed) without writing it again: the events are in the log already.
      await this.store.syncAuditLog();
    } catch {
      for (const p of batch) p.reject(auditUnavailable());
      return;
    }
    batch.forEach((p, i) => p.resolve(toEvent(written[i]!, p.details)));
    this.options.onCommit?.(batch.length);
  }

  private async write(batch: Pending[]): Promise<AuditEventsTable[]> {
    if (this.store.dialect === 'sqlite') {
      const contents = batch.map((p) => p.row);
      // Synchronously on the write handle; the commit writes the WAL without waiting for the
      // disk, and commit() then flushes it off the event loop. A writer thread was measured
      // against this: the hand-off cost more than the fsync it moved off the request thread
      // (p99 18-23 ms there against 13-16 ms here in alternating runs of bench/service.bench.mjs).
      return this.store.withSqliteWriter((handle) => writeSqliteBatch(handle, (this.sqliteStatements ??= prepareSqliteStatements(handle)), contents, this.options.keys?.current));
    }
    // PostgreSQL: four round trips a batch (begin, lock the head, insert the events and move the
    // head in one statement, commit), each a statement the server has already planned.
    return this.store.preparedTransaction(async (query) => {
      const [head] = await query<{ seq: number; hash: string }>('coffer_audit_head', 'select seq, hash from audit_head where id = 1 for update', []);
      if (!head) throw new CofferError('INTERNAL', 'The audit head row is missing.');
      const rows = chain(head, batch, this.options.keys);
      const last = rows[rows.length - 1]!;
      const values: unknown[] = [];
      const tuples = rows.map((r) => {
        const base = values.length;
        values.push(r.seq, r.id, r.at, r.actor, r.action, r.tenant_id, r.target, r.outcome, r.code, r.ip, r.request_id, r.details, r.prev_hash, r.hash, r.key_version);
        return `(${Array.from({ length: 15 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
      });
      values.push(last.seq, last.hash);
      const n = values.length;
      await query(
        rows.length <= 64 ? `coffer_audit_insert_${rows.length}` : undefined,
        `with inserted as (insert into audit_events (seq, id, at, actor, action, tenant_id, target, outcome, code, ip, request_id, details, prev_hash, hash, key_version) values ${tuples.join(', ')}) update audit_head set seq = $${n - 1}, hash = $${n} where id = 1`,
        values,
      );
      return rows;
    });
  }

  private async lockHead(trx: Kysely<Database>): Promise<{ seq: number; hash: string }> {
    let q = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
    if (this.store.dialect === 'postgres') q = q.forUpdate();
    const head = await q.executeTakeFirst();
    if (!head) throw new CofferError('INTERNAL', 'The audit head row is missing.');
    return head;
  }

  /** Events newest first, filtered, a page at a time. */
  async list(query: AuditQuery = {}): Promise<AuditPage> {
    for (const v of [query.tenant, query.action, query.actor, query.target]) {
      if (v !== undefined && (typeof v !== 'string' || v.includes('\u0000') || v.length > 1000)) {
        throw new CofferError('INVALID_ARGUMENT', 'Audit filters are text of at most 1000 characters, without NUL.');
      }
    }
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CofferError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 1000.');
    let q = this.store.db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(limit + 1);
    if (query.tenant !== undefined) q = q.where('tenant_id', '=', query.tenant);
    if (query.action !== undefined) q = q.where('action', '=', query.action);
    if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
    if (query.target !== undefined) q = q.where('target', '=', query.target);
    if (query.outcome !== undefined) q = q.where('outcome', '=', query.outcome);
    if (query.since !== undefined) q = q.where('at', '>=', query.since.getTime());
    if (query.until !== undefined) q = q.where('at', '<', query.until.getTime());
    if (query.before !== undefined) q = q.where('seq', '<', query.before);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    return { items: page.map((r) => toEvent(r)), nextCursor: rows.length > limit ? page[page.length - 1]!.seq : null };
  }

  /** Walks the whole chain and names the first event where it breaks. */
  async verify(options: { onProgress?: (checked: number, total: number) => void } = {}): Promise<VerifyResult> {
    const db = this.store.db;
    const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    const total = head.seq;
    let expectedSeq = 1;
    let prev = GENESIS_HASH;
    let checked = 0;
    const keys = this.options.keys;
    // Without the keys, every event must be of the unkeyed log.
    const firstKeyed = keys ? keys.firstSeq + 1 : Number.POSITIVE_INFINITY;
    const segments: VerifySegment[] = [];
    const broken = (seq: number, reason: string): VerifyResult => ({ ok: false, checked, firstBroken: { seq, reason }, segments });
    // Events are checked up to the head read above: appends that commit while we walk are not
    // part of this verification (the head and its events are always committed together).
    for (;;) {
      const rows = await db.selectFrom('audit_events').selectAll().where('seq', '>=', expectedSeq).where('seq', '<=', head.seq).orderBy('seq').limit(1000).execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.seq !== expectedSeq) return broken(expectedSeq, `event ${expectedSeq} is missing (deleted)`);
        if (row.prev_hash !== prev) return broken(row.seq, `event ${row.seq} does not follow event ${row.seq - 1} (deleted, reordered or replaced)`);
        const { hash, prev_hash: _prev, key_version: keyVersion, ...content } = row;
        const version = keyVersion === null ? null : Number(keyVersion);
        let key: AuditKey | undefined;
        if (version === null) {
          // An unkeyed event past the keyed start: the chain was re-hashed without the audit key.
          if (row.seq >= firstKeyed) return broken(row.seq, `event ${row.seq} is not keyed (re-hashed without the audit key, or altered)`);
        } else {
          key = keys?.get(version);
          if (!key) return broken(row.seq, keys ? `event ${row.seq} names audit key version ${version}, which is not known` : `event ${row.seq} is keyed; verifying it needs the audit key`);
          if (row.seq < firstKeyed) return broken(row.seq, `event ${row.seq} is keyed but precedes the audit key (altered)`);
        }
        if (eventHash(prev, content, key) !== hash) return broken(row.seq, `event ${row.seq} was altered after it was written`);
        const last = segments[segments.length - 1];
        const sameRun = last && (version === null ? !last.keyed : last.keyed && last.keyVersion === version);
        if (sameRun) last.to = row.seq;
        else segments.push(version === null ? { from: row.seq, to: row.seq, keyed: false } : { from: row.seq, to: row.seq, keyed: true, keyVersion: version });
        prev = hash;
        expectedSeq += 1;
        checked += 1;
      }
      options.onProgress?.(checked, total);
    }
    if (head.seq !== expectedSeq - 1 || head.hash !== prev) {
      return broken(expectedSeq, head.seq > expectedSeq - 1 ? `events ${expectedSeq} to ${head.seq} are missing (cut from the end)` : 'the chain head does not match the last event');
    }
    return { ok: true, checked, firstBroken: null, segments };
  }
}
