/**
 * Bearer-token authentication with a brake on guessing: failures are counted per client
 * address, and past the limit further failures from it get 429 with Retry-After until the
 * window passes (a valid token still works).
 * Every failure is audited with the address and, for a well-formed token, a short fingerprint
 * of it (a hash prefix: enough to correlate, useless to an attacker); never the token.
 */
import { createHash } from 'node:crypto';
import { CofferError, isCofferError, isWellFormedToken, type Coffer, type Principal } from '@coffer/core';
import type { FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Metrics } from './metrics.js';

export interface AuthOptions {
  /** Failed authentications allowed per address per window. */
  failuresPerWindow: number;
  windowSeconds: number;
}

export class RateLimitedError extends CofferError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many failed authentications from this address; retry in ${retryAfterSeconds} s.`, { retryAfter: retryAfterSeconds });
  }
}

export function createAuthenticator(coffer: Coffer, metrics: Metrics, options: AuthOptions) {
  const limiter = new RateLimiterMemory({ points: options.failuresPerWindow, duration: options.windowSeconds });

  return async function authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
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
  };
}
