/**
 * The checkpoint writer of `coffer serve` (COFFER_AUDIT_CHECKPOINT_DIR): a signed audit
 * checkpoint every `everyEvents` events or `intervalMs`, whichever comes first, only when the
 * head moved, and a last one when the app closes. A failure is logged and counted and retried at
 * the next trigger; it never takes the server down (an audit that cannot be anchored is an alarm,
 * not an outage).
 *
 * Events are counted by `noteEvents`, called from the audit commit hook: one addition per
 * committed batch, nothing on the request path. Events written by other replicas move the head
 * too, and the timer picks them up.
 */
import { assertCheckpointDirAllowed, type Coffer, type WrittenCheckpoint } from '@coffer/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';

export interface AuditCheckpointJobOptions {
  /** Where checkpoints are written; refused inside the data directory. */
  dir: string;
  /** Default 1000. */
  everyEvents?: number;
  /** Default 60 s. */
  intervalMs?: number;
}

export interface AuditCheckpointJob {
  readonly dir: string;
  /** Counts committed audit events; a checkpoint follows once `everyEvents` have been. */
  noteEvents(n: number): void;
  /** A checkpoint now (what the API route calls); throws when it cannot be written. */
  writeNow(): Promise<WrittenCheckpoint>;
  /** Stops the timer, waits for a write in progress, then writes a last checkpoint if the head moved. */
  stop(): Promise<void>;
  readonly stats: { readonly written: number; readonly failed: number };
}

const jobs = new WeakMap<FastifyInstance, AuditCheckpointJob>();

/** The checkpoint job of an app, when it has one. */
export function auditCheckpointJobOf(app: FastifyInstance): AuditCheckpointJob | undefined {
  return jobs.get(app);
}

/** Counters of written and failed checkpoints, on the app's registry (one per registry). */
function checkpointCounter(registry: Registry): Counter<'outcome'> {
  const existing = registry.getSingleMetric('coffer_audit_checkpoints_total');
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({ name: 'coffer_audit_checkpoints_total', help: 'Signed audit checkpoints written to COFFER_AUDIT_CHECKPOINT_DIR, by outcome', labelNames: ['outcome'], registers: [registry] });
}

/** The code and message of a failure: core and file system errors name no secret. */
function describeFailure(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e.code === 'string' ? e.code : 'INTERNAL', message: typeof e.message === 'string' ? e.message.slice(0, 500) : 'unknown error' };
}

/**
 * Starts the writer for `app` (stopped, with its last checkpoint, when the app closes). Throws
 * CONFIG_INVALID at once for a directory inside the data directory.
 */
export function startAuditCheckpointJob(app: FastifyInstance, coffer: Coffer, registry: Registry, options: AuditCheckpointJobOptions): AuditCheckpointJob {
  assertCheckpointDirAllowed(options.dir, coffer.config);
  const everyEvents = options.everyEvents ?? 1000;
  const intervalMs = options.intervalMs ?? 60_000;
  const logger: FastifyBaseLogger = app.log;
  const counter = checkpointCounter(registry);
  const stats = { written: 0, failed: 0 };
  let pending = 0;
  let lastSeq: number | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const arm = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), intervalMs);
    timer.unref();
  };

  const write = async (): Promise<WrittenCheckpoint> => {
    pending = 0;
    try {
      const written = await coffer.checkpoints.writeTo(options.dir);
      lastSeq = written.checkpoint.seq;
      stats.written += 1;
      counter.inc({ outcome: 'written' });
      logger.info({ seq: written.checkpoint.seq, keyId: written.checkpoint.keyId, file: written.file }, 'audit checkpoint written');
      return written;
    } catch (err) {
      stats.failed += 1;
      counter.inc({ outcome: 'failed' });
      logger.error({ err: describeFailure(err), dir: options.dir }, 'audit checkpoint failed');
      throw err;
    } finally {
      arm();
    }
  };

  /** One pass: a checkpoint if the head moved since the last one (or none was written yet). */
  const run = (): Promise<void> => {
    running ??= (async () => {
      try {
        if (lastSeq !== undefined && (await coffer.checkpoints.head()).seq === lastSeq) return arm();
      } catch (err) {
        // The database is unreachable: the next trigger tries again.
        stats.failed += 1;
        counter.inc({ outcome: 'failed' });
        logger.error({ err: describeFailure(err) }, 'audit checkpoint failed: the audit head could not be read');
        return arm();
      }
      await write().catch(() => {
        // Logged and counted by write().
      });
    })().finally(() => {
      running = undefined;
      // Events that arrived while writing may already make the next checkpoint due.
      if (!stopped && pending >= everyEvents) void run();
    });
    return running;
  };

  arm();
  const job: AuditCheckpointJob = {
    dir: options.dir,
    noteEvents(n) {
      pending += n;
      if (pending >= everyEvents && !running && !stopped) void run();
    },
    async writeNow() {
      await running;
      return write();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await running;
      await run();
    },
    stats,
  };
  jobs.set(app, job);
  app.addHook('onClose', async () => job.stop());
  return job;
}
