/**
 * Connections, secrets first, on both databases: a connection row never holds a credential;
 * its secret is written in the same transaction; failures leave nothing behind; deleting it
 * erases what it owns; the test request runs against a loopback stand-in of the provider's API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coffer } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { startStandIn, type StandIn } from './support/provider-standin.js';
import { withAuditRefused } from './support/audit-refused.js';
import { errorText, expectCode, hex, openCoffer, rawDb, tenantId } from './helpers.js';

const TOKEN = `shpat_${'0123456789abcdef'.repeat(2)}`;
const OTHER_TOKEN = `shpat_${'fedcba9876543210'.repeat(2)}`;

function writeProviders(dir: string, standIn: string): void {
  writeFileSync(
    join(dir, 'standin-shop.json'),
    JSON.stringify({
      id: 'standin-shop',
      name: 'Stand-in Shop',
      auth: { mode: 'api_key', fields: [{ name: 'access_token', label: 'Admin API access token', pattern: '^shpat_[0-9a-f]{32}$' }] },
      config: [
        { name: 'shop', label: 'Shop', pattern: '^[a-z0-9-]{1,40}$' },
        { name: 'region', label: 'Region', required: false, default: 'eu', pattern: '^(eu|us)$' },
      ],
      // The base URL has a placeholder: the stand-in's host is declared.
      allowedHosts: ['127.0.0.1'],
      api: {
        baseUrl: `${standIn}/admin/{shop}`,
        inject: { headers: { 'X-Shopify-Access-Token': '{access_token}' } },
        test: { method: 'GET', path: '/shop.json', expectStatus: 200, identifierPath: 'shop.id' },
      },
    }),
  );
  writeFileSync(
    join(dir, 'standin-basic.yaml'),
    [
      'id: standin-basic',
      'name: Stand-in Basic',
      'auth:',
      '  mode: basic',
      '  fields:',
      '    - { name: username, label: Username, secret: false }',
      '    - { name: password, label: Password }',
      'api:',
      `  baseUrl: ${standIn}/basic`,
      '  inject:',
      '    headers: { Authorization: "Basic {basic_auth}" }',
      '  test: { path: /me }',
    ].join('\n'),
  );
}

forEachBackend('connections', (backend) => {
  let coffer: Coffer;
  let standIn: StandIn;
  let providersDir: string;
  const tenant = tenantId('shopco');

  beforeAll(async () => {
    standIn = await startStandIn({ header: 'x-shopify-access-token', expect: TOKEN, account: { shop: { id: 548380009, name: 'Stand-in shop' } }, paths: ['/admin/acme/shop.json'] });
    providersDir = mkdtempSync(join(tmpdir(), 'coffer-providers-'));
    writeProviders(providersDir, standIn.url);
    coffer = await openCoffer(backend(), { providersDir });
    await coffer.tenants.create(tenant);
  });
  afterAll(async () => {
    await coffer?.close();
    await standIn?.close();
    rmSync(providersDir, { recursive: true, force: true });
  });

  const create = (extra: Record<string, unknown> = {}) =>
    coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'acme' }, credentials: { access_token: TOKEN }, ...extra });

  it('creates a connection and its credentials secret together; the row holds no credential', async () => {
    const c = await create({ displayName: 'Acme store' });
    expect(c).toMatchObject({
      tenant,
      provider: 'standin-shop',
      displayName: 'Acme store',
      authMode: 'api_key',
      status: 'active',
      lastError: null,
      config: { shop: 'acme', region: 'eu' },
      secret: { name: `${c.id}.credentials`, owned: true },
    });
    expect(c.id).toMatch(/^con_[0-9a-f]{20}$/);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
    expect(c.credentials).toEqual({ access_token: expect.stringMatching(/^shpat_••••/) });
    // The secret is an ordinary vault secret of the tenant, with its connection in metadata.
    expect(await coffer.secrets.reveal(tenant, c.secret.name)).toMatchObject({ version: 1, type: 'api_key', value: { access_token: TOKEN } });
    expect((await coffer.secrets.get(tenant, c.secret.name)).metadata).toEqual({ connection: c.id, provider: 'standin-shop' });
    const db = await rawDb(backend());
    try {
      const rows = await db.all('select * from connections where id = ?', [c.id]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(TOKEN);
    } finally {
      await db.close();
    }
  });

  it('refuses bad input with a stable code, never repeating a value, and leaves nothing behind', async () => {
    const canary = `zq-canary-${hex(8)}`;
    const before = (await coffer.secrets.list(tenant)).items.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ provider: 'no-such-provider' }, 'PROVIDER_NOT_FOUND'],
      [{ credentials: {} }, 'CONNECTION_INVALID'],
      [{ credentials: { access_token: canary } }, 'CONNECTION_INVALID'],
      [{ credentials: { access_token: TOKEN, [canary]: 'x' } }, 'CONNECTION_INVALID'],
      [{ credentials: { access_token: 42 } }, 'CONNECTION_INVALID'],
      [{ config: {} }, 'CONNECTION_INVALID'],
      [{ config: { shop: `${canary}/../../x` } }, 'CONNECTION_INVALID'],
      [{ config: { shop: 'acme', region: canary } }, 'CONNECTION_INVALID'],
      [{ secret: 'some-secret' }, 'CONNECTION_INVALID'],
      [{ displayName: 'x'.repeat(201) }, 'INVALID_ARGUMENT'],
    ];
    for (const [extra, code] of cases) {
      const err = await expectCode(create(extra), code as never);
      expect(errorText(err)).not.toContain(canary);
      expect(errorText(err)).not.toContain(TOKEN);
    }
    await expectCode(coffer.connections.create(tenant, { provider: 'generic-oauth2', config: { auth_host: 'auth.example.com', api_host: 'api.example.com' }, credentials: { access_token: 'x' } }), 'CONNECTION_INVALID');
    await expectCode(coffer.connections.create('no-such-tenant', { provider: 'standin-shop', config: { shop: 'acme' }, credentials: { access_token: TOKEN } }), 'TENANT_NOT_FOUND');
    expect((await coffer.secrets.list(tenant)).items.length).toBe(before);
  });

  it('rolls back the secret when creation fails after it was written', async () => {
    const before = await coffer.connections.list(tenant);
    const secretsBefore = (await coffer.secrets.list(tenant)).items.map((s) => s.name);
    // The audit event is the last write of the transaction, after the secret and the row.
    await withAuditRefused(backend(), () =>
      expectCode(coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'acme' }, credentials: { access_token: TOKEN } }), 'AUDIT_UNAVAILABLE'),
    );
    expect((await coffer.connections.list(tenant)).items.map((c) => c.id)).toEqual(before.items.map((c) => c.id));
    expect((await coffer.secrets.list(tenant)).items.map((s) => s.name)).toEqual(secretsBefore);
  });

  it('can reference an existing secret instead, checks that it fits, and leaves it when deleted', async () => {
    await coffer.secrets.put(tenant, 'shop-token', TOKEN);
    await coffer.secrets.put(tenant, 'not-a-token', 'hello-world');
    const c = await coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'acme' }, secret: 'shop-token' });
    expect(c.secret).toEqual({ name: 'shop-token', owned: false });
    expect((await coffer.connections.getCredentials(tenant, c.id)).values).toEqual({ access_token: TOKEN });
    const err = await expectCode(coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'acme' }, secret: 'not-a-token' }), 'CONNECTION_INVALID');
    expect(errorText(err)).not.toContain('hello-world');
    await expectCode(coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'acme' }, secret: 'missing-secret' }), 'SECRET_NOT_FOUND');
    await coffer.connections.delete(tenant, c.id);
    expect((await coffer.secrets.reveal(tenant, 'shop-token')).value).toBe(TOKEN);
  });

  it('lists newest first a page at a time, and keeps each tenant to its own', async () => {
    const other = tenantId('otherco');
    await coffer.tenants.create(other);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await coffer.connections.create(other, { provider: 'standin-shop', displayName: `c${i}`, config: { shop: `shop-${i}` }, credentials: { access_token: TOKEN } }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await coffer.connections.list(other, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(made.map((c) => c.id).reverse());
    // Tenant isolation is in the storage layer: the other tenant's id is simply not found here.
    await expectCode(coffer.connections.get(tenant, made[0]!.id), 'CONNECTION_NOT_FOUND');
    await expectCode(coffer.connections.getCredentials(tenant, made[0]!.id), 'CONNECTION_NOT_FOUND');
    await expectCode(coffer.connections.delete(tenant, made[0]!.id), 'CONNECTION_NOT_FOUND');
    await expectCode(coffer.connections.list(other, { cursor: 'not-a-cursor' }), 'INVALID_ARGUMENT');
    await expectCode(coffer.connections.get(other, 'con_nope'), 'CONNECTION_NOT_FOUND');
    // Deleting the tenant takes its connections (and their secrets) along.
    await coffer.tenants.delete(other);
    const db = await rawDb(backend());
    try {
      expect(await db.all('select id from connections where tenant_id = ?', [other])).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('renames, merges config, and replaces credentials as a new secret version', async () => {
    const c = await create();
    const renamed = await coffer.connections.update(tenant, c.id, { displayName: 'Renamed', config: { region: 'us' } });
    expect(renamed).toMatchObject({ displayName: 'Renamed', config: { shop: 'acme', region: 'us' } });
    await expectCode(coffer.connections.update(tenant, c.id, { config: { region: 'mars' } }), 'CONNECTION_INVALID');
    // {shop} forms the base URL: fixed once the connection exists, and nothing changes.
    const immutable = await expectCode(coffer.connections.update(tenant, c.id, { displayName: 'Elsewhere', config: { shop: 'other-shop' } }), 'CONNECTION_FIELD_IMMUTABLE');
    expect(immutable.details).toEqual({ field: 'shop' });
    expect(await coffer.connections.get(tenant, c.id)).toMatchObject({ displayName: 'Renamed', config: { shop: 'acme', region: 'us' } });
    await expectCode(coffer.connections.update(tenant, c.id, { credentials: { access_token: 'bad' } }), 'CONNECTION_INVALID');
    const replaced = await coffer.connections.update(tenant, c.id, { credentials: { access_token: OTHER_TOKEN } });
    expect(replaced.status).toBe('active');
    const versions = await coffer.secrets.versions(tenant, c.secret.name);
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await coffer.connections.getCredentials(tenant, c.id)).values.access_token).toBe(OTHER_TOKEN);
  });

  it('deletes a connection and erases the secret it owns', async () => {
    const c = await create();
    const deleted = await coffer.connections.delete(tenant, c.id);
    expect(deleted.id).toBe(c.id);
    await expectCode(coffer.connections.get(tenant, c.id), 'CONNECTION_NOT_FOUND');
    await expectCode(coffer.secrets.reveal(tenant, c.secret.name), 'SECRET_NOT_FOUND');
    const db = await rawDb(backend());
    try {
      expect(await db.all('select id from secrets where tenant_id = ? and name = ?', [tenant, c.secret.name])).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('gives credentials with the headers that carry them, and records the use', async () => {
    const c = await create();
    const creds = await coffer.connections.getCredentials(tenant, c.id);
    expect(creds).toMatchObject({
      connectionId: c.id,
      provider: 'standin-shop',
      authMode: 'api_key',
      values: { access_token: TOKEN },
      baseUrl: `${standIn.url}/admin/acme`,
      headers: { 'X-Shopify-Access-Token': TOKEN },
      query: {},
      expiresAt: null,
    });
    expect((await coffer.connections.get(tenant, c.id)).lastUsedAt).toBeInstanceOf(Date);
  });

  describe('the test request against the provider stand-in', () => {
    it('records the remote account id when the provider accepts the credentials', async () => {
      const c = await create();
      const seenBefore = standIn.seen.length;
      const result = await coffer.connections.test(tenant, c.id);
      expect(result).toMatchObject({ ok: true, status: 200, identifier: '548380009', error: null, connection: { status: 'active', identifier: '548380009' } });
      expect(standIn.seen.slice(seenBefore)).toEqual([{ method: 'GET', path: '/admin/acme/shop.json', credential: TOKEN }]);
    });

    it('marks the connection in error on a 401, without the body, and recovers with new credentials', async () => {
      const c = await coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'acme' }, credentials: { access_token: OTHER_TOKEN } });
      const result = await coffer.connections.test(tenant, c.id);
      expect(result).toMatchObject({ ok: false, status: 401, identifier: null });
      expect(result.error).toMatch(/answered 401.*refused/);
      const info = await coffer.connections.get(tenant, c.id);
      expect(info).toMatchObject({ status: 'error', lastError: result.error });
      expect(JSON.stringify(info)).not.toContain('leaky-body-token');
      expect(JSON.stringify(result)).not.toContain(OTHER_TOKEN);
      await coffer.connections.update(tenant, c.id, { credentials: { access_token: TOKEN } });
      expect((await coffer.connections.test(tenant, c.id)).connection.status).toBe('active');
    });

    it('says so when rate limited (429) or when the provider cannot be reached', async () => {
      const c = await create();
      standIn.mode = 'rate_limited';
      try {
        expect((await coffer.connections.test(tenant, c.id)).error).toMatch(/answered 429.*rate limited/);
      } finally {
        standIn.mode = 'normal';
      }
      const gone = await coffer.connections.create(tenant, { provider: 'standin-shop', config: { shop: 'nowhere' }, credentials: { access_token: TOKEN } });
      expect(await coffer.connections.test(tenant, gone.id)).toMatchObject({ ok: false, status: 404 });
    });

    it('puts basic credentials on the request as the provider declares', async () => {
      const c = await coffer.connections.create(tenant, { provider: 'standin-basic', credentials: { username: 'shop-user', password: 'pa55-word' } });
      const creds = await coffer.connections.getCredentials(tenant, c.id);
      expect(creds.headers).toEqual({ Authorization: `Basic ${Buffer.from('shop-user:pa55-word').toString('base64')}` });
      // /basic/me is not served by the stand-in: a clean 404 result, not an exception.
      expect(await coffer.connections.test(tenant, c.id)).toMatchObject({ ok: false, status: 404 });
    });
  });
});
