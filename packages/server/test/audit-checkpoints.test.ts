/**
 * Signed audit checkpoints over HTTP and in `coffer serve`: the admin routes (make one, list the
 * public keys, verify the log against one), and the writer that puts a checkpoint in
 * COFFER_AUDIT_CHECKPOINT_DIR every N events or interval and once more at close, whose failures
 * are logged and counted without stopping the server, and which refuses a directory inside the
 * data directory.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoffer, resolveConfig, verifyCheckpoint, parseEd25519PublicKeys, type Coffer } from '@coffer/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend, makeBackend, type Backend } from '../../core/test/support/backends.js';
import { buildApp } from '../src/app.js';
import { auditCheckpointJobOf } from '../src/jobs/audit-checkpoints.js';
import { serverOptionsFromEnv, startServer } from '../src/serve.js';
import { withRaw } from '../../core/test/helpers.js';
import { CofferClient, expectApiError, expectErrorBody, rawRequest, startTestServer, type TestServer } from './support.js';

/** Resolves once `check` holds, polling; fails with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const checkpointFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('checkpoint-')).sort() : []);
const seqOf = (dir: string, name: string): number => JSON.parse(readFileSync(join(dir, name), 'utf8')).seq;

async function appendEvents(c: Coffer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await c.audit.append({ actor: 'tok_0000000000000000', action: 'secret.reveal', tenant: 'acme', target: `k${i}`, outcome: 'success' });
}

forEachBackend('audit checkpoint routes', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend());
    await s.admin.tenants.create('acme');
  });
  afterAll(async () => s?.close());

  it('POST /v1/audit/checkpoints signs the head (201, no file without a directory); a third party checks it with GET /v1/audit/public-keys', async () => {
    const res = await rawRequest(s.url, 'POST', '/v1/audit/checkpoints', { token: s.adminToken });
    expect(res.status).toBe(201);
    const head = await s.coffer.checkpoints.head();
    expect(res.json).toMatchObject({ format: 'coffer-audit-checkpoint/1', seq: head.seq, hash: head.hash, keyVersion: 1, file: null });
    const keys = await s.admin.audit.publicKeys();
    expect(keys).toEqual([{ version: 1, keyId: res.json.keyId, current: true, publicKey: res.json.publicKey, pem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/) }]);
    const { file: _file, ...checkpoint } = res.json;
    expect(verifyCheckpoint(checkpoint, parseEd25519PublicKeys(keys[0]!.pem)).ok).toBe(true);
  });

  it('POST /v1/audit/verify: matches, counts unanchored events, reports a cut tail and an altered checkpoint', async () => {
    const made = await s.admin.audit.checkpoint();
    const { file: _f, ...c } = made;
    await s.admin.tenants.create('beta');
    // What checkpoint() returned, as is: the SDK sends the checkpoint without the server's `file`.
    const v = await s.admin.audit.verifyCheckpoint(made);
    expect(v).toMatchObject({ ok: true, reason: null, signatureValid: true, vaultKey: true, anchoredThrough: c.seq, unanchored: 1, head: { seq: c.seq + 1 } });
    expect(v.chain).toMatchObject({ ok: true });

    const altered = await s.admin.audit.verifyCheckpoint({ ...c, seq: c.seq - 1 });
    expect(altered).toMatchObject({ ok: false, signatureValid: false, chain: null });
    expect(altered.reason).toMatch(/signature/);

    // Cut the last event and move the head back: the chain alone says intact, the checkpoint does not.
    const next = await s.coffer.checkpoints.create();
    await withRaw(backend(), async (db) => {
      const [cut] = await db.all('select * from audit_events where seq = ?', [next.seq]);
      const [prev] = await db.all('select hash from audit_events where seq = ?', [next.seq - 1]);
      await db.run('delete from audit_events where seq = ?', [next.seq]);
      await db.run('update audit_head set seq = ?, hash = ? where id = 1', [next.seq - 1, prev!.hash]);
      try {
        expect((await s.admin.audit.verify()).ok).toBe(true);
        const broken = await s.admin.audit.verifyCheckpoint(next);
        expect(broken).toMatchObject({ ok: false, anchoredThrough: null, reason: `truncated: events ${next.seq} to ${next.seq} were cut (the log ends at event ${next.seq - 1}, the checkpoint covers ${next.seq})` });
        // No new checkpoint over the cut log.
        await expectApiError(s.admin.audit.checkpoint(), 500, 'AUDIT_CHECKPOINT_MISMATCH');
      } finally {
        const cols = Object.keys(cut!);
        await db.run(`insert into audit_events (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`, cols.map((k) => cut![k]));
        await db.run('update audit_head set seq = ?, hash = ? where id = 1', [next.seq, next.hash]);
      }
    });
    expect((await s.admin.audit.verifyCheckpoint(next)).ok).toBe(true);
  });

  it('a malformed checkpoint body is 400 VALIDATION_FAILED naming the field, never the value', async () => {
    const c = await s.coffer.checkpoints.create();
    const cases: [unknown, RegExp][] = [
      [{ ...c, extra: 'sk_live_canary' }, /^body: has a field this route does not take$/],
      [{ ...c, hash: 'sk_live_canary' }, /^body\.hash: /],
      [{ ...c, signature: undefined }, /^body\.signature: /],
      [{ ...c, format: 'coffer-audit-checkpoint/2' }, /^body\.format: /],
      [[], /^body: /],
    ];
    for (const [body, message] of cases) {
      const res = await rawRequest(s.url, 'POST', '/v1/audit/verify', { token: s.adminToken, body });
      expect(expectErrorBody(res, 400, 'VALIDATION_FAILED')).toMatch(message);
      expect(res.text).not.toContain('sk_live_canary');
    }
  });

  it('the routes are admin only', async () => {
    const t = await s.admin.tokens.create({ kind: 'tenant', tenant: 'acme', scopes: ['audit:read'] });
    const tenant = s.client(t.token);
    await expectApiError(tenant.audit.checkpoint(), 403, 'FORBIDDEN');
    await expectApiError(tenant.audit.publicKeys(), 403, 'FORBIDDEN');
    await expectApiError(tenant.audit.verifyCheckpoint(await s.coffer.checkpoints.create()), 403, 'FORBIDDEN');
    await expectApiError(s.client().audit.checkpoint(), 401, 'UNAUTHENTICATED');
  });
});

forEachBackend('the checkpoint writer', (backend) => {
  let coffer: Coffer;
  let outside: string;
  const logs: string[] = [];
  /** Forwards committed audit events to the job of the app under test (as startServer does). */
  let noteEvents: ((n: number) => void) | undefined;
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }) as unknown as FastifyBaseLogger;

  beforeAll(async () => {
    coffer = await createCoffer({ dataDir: backend().dataDir, databaseUrl: backend().databaseUrl }, { onAuditCommit: (n) => noteEvents?.(n) });
    await coffer.tenants.create('acme');
    outside = mkdtempSync(join(tmpdir(), 'coffer-checkpoint-writer-'));
  });
  afterAll(async () => {
    await coffer?.close();
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  const start = async (dir: string, everyEvents: number, intervalMs: number): Promise<FastifyInstance> => {
    const app = await buildApp({ coffer, logger, auditCheckpoints: { dir, everyEvents, intervalMs } });
    const job = auditCheckpointJobOf(app)!;
    noteEvents = (n) => job.noteEvents(n);
    return app;
  };

  it('writes once N events are committed, not before; POST /v1/audit/checkpoints writes there too; a last one at close', async () => {
    const dir = join(outside, 'by-count');
    // An interval far away: only the event count can trigger here.
    const app = await start(dir, 5, 600_000);
    try {
      const job = auditCheckpointJobOf(app)!;
      await appendEvents(coffer, 4);
      await new Promise((r) => setTimeout(r, 300));
      expect(checkpointFiles(dir)).toEqual([]);
      await appendEvents(coffer, 1);
      const head = await coffer.checkpoints.head();
      await until(() => checkpointFiles(dir).some((n) => seqOf(dir, n) === head.seq), 'the checkpoint after 5 events');
      expect(job.stats).toEqual({ written: 1, failed: 0 });

      await appendEvents(coffer, 1);
      const token = (await coffer.tokens.createBootstrapToken()) ?? (await coffer.tokens.create({ kind: 'admin' }));
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address() as { port: number };
      const made = await new CofferClient({ url: `http://127.0.0.1:${address.port}`, token: token.token }).audit.checkpoint();
      expect(made.file).not.toBeNull();
      expect(checkpointFiles(dir).map((n) => join(dir, n))).toContain(made.file);
      expect(JSON.parse(readFileSync(made.file!, 'utf8')).seq).toBe(made.seq);
      const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token.token}` } });
      expect(metrics.body).toMatch(/^coffer_audit_checkpoints_total\{outcome="written"\} 2$/m);
    } finally {
      await appendEvents(coffer, 1);
      await app.close();
    }
    // The last checkpoint, at close, covers the last event.
    const last = checkpointFiles(dir).at(-1)!;
    expect(seqOf(dir, last)).toBe((await coffer.checkpoints.head()).seq);
    expect(await coffer.checkpoints.verifyAgainst(readFileSync(join(dir, last), 'utf8'))).toMatchObject({ ok: true, unanchored: 0 });
  });

  it('writes on the interval, only when the head moved (none at close when it did not)', async () => {
    const dir = join(outside, 'by-interval');
    const app = await start(dir, 1_000_000, 300);
    try {
      // The first tick writes (nothing written yet); later ticks do not while the head stays.
      await until(() => checkpointFiles(dir).length === 1, 'the first checkpoint');
      await new Promise((r) => setTimeout(r, 900));
      expect(checkpointFiles(dir)).toHaveLength(1);
      await appendEvents(coffer, 1);
      const head = await coffer.checkpoints.head();
      await until(() => checkpointFiles(dir).some((n) => seqOf(dir, n) === head.seq), 'the checkpoint on the interval');
    } finally {
      await app.close();
    }
    expect(checkpointFiles(dir)).toHaveLength(2);
  });

  it('a failure is logged and counted, the server keeps serving, and the next trigger succeeds', async () => {
    const dir = join(outside, 'failing');
    // A file where the directory should be: every write fails until it is a directory again.
    writeFileSync(dir, 'not a directory');
    logs.length = 0;
    const app = await start(dir, 2, 200);
    try {
      const job = auditCheckpointJobOf(app)!;
      await appendEvents(coffer, 2);
      await until(() => job.stats.failed >= 2, 'two failures');
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const failures = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'audit checkpoint failed');
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures[0]).toMatchObject({ level: 50, err: { code: expect.stringMatching(/^E[A-Z]+$/) }, dir });
      rmSync(dir);
      mkdirSync(dir);
      await appendEvents(coffer, 2);
      await until(() => job.stats.written >= 1, 'a checkpoint once the directory is back');
      expect(checkpointFiles(dir).length).toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
    }
  });

  it('refuses a directory inside the data directory when the app is built (CONFIG_INVALID)', async () => {
    await expect(buildApp({ coffer, logger: false, auditCheckpoints: { dir: join(backend().dataDir, 'checkpoints') } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/can be rewritten along with it/) });
  });
});

describe('coffer serve and COFFER_AUDIT_CHECKPOINT_DIR', () => {
  let backend: Backend & { dispose(): Promise<void> };
  let outside: string;
  beforeAll(async () => {
    backend = await makeBackend('sqlite');
    outside = mkdtempSync(join(tmpdir(), 'coffer-serve-checkpoints-'));
  });
  afterAll(async () => {
    await backend?.dispose();
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  it('reads the variable; an empty one is refused by name', () => {
    expect(serverOptionsFromEnv({ COFFER_AUDIT_CHECKPOINT_DIR: '/srv/checkpoints' }).auditCheckpointDir).toBe('/srv/checkpoints');
    expect(serverOptionsFromEnv({}).auditCheckpointDir).toBeUndefined();
    expect(() => serverOptionsFromEnv({ COFFER_AUDIT_CHECKPOINT_DIR: '' })).toThrow(/COFFER_AUDIT_CHECKPOINT_DIR/);
  });

  it('a directory inside the data directory stops start-up before anything is opened', async () => {
    const options = serverOptionsFromEnv({ COFFER_PORT: '0', COFFER_LOG_LEVEL: 'silent', COFFER_AUDIT_CHECKPOINT_DIR: join(backend.dataDir, 'checkpoints') });
    await expect(startServer(resolveConfig({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl }), options)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^COFFER_AUDIT_CHECKPOINT_DIR: .*inside/),
    });
    expect(existsSync(join(backend.dataDir, 'coffer.db'))).toBe(false);
  });

  it('the server writes a checkpoint after N events and a last one when it closes', async () => {
    const dir = join(outside, 'serve');
    const options = serverOptionsFromEnv(
      { COFFER_PORT: '0', COFFER_LOG_LEVEL: 'silent', COFFER_REFRESH_INTERVAL_SECONDS: '0', COFFER_AUDIT_CHECKPOINT_DIR: dir },
      { auditCheckpointEveryEvents: 3, auditCheckpointIntervalMs: 600_000 },
    );
    const server = await startServer(resolveConfig({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl }), options);
    try {
      const admin = new CofferClient({ url: server.url, token: server.adminToken! });
      await admin.tenants.create('acme');
      await admin.secrets.put('acme', 'k', 'a-value-of-some-length');
      await admin.secrets.reveal('acme', 'k');
      await until(() => checkpointFiles(dir).length >= 1, 'a checkpoint after 3 events');
      await admin.secrets.reveal('acme', 'k');
    } finally {
      await server.close();
    }
    const check = await createCoffer({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    try {
      const newest = await check.checkpoints.newest(dir);
      expect(newest!.checkpoint.seq).toBe((await check.checkpoints.head()).seq);
      expect(await check.checkpoints.verifyAgainst(newest!.checkpoint)).toMatchObject({ ok: true, unanchored: 0 });
    } finally {
      await check.close();
    }
  });
});
