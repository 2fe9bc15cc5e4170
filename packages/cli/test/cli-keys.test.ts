/**
 * `coffer key …`, run for real against SQLite and PostgreSQL: status, tenant key rotation,
 * rewrap, retire, and root key rotation with the key file provider. (Usage errors of `key rotate`
 * and `key generate` are in cli.test.ts: they open no database.)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { backendEnv, coffer, expectError, expectNoneOf, expectOk, forEachBackendInParallel, okJson } from './support/cli.js';

interface KeyStatus {
  rootKeyProvider: string;
  root: Array<{ id: string; state: string; tenantKeys: number; createdAt: string }>;
  tenants: Array<{ id: string; tenant: string; version: number; state: string; newest: boolean; rootKeyId: string | null; secretVersions: number }>;
}

forEachBackendInParallel('coffer key', (backend) => {
  const env = () => backendEnv(backend());
  const run = (args: string[]) => coffer(args, { env: env() });
  const keyFile = () => join(backend().dataDir, 'root.key');
  const value = `sk_live_${randomBytes(16).toString('hex')}Ky9Q`;
  let rootId: string;

  beforeAll(async () => {
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'acme']));
    expectOk(await run(['secret', 'put', 's1', '--tenant', 'acme', '--value', value]));
  });

  it('key status shows the root key and the tenant keys, human and --json', async () => {
    const [json, human] = await Promise.all([run(['key', 'status', '--json']), run(['key', 'status'])]);
    const s = okJson<KeyStatus>(json);
    expect(s.rootKeyProvider).toContain(keyFile());
    expect(s.root).toHaveLength(1);
    expect(s.root[0]).toMatchObject({ state: 'current', tenantKeys: 1 });
    rootId = s.root[0]!.id;
    expect(rootId).toMatch(/^root\/[0-9a-f]{8}$/);
    expect(s.tenants).toEqual([expect.objectContaining({ id: 'acme/v1', tenant: 'acme', version: 1, state: 'active', newest: true, rootKeyId: rootId, secretVersions: 1 })]);
    expectOk(human);
    expect(human.stdout).toMatch(/^Root key from root key file /);
    expect(human.stdout).toMatch(new RegExp(`^${rootId}\\s+current\\s+1\\s`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^acme/v1\\s+active\\s+yes\\s+${rootId}\\s+1\\s`, 'm'));
    const keyText = readFileSync(keyFile(), 'utf8').trim();
    expectNoneOf(json, [keyText, value]);
    expectNoneOf(human, [keyText, value]);
  });

  it('key rotate --tenant adds acme/v2; acme/v1 cannot be retired while it wraps data (KEY_IN_USE), nor v2 (KEY_ACTIVE); garbage is KEY_ID_INVALID', async () => {
    expect(okJson(await run(['key', 'rotate', '--tenant', 'acme', '--json']))).toEqual({ keyId: 'acme/v2', version: 2 });
    const [inUse, active, garbage, s2] = await Promise.all([
      run(['key', 'retire', 'acme/v1']),
      run(['key', 'retire', 'acme/v2']),
      run(['key', 'retire', 'garbage']),
      run(['secret', 'put', 's2', '--tenant', 'acme', '--value', 'written-after-rotation']),
    ]);
    expect(expectError(inUse, 'KEY_IN_USE')).toMatch(/rewrap/);
    expectError(active, 'KEY_ACTIVE');
    expect(expectError(garbage, 'KEY_ID_INVALID')).toMatch(/root\/<8 hex digits>/);
    expectOk(s2);
  });

  it('key rewrap --tenant moves the data keys to acme/v2, --all is then a no-op; acme/v1 can be retired', async () => {
    expect(okJson(await run(['key', 'rewrap', '--tenant', 'acme', '--json']))).toEqual([{ tenant: 'acme', keyId: 'acme/v2', rewrapped: 1 }]);
    const all = await run(['key', 'rewrap', '--all']);
    expect(expectOk(all).stdout).toBe('acme: 0 data key(s) rewrapped to acme/v2.\n');
    expect(all.stderr).toBe(''); // no progress bar outside a terminal
    expect(okJson(await run(['key', 'retire', 'acme/v1', '--json']))).toEqual({ keyId: 'acme/v1', retired: true });
    const [status, read] = await Promise.all([run(['key', 'status', '--json']), run(['secret', 'get', 's1', '--tenant', 'acme'])]);
    expect(okJson<KeyStatus>(status).tenants.map((t) => [t.id, t.state, t.newest, t.rootKeyId, t.secretVersions])).toEqual([
      ['acme/v1', 'retired', false, null, 0],
      ['acme/v2', 'active', true, rootId, 2], // s1 rewrapped, s2 written under v2
    ]);
    expect(expectOk(read).stdout).toBe(value);
  });

  it('key rotate --root (key file): secrets still read, root.key replaced and still 0600, no root.key.next left', async () => {
    const before = readFileSync(keyFile(), 'utf8');
    const r = okJson<{ keyId: string; previousKeyId: string; rewrapped: number }>(await run(['key', 'rotate', '--root', '--json']));
    expect(r.previousKeyId).toBe(rootId);
    expect(r.keyId).toMatch(/^root\/[0-9a-f]{8}$/);
    expect(r.keyId).not.toBe(rootId);
    expect(r.rewrapped).toBe(1); // acme/v2; the retired acme/v1 has nothing left to wrap
    const after = readFileSync(keyFile(), 'utf8');
    expect(after).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(after).not.toBe(before);
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(existsSync(`${keyFile()}.next`)).toBe(false);
    // the old key stays in root.key.previous (0600) until it is retired
    expect(readdirSync(backend().dataDir).filter((f) => f.startsWith('root.key')).sort()).toEqual(['root.key', 'root.key.previous']);
    expect(statSync(`${keyFile()}.previous`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${keyFile()}.previous`, 'utf8')).toBe(before);

    const [s1, status] = await Promise.all([run(['secret', 'get', 's1', '--tenant', 'acme']), run(['key', 'status', '--json'])]);
    expect(expectOk(s1).stdout).toBe(value);
    const s = okJson<KeyStatus>(status);
    expect(s.root.map((k) => [k.id, k.state, k.tenantKeys])).toEqual([
      [rootId, 'previous', 0],
      [r.keyId, 'current', 1],
    ]);
    expect(s.tenants.find((t) => t.id === 'acme/v2')!.rootKeyId).toBe(r.keyId);

    // The old root key protects nothing now and can be retired; the old key text opens nothing.
    const [retireOld, oldKey] = await Promise.all([
      run(['key', 'retire', rootId, '--json']),
      coffer(['tenant', 'list'], { env: { ...env(), COFFER_ROOT_KEY: before.trim() } }),
    ]);
    expect(okJson(retireOld)).toEqual({ keyId: rootId, retired: true, keyFile: { path: `${keyFile()}.previous`, deleted: true } });
    expect(readdirSync(backend().dataDir).filter((f) => f.startsWith('root.key'))).toEqual(['root.key']);
    expect(oldKey.code).toBe(1);
    expect(oldKey.stderr).toMatch(/^error \[ROOT_KEY_(MISMATCH|RETIRED)\]/);
    expectNoneOf(oldKey, [before.trim(), after.trim()]);
  });
});
