/**
 * The brake on token guessing: failed authentications are counted per client address, and past
 * the limit further failures from that address get 429 RATE_LIMITED with Retry-After until the
 * window passes. A valid token still works from a blocked address (one guesser behind a shared
 * NAT or proxy must not lock out everyone else). Other addresses, and other app instances, are
 * unaffected. Every failure is audited. (The limiter is in memory, so one backend is enough.)
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBackend, type Backend } from '../../core/test/support/backends.js';
import { CofferClient, expectApiError, expectErrorBody, expectNoneIn, fetchFrom, hex, rawRequest, startTestServer, type TestServer } from './support.js';

describe('rate limiting of failed authentications', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let s: TestServer;
  let revoked: string;
  const tenant = `zqrl${hex(4)}`;
  const badTokens: string[] = [];

  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    s = await startTestServer(backend, { failuresPerWindow: 5, windowSeconds: 60 });
    await s.admin.tenants.create(tenant);
    const t = await s.admin.tokens.create({ kind: 'admin' });
    await s.admin.tokens.revoke(t.id);
    revoked = t.token;
  });
  afterAll(async () => {
    await s?.close();
    await backend?.dispose();
  });

  it('lets five bad tokens through as 401; the sixth gets 429 RATE_LIMITED with Retry-After; a valid token still works', async () => {
    const guesses = [`cfr_${'A'.repeat(49)}`, 'garbage', revoked, undefined, `cfr_${hex(24)}`];
    for (const token of guesses) {
      if (token) badTokens.push(token);
      const res = await s.request('GET', '/v1/tenants', token === undefined ? {} : { token });
      expectErrorBody(res, 401, 'UNAUTHENTICATED');
    }

    const sixth = await s.request('GET', `/v1/tenants/${tenant}/secrets`, { token: `cfr_${hex(24)}` });
    expectErrorBody(sixth, 429, 'RATE_LIMITED');
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(Number.isInteger(retryAfter), `retry-after: ${sixth.headers['retry-after']}`).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Further guesses stay blocked; the SDK surfaces Retry-After.
    const err = await expectApiError(new CofferClient({ url: s.url, token: `cfr_${hex(24)}` }).tenants.list(), 429, 'RATE_LIMITED');
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    // No token at all: still 429.
    expectErrorBody(await s.request('GET', '/v1/tenants'), 429, 'RATE_LIMITED');
    // A forged X-Forwarded-For does not move the caller to another address (no trusted proxy).
    expectErrorBody(await s.request('GET', '/v1/tenants', { token: 'garbage', headers: { 'x-forwarded-for': '203.0.113.7' } }), 429, 'RATE_LIMITED');
    // The valid admin token works from the blocked address.
    expect((await s.admin.tenants.list()).some((t) => t.id === tenant)).toBe(true);
    expectErrorBody(await s.request('POST', `/v1/tenants/${tenant}/secrets/x/reveal`, { token: s.adminToken, body: {} }), 404, 'SECRET_NOT_FOUND');
    // Public routes stay open.
    expect((await s.request('GET', '/healthz')).status).toBe(200);
  });

  it('audits each failed authentication (anonymous, denied, the address, a fingerprint at most)', async () => {
    const page = await s.coffer.audit.list({ action: 'auth.failure' });
    expect(page.items).toHaveLength(5);
    for (const e of page.items) {
      expect(e).toMatchObject({ actor: 'anonymous', action: 'auth.failure', tenant: null, target: null, outcome: 'denied', code: 'UNAUTHENTICATED', ip: '127.0.0.1' });
    }
    const fingerprints = page.items.map((e) => e.details.tokenFingerprint);
    expect(fingerprints).toContain(createHash('sha256').update(revoked).digest('hex').slice(0, 12));
    expect(fingerprints.filter((f) => f === null)).toHaveLength(4);
    expectNoneIn(JSON.stringify(page.items), [revoked, ...badTokens, s.adminToken], 'auth.failure events');
    expect((await s.coffer.audit.verify()).ok).toBe(true);
  });

  it('leaves another client address unaffected', async () => {
    const other = await rawRequest(s.url, 'GET', '/v1/tenants', { token: s.adminToken, localAddress: '127.0.0.2' });
    expect(other.status).toBe(200);
    const sdk = new CofferClient({ url: s.url, token: s.adminToken, fetch: fetchFrom('127.0.0.2') });
    expect((await sdk.tenants.list()).some((t) => t.id === tenant)).toBe(true);
    // Its own failures are counted separately: a bad token there is 401, not 429.
    expectErrorBody(await rawRequest(s.url, 'GET', '/v1/tenants', { token: 'garbage', localAddress: '127.0.0.2' }), 401, 'UNAUTHENTICATED');
    // ...and 127.0.0.1 is still blocked for guesses.
    expectErrorBody(await s.request('GET', '/v1/tenants', { token: 'garbage' }), 429, 'RATE_LIMITED');
  });

  it('leaves another app instance unaffected (the count is per instance)', async () => {
    const second = await startTestServer(backend, { coffer: s.coffer, failuresPerWindow: 5, windowSeconds: 60 });
    try {
      expectErrorBody(await second.request('GET', '/v1/tenants', { token: 'garbage' }), 401, 'UNAUTHENTICATED');
    } finally {
      await second.close();
    }
  });

  it('lifts the block once the window has passed', async () => {
    const short = await startTestServer(backend, { coffer: s.coffer, failuresPerWindow: 2, windowSeconds: 1 });
    try {
      for (let i = 0; i < 2; i++) expectErrorBody(await short.request('GET', '/v1/tenants', { token: 'garbage' }), 401, 'UNAUTHENTICATED');
      const blocked = await short.request('GET', '/v1/tenants', { token: 'garbage' });
      expectErrorBody(blocked, 429, 'RATE_LIMITED');
      expect(blocked.headers['retry-after']).toBe('1');
      await new Promise((r) => setTimeout(r, 1200));
      expectErrorBody(await short.request('GET', '/v1/tenants', { token: 'garbage' }), 401, 'UNAUTHENTICATED');
    } finally {
      await short.close();
    }
  });
});
