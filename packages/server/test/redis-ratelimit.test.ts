/**
 * Failed authentications counted in Redis (COFFER_REDIS_URL) are shared by every replica: a
 * guesser spreading its guesses over two app instances meets one limit, not two. With Redis
 * unreachable each process falls back to its own count (the brake loosens, it never comes
 * off), and /readyz says `degraded` with 200 so a load balancer keeps the fleet in service.
 * Runs against the real Redis at 127.0.0.1:6379 (COFFER_TEST_REDIS_URL), each test with a key
 * prefix of its own, removed afterwards.
 */
import { once } from 'node:events';
import net from 'node:net';
import { createCoffer, type Coffer } from '@coffer/core';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeBackend, type Backend } from '../../core/test/support/backends.js';
import { buildApp } from '../src/app.js';
import { createRedisClient } from '../src/auth.js';
import { hex } from './support.js';

const REDIS_URL = process.env.COFFER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function readyClient(url: string): Promise<Redis> {
  const client = createRedisClient(url);
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('failed-authentication limits shared through Redis', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let coffer: Coffer;
  let admin: string;
  /** Cleanup: the apps and clients a test made, and its key prefix. */
  let apps: FastifyInstance[] = [];
  let clients: Redis[] = [];
  let prefixes: string[] = [];
  let inspector: Redis;

  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    coffer = await createCoffer({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, createIfMissing: true });
    admin = (await coffer.tokens.createBootstrapToken())!.token;
    inspector = await readyClient(REDIS_URL);
  });
  afterEach(async () => {
    for (const app of apps) await app.close();
    for (const c of clients) c.disconnect();
    for (const p of prefixes) {
      const keys = await inspector.keys(`${p}*`);
      if (keys.length > 0) await inspector.del(...keys);
    }
    apps = [];
    clients = [];
    prefixes = [];
  });
  afterAll(async () => {
    inspector?.disconnect();
    await coffer?.close();
    await backend?.dispose();
  });

  /** An app instance (a replica) counting in `redis` under `prefix`. */
  async function replica(redis: Redis, prefix: string, failuresPerWindow: number): Promise<FastifyInstance> {
    const app = await buildApp({ coffer, auth: { failuresPerWindow, windowSeconds: 60, redis, redisKeyPrefix: prefix } });
    apps.push(app);
    return app;
  }
  const guess = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/v1/tenants', headers: { authorization: `Bearer cfr_${hex(24)}` } });
  const asAdmin = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/v1/tenants', headers: { authorization: `Bearer ${admin}` } });

  it('two instances sharing Redis see each other\'s failures: the limit is reached across both', async () => {
    const prefix = `coffer-test:${hex(6)}`;
    prefixes.push(prefix);
    const [ra, rb] = [await readyClient(REDIS_URL), await readyClient(REDIS_URL)];
    clients.push(ra, rb);
    const a = await replica(ra, prefix, 4);
    const b = await replica(rb, prefix, 4);

    // Four failures, alternating: each instance alone has seen only two.
    for (const app of [a, b, a, b]) expect((await guess(app)).statusCode).toBe(401);
    expect(await inspector.get(`${prefix}:127.0.0.1`)).toBe('4');
    for (const app of [a, b]) {
      const res = await guess(app);
      expect(res.statusCode).toBe(429);
      expect(JSON.parse(res.body).error.code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // A valid token still works on both.
    for (const app of [a, b]) expect((await asAdmin(app)).statusCode).toBe(200);

    // An instance counting only in its own memory (no Redis) would still let this address guess.
    const lone = await buildApp({ coffer, auth: { failuresPerWindow: 4, windowSeconds: 60 } });
    apps.push(lone);
    expect((await guess(lone)).statusCode).toBe(401);
  });

  it('/readyz reports Redis: ready with checks.redis ok while it answers', async () => {
    const prefix = `coffer-test:${hex(6)}`;
    prefixes.push(prefix);
    const r = await readyClient(REDIS_URL);
    clients.push(r);
    const app = await replica(r, prefix, 4);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ready', checks: { redis: 'ok' } });
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    expect(metrics.body).toMatch(/^coffer_auth_limiter_shared_up 1$/m);
    // Without Redis configured the answer is unchanged from before.
    const plain = await buildApp({ coffer });
    apps.push(plain);
    expect(JSON.parse((await plain.inject({ method: 'GET', url: '/readyz' })).body)).toEqual({ status: 'ready' });
  });

  it('with Redis unreachable the in-process limiter still limits (never fails open) and /readyz says degraded with 200', async () => {
    const prefix = `coffer-test:${hex(6)}`;
    prefixes.push(prefix);
    const dead = createRedisClient(`redis://127.0.0.1:${await closedPort()}`);
    clients.push(dead);
    const app = await replica(dead, prefix, 3);

    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await guess(app)).statusCode).toBe(401);
    const limited = await guess(app);
    expect(limited.statusCode).toBe(429);
    expect(JSON.parse(limited.body).error.code).toBe('RATE_LIMITED');
    // Falling back costs no waiting on the dead connection.
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await asAdmin(app)).statusCode).toBe(200);

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'degraded', checks: { redis: 'unreachable' } });
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    expect(metrics.body).toMatch(/^coffer_auth_limiter_shared_up 0$/m);
  });

  it('falls back when Redis goes away mid-run, and the instance keeps limiting', async () => {
    const prefix = `coffer-test:${hex(6)}`;
    prefixes.push(prefix);
    const r = await readyClient(REDIS_URL);
    clients.push(r);
    const app = await replica(r, prefix, 2);
    expect((await guess(app)).statusCode).toBe(401);
    expect(await inspector.get(`${prefix}:127.0.0.1`)).toBe('1');
    // The connection drops (and is not re-established by this client).
    r.disconnect();
    for (let i = 0; i < 2; i++) expect((await guess(app)).statusCode).toBe(401);
    expect((await guess(app)).statusCode).toBe(429);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/readyz' })).body)).toEqual({ status: 'degraded', checks: { redis: 'unreachable' } });
  });
});
