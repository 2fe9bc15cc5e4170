/**
 * Bearer-token authentication with a brake on guessing: failures are counted per client
 * address, and past the limit further failures from it get 429 with Retry-After until the
 * window passes (a valid token still works).
 * Every failure is audited with the address and, for a well-formed token, a short fingerprint
 * of it (a hash prefix: enough to correlate, useless to an attacker); never the token.
 *
 * With a Redis client the failures are counted in Redis, so every replica sees every other's
 * (a guesser cannot multiply its budget by the number of replicas). While Redis cannot be
 * reached each process counts in its own memory instead: the brake loosens to one budget per
 * replica, but it never comes off.
 */
import { createHash } from 'node:crypto';
import { CofferError, isCofferError, isWellFormedToken, type Coffer, type Principal } from '@coffer/core';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Metrics } from './metrics.js';

export interface AuthOptions {
  /** Failed authentications allowed per address per window. */
  failuresPerWindow: number;
  windowSeconds: number;
  /** Count failures in this Redis (see {@link createRedisClient}), shared by every replica. */
  redis?: Redis;
  /** Prefix of the counters' keys in Redis. Default `coffer:auth-failures`. */
  redisKeyPrefix?: string;
}

export class RateLimitedError extends CofferError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many failed authentications from this address; retry in ${retryAfterSeconds} s.`, { retryAfter: retryAfterSeconds });
  }
}

/**
 * An ioredis client suited to the failure counters: commands fail at once while disconnected
 * (no offline queue) and after half a second on a hung server (a failed authentication makes
 * two), so a Redis outage delays a refusal by a second at most before the in-process count
 * takes over. It keeps reconnecting in the background. Errors are passed to `onError` (connection refusals repeat
 * on every reconnect attempt; the caller decides what to log).
 */
export function createRedisClient(url: string, onError: (err: Error) => void = () => {}): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  client.on('error', onError);
  return client;
}

/**
 * The scheme is case-insensitive (RFC 9110 §11.1): `Bearer`, `bearer` and `BEARER` all work.
 * One or more spaces separate it from the token; anything else (a tab, no scheme) is no token.
 */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const scheme = /^bearer +/i.exec(header);
  return scheme ? header.slice(scheme[0].length).trim() : undefined;
}

export interface Authenticator {
  authenticate(request: FastifyRequest): Promise<Principal>;
  /**
   * The state of the shared counters for /readyz: `undefined` without Redis, `unreachable`
   * while each process counts its own.
   */
  sharedLimiter(): Promise<'ok' | 'unreachable' | undefined>;
}

export function createAuthenticator(coffer: Coffer, metrics: Metrics, options: AuthOptions): Authenticator {
  const local = new RateLimiterMemory({ points: options.failuresPerWindow, duration: options.windowSeconds });
  const redis = options.redis;
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: options.redisKeyPrefix ?? 'coffer:auth-failures',
        points: options.failuresPerWindow,
        duration: options.windowSeconds,
        // Not connected: straight to the in-process limiter, without waiting on a dead socket.
        rejectIfRedisNotReady: true,
        insuranceLimiter: local,
      })
    : local;

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const token = bearerToken(request.headers.authorization);
    try {
      if (token === undefined) throw new CofferError('UNAUTHENTICATED', 'Send an API token as `Authorization: Bearer cfr_…`.');
      // A valid token always passes: one client guessing behind a shared address (a NAT, a
      // proxy) must not lock out the others. Guessing is what gets slowed down.
      return await coffer.tokens.authenticate(token);
    } catch (err) {
      if (!isCofferError(err, 'UNAUTHENTICATED')) throw err;
      const blocked = await limiter.get(request.ip);
      if (blocked && blocked.remainingPoints <= 0) {
        metrics.authFailures.inc({ reason: 'rate_limited' });
        throw new RateLimitedError(Math.max(1, Math.ceil(blocked.msBeforeNext / 1000)));
      }
      metrics.authFailures.inc({ reason: token === undefined ? 'missing' : 'invalid' });
      try {
        await limiter.consume(request.ip);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
      }
      await coffer.audit
        .append({
          actor: 'anonymous',
          action: 'auth.failure',
          outcome: 'denied',
          code: 'UNAUTHENTICATED',
          ip: request.ip,
          requestId: request.id,
          details: token !== undefined && isWellFormedToken(token) ? { tokenFingerprint: createHash('sha256').update(token).digest('hex').slice(0, 12) } : { tokenFingerprint: null },
        })
        .catch(() => {
          // The caller is refused either way; a failed audit write is counted, not returned.
          metrics.errors.inc({ code: 'AUDIT_UNAVAILABLE' });
        });
      throw err;
    }
  }

  async function sharedLimiter(): Promise<'ok' | 'unreachable' | undefined> {
    if (!redis) return undefined;
    try {
      await redis.ping();
      return 'ok';
    } catch {
      return 'unreachable';
    }
  }

  return { authenticate, sharedLimiter };
}
