/**
 * Starts the service: initialises the embedded default on first run, opens the vault, makes
 * the first admin token when there is none, listens, and drains in-flight requests on SIGTERM.
 */
import { assertCheckpointDirAllowed, CofferError, createCoffer, initCoffer, parseDatabaseUrl, type Coffer, type ResolvedConfig } from '@coffer/core';
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import type { Redis } from 'ioredis';
import { buildApp, buildMetricsApp } from './app.js';
import { createRedisClient } from './auth.js';
import { createMetrics } from './metrics.js';
import { startRefreshJob } from './jobs/token-refresh-job.js';
import { auditCheckpointJobOf, type AuditCheckpointJob } from './jobs/audit-checkpoints.js';

export interface ServerOptions {
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: boolean;
  authFailuresPerMinute: number;
  /** Base URL users' browsers reach the service at (connect links, the OAuth redirect URI). */
  publicUrl: string | undefined;
  /** Seconds between proactive token refresh passes (0 disables them). */
  refreshIntervalSeconds: number;
  /** A pass refreshes tokens expiring within this many seconds. */
  refreshWindowSeconds: number;
  /** Redis for failed-authentication counters shared by every replica (redis:// or rediss://). */
  redisUrl: string | undefined;
  /** A second listener serving GET /metrics without a token (for a scraper); none when undefined. */
  metricsPort: number | undefined;
  /** Its address; default 127.0.0.1. */
  metricsHost: string;
  /** Where signed audit checkpoints are written (never inside the data directory); none when undefined. */
  auditCheckpointDir: string | undefined;
  /** A checkpoint after this many events (default 1000)… */
  auditCheckpointEveryEvents?: number;
  /** …or this long after the last one, whichever comes first (default 60 s). */
  auditCheckpointIntervalMs?: number;
}

const ServerEnv = z.object({
  COFFER_HOST: z.string().min(1, 'COFFER_HOST must not be empty').optional(),
  COFFER_PORT: z.coerce.number({ error: 'COFFER_PORT must be a port number' }).int('COFFER_PORT must be a port number').min(0).max(65535).optional(),
  COFFER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'COFFER_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' }).optional(),
  COFFER_TRUST_PROXY: z.enum(['true', 'false'], { error: 'COFFER_TRUST_PROXY must be true or false' }).optional(),
  COFFER_AUTH_FAILURES_PER_MINUTE: z.coerce.number({ error: 'COFFER_AUTH_FAILURES_PER_MINUTE must be a number' }).int().min(1).max(100000).optional(),
  COFFER_PUBLIC_URL: z.string().regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'COFFER_PUBLIC_URL must be an http(s) base URL such as https://coffer.example.com').optional(),
  COFFER_REFRESH_INTERVAL_SECONDS: z.coerce.number({ error: 'COFFER_REFRESH_INTERVAL_SECONDS must be a number' }).int().min(0).max(86400).optional(),
  COFFER_REFRESH_WINDOW_SECONDS: z.coerce.number({ error: 'COFFER_REFRESH_WINDOW_SECONDS must be a number' }).int().min(30).max(7 * 86400).optional(),
  // Only the scheme is checked: the URL may hold a password, and an error must not repeat it.
  COFFER_REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'COFFER_REDIS_URL must be a redis:// or rediss:// URL').optional(),
  COFFER_METRICS_HOST: z.string().min(1, 'COFFER_METRICS_HOST must not be empty').optional(),
  COFFER_METRICS_PORT: z.coerce.number({ error: 'COFFER_METRICS_PORT must be a port number' }).int('COFFER_METRICS_PORT must be a port number').min(0).max(65535).optional(),
  COFFER_AUDIT_CHECKPOINT_DIR: z.string().min(1, 'COFFER_AUDIT_CHECKPOINT_DIR must not be empty').optional(),
});

/** Server options from the environment, flags winning; a bad value names its variable. */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv, flags: Partial<ServerOptions> = {}): ServerOptions {
  const parsed = ServerEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ServerConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const options: ServerOptions = {
    host: flags.host ?? e.COFFER_HOST ?? '127.0.0.1',
    port: flags.port ?? e.COFFER_PORT ?? 8080,
    logLevel: flags.logLevel ?? e.COFFER_LOG_LEVEL ?? 'info',
    trustProxy: flags.trustProxy ?? e.COFFER_TRUST_PROXY === 'true',
    authFailuresPerMinute: flags.authFailuresPerMinute ?? e.COFFER_AUTH_FAILURES_PER_MINUTE ?? 10,
    publicUrl: flags.publicUrl ?? e.COFFER_PUBLIC_URL,
    refreshIntervalSeconds: flags.refreshIntervalSeconds ?? e.COFFER_REFRESH_INTERVAL_SECONDS ?? 60,
    refreshWindowSeconds: flags.refreshWindowSeconds ?? e.COFFER_REFRESH_WINDOW_SECONDS ?? 600,
    redisUrl: flags.redisUrl ?? e.COFFER_REDIS_URL,
    metricsPort: flags.metricsPort ?? e.COFFER_METRICS_PORT,
    metricsHost: flags.metricsHost ?? e.COFFER_METRICS_HOST ?? '127.0.0.1',
    auditCheckpointDir: flags.auditCheckpointDir ?? e.COFFER_AUDIT_CHECKPOINT_DIR,
    ...(flags.auditCheckpointEveryEvents !== undefined ? { auditCheckpointEveryEvents: flags.auditCheckpointEveryEvents } : {}),
    ...(flags.auditCheckpointIntervalMs !== undefined ? { auditCheckpointIntervalMs: flags.auditCheckpointIntervalMs } : {}),
  };
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new ServerConfigError('--port must be a port number (0-65535)');
  return Object.freeze(options);
}

/** A bad server setting: a CofferError with code CONFIG_INVALID that names the variable. */
export class ServerConfigError extends CofferError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

export interface RunningServer {
  readonly url: string;
  /** The metrics listener's URL, when COFFER_METRICS_PORT is set. */
  readonly metricsUrl: string | null;
  /** The first admin token, on the first run only. */
  readonly adminToken: string | null;
  readonly app: FastifyInstance;
  readonly coffer: Coffer;
  /** Stops accepting, drains in-flight requests, closes the database. */
  close(): Promise<void>;
}

export async function startServer(config: ResolvedConfig, options: ServerOptions): Promise<RunningServer> {
  // Before anything is opened: a checkpoint next to the log it anchors would anchor nothing.
  if (options.auditCheckpointDir !== undefined) {
    try {
      assertCheckpointDirAllowed(options.auditCheckpointDir, config);
    } catch (err) {
      throw new ServerConfigError(`COFFER_AUDIT_CHECKPOINT_DIR: ${(err as Error).message}`);
    }
  }
  const location = parseDatabaseUrl(config.databaseUrl);
  const fresh = location.dialect === 'sqlite' ? !existsSync(location.target) : false;
  if (fresh || (config.rootKey === undefined && !existsSync(config.rootKeyFile))) await initCoffer(config);
  const metrics = createMetrics({ processMetrics: true });
  // Set once the app is built: counts events for the checkpoint writer (an addition per commit).
  let checkpointJob: AuditCheckpointJob | undefined;
  const onAuditCommit = (n: number) => {
    metrics.auditEvents.inc(n);
    checkpointJob?.noteEvents(n);
  };
  const coffer = await createCoffer({ ...config, createIfMissing: true }, { onAuditCommit });
  let redis: Redis | undefined;
  let metricsApp: FastifyInstance | undefined;
  try {
    const logger = pino({ level: options.logLevel }, pino.destination(2));
    if (options.redisUrl) {
      // Refusals repeat on every reconnect attempt: log the first of an outage, not each.
      let reported = false;
      redis = createRedisClient(options.redisUrl, (err) => {
        if (reported) return;
        reported = true;
        logger.warn({ err: { message: err.message } }, 'Redis unreachable: failed authentications are counted per process until it is back');
      });
      redis.on('ready', () => {
        if (reported) logger.info('Redis reachable again: failed authentications are counted across replicas');
        reported = false;
      });
    }
    let listeningUrl = '';
    const app = await buildApp({
      coffer,
      logger,
      metrics,
      trustProxy: options.trustProxy,
      auth: { failuresPerWindow: options.authFailuresPerMinute, windowSeconds: 60, ...(redis ? { redis } : {}) },
      publicUrl: () => options.publicUrl ?? listeningUrl,
      ...(options.auditCheckpointDir !== undefined
        ? {
            auditCheckpoints: {
              dir: options.auditCheckpointDir,
              ...(options.auditCheckpointEveryEvents !== undefined ? { everyEvents: options.auditCheckpointEveryEvents } : {}),
              ...(options.auditCheckpointIntervalMs !== undefined ? { intervalMs: options.auditCheckpointIntervalMs } : {}),
            },
          }
        : {}),
    });
    checkpointJob = auditCheckpointJobOf(app);
    const bootstrap = await coffer.tokens.createBootstrapToken();
    await app.listen({ host: options.host, port: options.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    listeningUrl = `http://${host}:${port}`;
    let metricsUrl: string | null = null;
    if (options.metricsPort !== undefined) {
      metricsApp = await buildMetricsApp(metrics);
      try {
        await metricsApp.listen({ host: options.metricsHost, port: options.metricsPort });
      } catch (err) {
        await app.close();
        throw err;
      }
      const a = metricsApp.server.address();
      const mHost = options.metricsHost.includes(':') ? `[${options.metricsHost}]` : options.metricsHost;
      metricsUrl = `http://${mHost}:${typeof a === 'object' && a ? a.port : options.metricsPort}`;
    }
    const refreshJob =
      options.refreshIntervalSeconds > 0
        ? startRefreshJob(coffer, app.log, { intervalMs: options.refreshIntervalSeconds * 1000, windowMs: options.refreshWindowSeconds * 1000 }, (o) => metrics.tokenRefreshes.inc({ outcome: 'refreshed' }, o.refreshed))
        : undefined;
    let closing: Promise<void> | undefined;
    const openMetrics = metricsApp;
    const openRedis = redis;
    return {
      url: `http://${host}:${port}`,
      metricsUrl,
      adminToken: bootstrap?.token ?? null,
      app,
      coffer,
      close() {
        closing ??= (async () => {
          await refreshJob?.stop();
          await app.close();
          await openMetrics?.close();
          openRedis?.disconnect();
          await coffer.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await checkpointJob?.stop();
    await metricsApp?.close();
    redis?.disconnect();
    await coffer.close();
    throw err;
  }
}
