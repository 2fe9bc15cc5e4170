/**
 * The service-side commands that work on the data directory directly: `token create | list |
 * revoke` and `audit verify` (intact, then with an event edited behind Coffer's back).
 */
import { beforeAll, expect, it } from 'vitest';
import { rawDb } from '../../core/test/helpers.js';
import { backendEnv, coffer, expectError, expectOk, expectUsage, forEachBackendInParallel, okJson, type Env } from './support/cli.js';

forEachBackendInParallel('coffer token and audit', (backend) => {
  let env: Env;
  const run = (args: string[]) => coffer(args, { env });

  beforeAll(async () => {
    env = backendEnv(backend());
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'acme']));
  });

  it('token create prints the token once; list never shows it; revoke marks it', async () => {
    const created = okJson<{ id: string; token: string; kind: string; tenant: string; scopes: string[]; expiresAt: string | null }>(
      await run(['token', 'create', '--tenant', 'acme', '--scope', 'secrets:read,secrets:reveal', '--ttl', '30d', '--description', 'billing worker', '--json']),
    );
    expect(created.token).toMatch(/^cfr_[0-9A-Za-z]{49}$/);
    expect(created).toMatchObject({ kind: 'tenant', tenant: 'acme', scopes: ['secrets:read', 'secrets:reveal'] });
    const days = (Date.parse(created.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    const human = expectOk(await run(['token', 'create', '--admin']));
    expect(human.stdout).toMatch(/cfr_[0-9A-Za-z]{49}/);

    const list = expectOk(await run(['token', 'list']));
    expect(list.stdout).toContain(created.id);
    expect(list.stdout).toContain('billing worker');
    expect(list.stdout).not.toContain(created.token);
    expect(list.stdout).not.toMatch(/cfr_[0-9A-Za-z]{49}/);

    const revoked = okJson<{ id: string; revokedAt: string | null }>(await run(['token', 'revoke', created.id, '--json']));
    expect(revoked.id).toBe(created.id);
    expect(revoked.revokedAt).not.toBeNull();
    expectError(await run(['token', 'revoke', 'tok_0000000000000000']), 'TOKEN_NOT_FOUND');
  });

  it('token create refuses bad combinations as usage mistakes and unknown scopes with SCOPE_INVALID', async () => {
    expectUsage(await run(['token', 'create']));
    expectUsage(await run(['token', 'create', '--admin', '--tenant', 'acme']));
    expectUsage(await run(['token', 'create', '--tenant', 'acme']), /--scope/);
    expectUsage(await run(['token', 'create', '--admin', '--ttl', 'soon']), /--ttl/);
    expectError(await run(['token', 'create', '--tenant', 'acme', '--scope', 'secrets:everything']), 'SCOPE_INVALID');
    expectError(await run(['token', 'create', '--tenant', 'nobody', '--scope', 'secrets:read']), 'TENANT_NOT_FOUND');
  });

  it('records what it does in the audit log as cli:<user>, and reveals before printing', async () => {
    expectOk(await coffer(['secret', 'put', 'audited', '--tenant', 'acme'], { env, input: 'value-that-must-not-be-logged-1234' }));
    expectOk(await run(['secret', 'get', 'audited', '--tenant', 'acme']));
    expectOk(await run(['secret', 'delete', 'audited', '--tenant', 'acme']));
    const { createCoffer } = await import('@coffer/core');
    const c = await createCoffer({ dataDir: env.COFFER_DATA_DIR!, databaseUrl: env.COFFER_DATABASE_URL!, createIfMissing: false });
    try {
      const events = (await c.audit.list({ tenant: 'acme', limit: 1000 })).items;
      const actions = events.filter((e) => e.actor.startsWith('cli')).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['tenant.create', 'token.create', 'token.revoke', 'secret.write', 'secret.reveal', 'secret.delete']));
      expect(events.find((e) => e.action === 'secret.reveal' && e.target === 'audited')).toMatchObject({ outcome: 'success', details: { version: 1 } });
      expect(JSON.stringify(events)).not.toContain('value-that-must-not-be-logged-1234');
    } finally {
      await c.close();
    }
  });

  it('audit verify passes on an intact chain and names the first broken event after an edit', async () => {
    const ok = okJson<{ ok: boolean; checked: number }>(await run(['audit', 'verify', '--json']));
    expect(ok.ok).toBe(true);
    expect(ok.checked).toBeGreaterThanOrEqual(5);
    const human = expectOk(await run(['audit', 'verify'])).stdout;
    expect(human).toMatch(/intact/);
    // A vault made now is keyed from its first event; the segments are printed.
    expect(human).toMatch(/^ {2}events 1-\d+: keyed \(HMAC-SHA-256, audit key v1\)$/m);
    expect(human).not.toMatch(/unkeyed/);

    const db = await rawDb(backend());
    try {
      expect(await db.run("update audit_events set target = 'forged' where action = 'secret.reveal' and target = 'audited'")).toBe(1);
    } finally {
      await db.close();
    }
    const broken = await run(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN at event \d+: event \d+ was altered/);
  });
});
