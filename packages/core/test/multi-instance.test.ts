/**
 * Several processes (here: several vault instances) over one database. Each caches unwrapped
 * tenant keys; changes made by another instance must never make one wrap data under a stale key.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoffer, type Coffer } from '../src/index.js';
import { forEachBackend } from './support/backends.js';

forEachBackend('two instances over one database', (backend) => {
  let a: Coffer;
  let b: Coffer;
  beforeAll(async () => {
    const config = { dataDir: backend().dataDir, databaseUrl: backend().databaseUrl };
    a = await createCoffer(config);
    b = await createCoffer({ ...config, createIfMissing: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a tenant deleted and re-created elsewhere is not written under its old cached key', async () => {
    await a.tenants.create('acme');
    await a.secrets.put('acme', 'token', 'first-value');
    expect((await b.secrets.reveal('acme', 'token')).value).toBe('first-value');

    // b replaces the tenant: same id, same key version number, a different key.
    await b.tenants.delete('acme');
    await b.tenants.create('acme');
    await b.secrets.put('acme', 'from-b', 'value-from-b');

    // a still caches the old acme/v1; its write must use the new one, and its read must recover.
    await a.secrets.put('acme', 'from-a', 'value-from-a');
    expect((await b.secrets.reveal('acme', 'from-a')).value).toBe('value-from-a');
    expect((await a.secrets.reveal('acme', 'from-b')).value).toBe('value-from-b');
    expect((await a.secrets.list('acme')).items.map((s) => s.masked)).toHaveLength(2);
  });

  it('a tenant key rotated elsewhere is used by the next write here', async () => {
    await a.tenants.create('globex');
    await a.secrets.put('globex', 's', 'v1-value');
    const rotated = await b.keys.rotateTenantKey('globex');
    await a.secrets.put('globex', 's', 'v2-value');
    const versions = await b.secrets.versions('globex', 's');
    expect(versions[0]).toMatchObject({ version: 2, keyId: rotated.keyId });
    await b.keys.rewrapTenant('globex');
    await b.keys.retire('globex/v1');
    expect((await a.secrets.reveal('globex', 's', { version: 1 })).value).toBe('v1-value');
  });

  it('a root rotation by one instance leaves the other reading and writing', async () => {
    await a.tenants.create('initech');
    await a.secrets.put('initech', 'k', 'before-rotation');
    await b.keys.rotateRootKey();
    // a holds only the old key file contents in memory; the file provider reloads on an unknown id.
    await a.tenants.create('initech2');
    await a.secrets.put('initech2', 'k', 'after-rotation');
    expect((await b.secrets.reveal('initech2', 'k')).value).toBe('after-rotation');
    expect((await a.secrets.reveal('initech', 'k')).value).toBe('before-rotation');
    // a wrapped the new tenant's key under the new root key, so the old one can be retired.
    const status = await b.keys.status();
    const old = status.root.find((r) => r.state === 'previous')!;
    expect(old.tenantKeys).toBe(0);
    await b.keys.retire(old.id);
  });

  it('reveals what the other instance wrote, deleted or destroyed a moment ago (no stale read)', async () => {
    await a.tenants.create('umbrella');
    await a.secrets.put('umbrella', 'k', 'value-one');
    // Twice here: the second reveal may be served from this instance's read cache.
    expect((await a.secrets.reveal('umbrella', 'k')).value).toBe('value-one');
    expect((await a.secrets.reveal('umbrella', 'k')).value).toBe('value-one');

    await b.secrets.put('umbrella', 'k', 'value-two');
    expect(await a.secrets.reveal('umbrella', 'k')).toMatchObject({ version: 2, value: 'value-two' });
    expect((await a.secrets.reveal('umbrella', 'k', { version: 1 })).value).toBe('value-one');

    await b.secrets.delete('umbrella', 'k', { versions: [1] });
    await expect(a.secrets.reveal('umbrella', 'k', { version: 1 })).rejects.toMatchObject({ code: 'SECRET_VERSION_DELETED' });
    await b.secrets.destroy('umbrella', 'k', { versions: [2] });
    await expect(a.secrets.reveal('umbrella', 'k')).rejects.toMatchObject({ code: 'SECRET_VERSION_DESTROYED' });

    await b.secrets.delete('umbrella', 'k');
    await b.tenants.delete('umbrella');
    await expect(a.secrets.reveal('umbrella', 'k')).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
  });

  it('reveals what this instance wrote, read after read', async () => {
    await a.tenants.create('hooli');
    for (let i = 1; i <= 20; i++) {
      await a.secrets.put('hooli', 'k', `value-${i}`);
      expect(await a.secrets.reveal('hooli', 'k')).toMatchObject({ version: i, value: `value-${i}` });
      expect(await b.secrets.reveal('hooli', 'k')).toMatchObject({ version: i, value: `value-${i}` });
    }
  });
});

forEachBackend('API token cache across instances', (backend) => {
  let a: Coffer;
  let b: Coffer;
  const CACHE_MS = 300;
  beforeAll(async () => {
    const config = { dataDir: backend().dataDir, databaseUrl: backend().databaseUrl, tokenCacheMs: CACHE_MS };
    a = await createCoffer(config);
    b = await createCoffer({ ...config, createIfMissing: false });
    await a.tenants.create('cache-t');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a revocation here takes effect at once; one made elsewhere within the cache time', async () => {
    const local = await a.tokens.create({ kind: 'tenant', tenant: 'cache-t', scopes: ['secrets:read'] });
    expect((await a.tokens.authenticate(local.token)).tokenId).toBe(local.info.id);
    await a.tokens.revoke(local.info.id);
    await expect(a.tokens.authenticate(local.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const remote = await a.tokens.create({ kind: 'tenant', tenant: 'cache-t', scopes: ['secrets:read'] });
    await a.tokens.authenticate(remote.token); // cached in a
    await b.tokens.revoke(remote.info.id);
    const deadline = Date.now() + CACHE_MS + 100;
    let refused = false;
    while (!refused && Date.now() < deadline + 500) {
      refused = await a.tokens.authenticate(remote.token).then(
        () => false,
        (err) => err.code === 'UNAUTHENTICATED',
      );
      if (!refused) await new Promise((r) => setTimeout(r, 25));
    }
    expect(refused).toBe(true);
    expect(Date.now()).toBeLessThanOrEqual(deadline + 500);
  });

  it('a tenant deleted here takes its cached tokens along at once', async () => {
    const t = await a.tokens.create({ kind: 'tenant', tenant: 'cache-t', scopes: ['secrets:read'], ttlSeconds: 60 });
    await a.tokens.authenticate(t.token);
    await a.tenants.delete('cache-t');
    await expect(a.tokens.authenticate(t.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
