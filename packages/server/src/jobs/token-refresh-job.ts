/**
 * The proactive token refresh: every `intervalMs`, refresh the OAuth connections whose tokens
 * expire within `windowMs`. Every replica may run it; the refresh leases in the database make
 * each connection's refresh happen once. Runs never overlap in one process.
 */
import type { Coffer } from '@coffer/core';
import type { FastifyBaseLogger } from 'fastify';

export interface RefreshJobOptions {
  intervalMs: number;
  windowMs: number;
  concurrency?: number;
}

export interface RefreshJob {
  /** One pass now (also what the timer runs). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startRefreshJob(coffer: Coffer, logger: FastifyBaseLogger, options: RefreshJobOptions, onPass?: (outcome: { attempted: number; refreshed: number; failed: number }) => void): RefreshJob {
  let running: Promise<void> | undefined;
  const runOnce = () => {
    running ??= (async () => {
      try {
        const outcome = await coffer.refresher.refreshDue({ windowMs: options.windowMs, concurrency: options.concurrency ?? 16 });
        onPass?.(outcome);
        if (outcome.attempted > 0) logger.info({ ...outcome }, 'token refresh pass');
      } catch (err) {
        // A pass that cannot run (database down) is retried at the next tick.
        logger.warn({ code: (err as { code?: string }).code ?? 'error' }, 'token refresh pass failed');
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void runOnce(), options.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
