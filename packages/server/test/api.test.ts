/**
 * Every route of the REST API through the SDK, against a real server on a real SQLite file and
 * a real PostgreSQL database: tenants, tokens, secrets and their versions, keys, the audit log,
 * and the service routes (health, readiness, metrics, OpenAPI, docs). Tests run in order on one
 * server per backend; each uses its own tenants.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { ROUTES } from '../src/app.js';
import { expectApiError, expectErrorBody, expectNoneIn, hex, rawDb, startTestServer, type TestServer } from './support.js';

const MASK = '••••••••';
const TOKEN_SHAPE = /^cfr_[0-9A-Za-z]{49}$/;

forEachBackend('REST API', (backend) => {
  let s: TestServer;
  /** Distinctive tenant ids and secret names used here: none may show up in /metrics. */
  const usedNames: string[] = [];
  /** Every plaintext value and token text used here: none may show up in the server log. */
  const secretsUsed: string[] = [];
  const tenant = (p: string) => {
    const id = `zq${p}${hex(4)}`;
    usedNames.push(id);
    return id;
  };
  const name = (p: string) => {
    const n = `zqs${p}${hex(4)}`;
    usedNames.push(n);
    return n;
  };
  const value = (p = 'sk_live_') => {
    const v = `${p}${hex(16)}Ky9Q`;
    secretsUsed.push(v);
    return v;
  };

  beforeAll(async () => {
    s = await startTestServer(backend());
    secretsUsed.push(s.adminToken);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers /healthz and /readyz without a token', async () => {
    expect(await s.client().health()).toEqual({ status: 'ok' });
    expect(await s.client().ready()).toEqual({ status: 'ready' });
    const h = await s.request('GET', '/healthz');
    const r = await s.request('GET', '/readyz');
    expect([h.status, r.status]).toEqual([200, 200]);
  });

  it('creates, lists and deletes tenants; a second create is 409 TENANT_EXISTS', async () => {
    const t = tenant('ten');
    const created = await s.request('POST', '/v1/tenants', { token: s.adminToken, body: { id: t, name: 'Zq Tenant' } });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ id: t, name: 'Zq Tenant', createdAt: expect.any(String), secretCount: 0 });
    expect(Number.isNaN(Date.parse(created.json.createdAt))).toBe(false);

    const dup = await s.request('POST', '/v1/tenants', { token: s.adminToken, body: { id: t } });
    expect(expectErrorBody(dup, 409, 'TENANT_EXISTS')).toContain(t);
    await expectApiError(s.admin.tenants.create(t), 409, 'TENANT_EXISTS');

    await s.admin.secrets.put(t, name('x'), value());
    const listed = await s.admin.tenants.list();
    expect(listed.find((x) => x.id === t)).toEqual({ id: t, name: 'Zq Tenant', createdAt: created.json.createdAt, secretCount: 1 });

    expect(await s.admin.tenants.delete(t)).toEqual({ id: t, deleted: true });
    expect((await s.admin.tenants.list()).some((x) => x.id === t)).toBe(false);
    await expectApiError(s.admin.tenants.delete(t), 404, 'TENANT_NOT_FOUND');
    await expectApiError(s.admin.secrets.list(t), 404, 'TENANT_NOT_FOUND');

    expectErrorBody(await s.request('POST', '/v1/tenants', { token: s.adminToken, body: { id: '-bad id' } }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await s.request('POST', '/v1/tenants', { token: s.adminToken, body: { id: tenant('x'), extra: 1 } }), 400, 'VALIDATION_FAILED');
  });

  it('creates tokens (shown once, no-store), lists them without token text, revokes them at once', async () => {
    const t = tenant('tok');
    await s.admin.tenants.create(t);
    const res = await s.request('POST', '/v1/tokens', { token: s.adminToken, body: { kind: 'tenant', tenant: t, scopes: ['secrets:read', 'secrets:reveal'], description: 'ci' } });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = res.json;
    expect(created).toEqual({
      id: expect.stringMatching(/^tok_[0-9a-f]{16}$/),
      kind: 'tenant',
      tenant: t,
      scopes: ['secrets:read', 'secrets:reveal'],
      description: 'ci',
      createdAt: expect.any(String),
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      token: expect.stringMatching(TOKEN_SHAPE),
    });
    const token: string = created.token;
    secretsUsed.push(token);

    const tc = s.client(token);
    expect((await tc.secrets.list(t)).items).toEqual([]);

    // Listed (all, and by tenant), never with the token text or its hash.
    const all = await s.request('GET', '/v1/tokens', { token: s.adminToken });
    expect(all.status).toBe(200);
    expectNoneIn(all.text, [token, token.slice(4, 30)], 'GET /v1/tokens');
    const mine = await s.admin.tokens.list({ tenant: t });
    expect(mine.map((x) => x.id)).toEqual([created.id]);
    expect(Object.keys(mine[0]!).sort()).toEqual(['createdAt', 'description', 'expiresAt', 'id', 'kind', 'lastUsedAt', 'revokedAt', 'scopes', 'tenant']);
    expect(all.json.items.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([created.id, s.adminTokenId]));
    for (const item of all.json.items) expect(item).not.toHaveProperty('token');

    // Revoked: refused on the very next request.
    const revoked = await s.admin.tokens.revoke(created.id);
    expect(revoked).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    const after = await s.request('GET', `/v1/tenants/${t}/secrets`, { token });
    expectErrorBody(after, 401, 'UNAUTHENTICATED');
    expect(after.headers['www-authenticate']).toBe('Bearer');
    // Revoking again is harmless; an unknown id is 404.
    expect((await s.admin.tokens.revoke(created.id)).revokedAt).toBe(revoked.revokedAt);
    await expectApiError(s.admin.tokens.revoke('tok_0000000000000000'), 404, 'TOKEN_NOT_FOUND');
    await expectApiError(s.admin.tokens.revoke('not-a-token-id'), 404, 'TOKEN_NOT_FOUND');

    // Bad requests.
    await expectApiError(s.admin.tokens.create({ kind: 'admin', scopes: ['secrets:read'] }), 400, 'SCOPE_INVALID');
    await expectApiError(s.admin.tokens.create({ kind: 'tenant', tenant: t }), 400, 'SCOPE_INVALID');
    await expectApiError(s.admin.tokens.create({ kind: 'tenant', tenant: 'zq-no-such-tenant', scopes: ['secrets:read'] }), 404, 'TENANT_NOT_FOUND');
    await expectApiError(s.admin.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:everything' as never] }), 400, 'VALIDATION_FAILED');
    await expectApiError(s.admin.tokens.create({ kind: 'admin', ttlSeconds: 59 }), 400, 'VALIDATION_FAILED');

    // A second admin token made through the API works like the first.
    const admin2 = await s.admin.tokens.create({ kind: 'admin' });
    secretsUsed.push(admin2.token);
    expect(admin2).toMatchObject({ kind: 'admin', tenant: null, scopes: [] });
    expect((await s.client(admin2.token).tenants.list()).some((x) => x.id === t)).toBe(true);
  });

  it('refuses an expired token (ttlSeconds, then expires_at moved into the past in SQL)', async () => {
    const t = tenant('exp');
    await s.admin.tenants.create(t);
    const before = Date.now();
    const created = await s.admin.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read'], ttlSeconds: 60 });
    secretsUsed.push(created.token);
    const expires = Date.parse(created.expiresAt!);
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
    expect((await s.client(created.token).secrets.list(t)).items).toEqual([]);

    const db = await rawDb(backend());
    try {
      expect(await db.run('update api_tokens set expires_at = ? where id = ?', [Date.now() - 1000, created.id])).toBe(1);
    } finally {
      await db.close();
    }
    expectErrorBody(await s.request('GET', `/v1/tenants/${t}/secrets`, { token: created.token }), 401, 'UNAUTHENTICATED');
    await expectApiError(s.client(created.token).secrets.list(t), 401, 'UNAUTHENTICATED');
  });

  it("deleting a tenant takes its tokens with it: a re-created tenant of the same id is not open to them", async () => {
    const t = tenant('del');
    await s.admin.tenants.create(t);
    const tok = await s.admin.tokens.create({ kind: 'tenant', tenant: t, scopes: ['secrets:read', 'secrets:write', 'secrets:reveal'] });
    secretsUsed.push(tok.token);
    await s.admin.tenants.delete(t);
    await s.admin.tenants.create(t);
    const secretValue = value();
    await s.admin.secrets.put(t, 'after-recreate', secretValue);
    const res = await s.request('POST', `/v1/tenants/${t}/secrets/after-recreate/reveal`, { token: tok.token, body: {} });
    expectErrorBody(res, 401, 'UNAUTHENTICATED');
    expectNoneIn(res.text, [secretValue], 'reveal with a dead tenant token');
    expect(await s.admin.tokens.list({ tenant: t })).toEqual([]);
  });

  it('writes, reads (masked), reveals (no-store) and lists secrets; list/get/versions never carry plaintext', async () => {
    const t = tenant('sec');
    await s.admin.tenants.create(t);
    const n = name('api');
    const v1 = value();
    const v2 = value();
    const put1 = await s.request('PUT', `/v1/tenants/${t}/secrets/${n}`, { token: s.adminToken, body: { value: v1, type: 'api_key', metadata: { provider: 'shopify' } } });
    expect(put1.status).toBe(200);
    expect(put1.json).toEqual({ name: n, version: 1, createdAt: expect.any(String) });
    expect(await s.admin.secrets.put(t, n, v2)).toMatchObject({ name: n, version: 2 });

    const info = await s.admin.secrets.get(t, n);
    expect(info).toEqual({
      name: n,
      type: 'api_key',
      metadata: { provider: 'shopify' },
      currentVersion: 2,
      state: 'active',
      maxVersions: 10,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      masked: `sk_live_${MASK}Ky9Q`,
    });

    const reveal = await s.request('POST', `/v1/tenants/${t}/secrets/${n}/reveal`, { token: s.adminToken, body: {} });
    expect(reveal.status).toBe(200);
    expect(reveal.headers['cache-control']).toBe('no-store');
    expect(reveal.json).toEqual({ name: n, type: 'api_key', version: 2, value: v2 });
    expect(await s.admin.secrets.reveal(t, n, { version: 1 })).toEqual({ name: n, type: 'api_key', version: 1, value: v1 });
    const r1 = await s.request('POST', `/v1/tenants/${t}/secrets/${n}/reveal`, { token: s.adminToken, body: { version: 1 } });
    expect(r1.headers['cache-control']).toBe('no-store');

    // Structured values, and a type with a required shape.
    const oauth = { client_id: `cid-${hex(8)}`, client_secret: value('cs-'), expires_in: 3600 };
    await s.admin.secrets.put(t, 'oauth', oauth, { type: 'oauth2' });
    expect((await s.admin.secrets.reveal(t, 'oauth')).value).toEqual(oauth);
    expect((await s.admin.secrets.get(t, 'oauth')).masked).toEqual({ client_id: `cid-${MASK}${oauth.client_id.slice(-4)}`, client_secret: `cs-${MASK}Ky9Q`, expires_in: MASK });
    await expectApiError(s.admin.secrets.put(t, 'basic', { user: 'x' }, { type: 'basic' }), 400, 'SECRET_VALUE_INVALID');
    expectErrorBody(await s.request('PUT', `/v1/tenants/${t}/secrets/${n}`, { token: s.adminToken, body: { value: '' } }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await s.request('PUT', `/v1/tenants/${t}/secrets/${n}`, { token: s.adminToken, body: { value: { nested: { a: 1 } } } }), 400, 'VALIDATION_FAILED');
    await expectApiError(s.admin.secrets.get(t, 'nope'), 404, 'SECRET_NOT_FOUND');
    await expectApiError(s.admin.secrets.reveal(t, 'nope'), 404, 'SECRET_NOT_FOUND');
    await expectApiError(s.admin.secrets.reveal(t, n, { version: 9 }), 404, 'SECRET_VERSION_NOT_FOUND');

    const plaintexts = [v1, v2, oauth.client_id, oauth.client_secret];
    const listText = (await s.request('GET', `/v1/tenants/${t}/secrets`, { token: s.adminToken })).text;
    const getText = (await s.request('GET', `/v1/tenants/${t}/secrets/${n}`, { token: s.adminToken })).text;
    const versionsText = (await s.request('GET', `/v1/tenants/${t}/secrets/${n}/versions`, { token: s.adminToken })).text;
    const oauthText = (await s.request('GET', `/v1/tenants/${t}/secrets/oauth`, { token: s.adminToken })).text;
    for (const [what, text] of Object.entries({ list: listText, get: getText, versions: versionsText, getOauth: oauthText })) expectNoneIn(text, plaintexts, what);
  });

  it('pages secret lists by name with a cursor', async () => {
    const t = tenant('page');
    await s.admin.tenants.create(t);
    const names = Array.from({ length: 7 }, (_, i) => `p${i}-${hex(2)}`);
    for (const n of [...names].reverse()) await s.admin.secrets.put(t, n, value());
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await s.admin.secrets.list(t, { limit: 3, ...(cursor ? { cursor } : {}) });
      sizes.push(page.items.length);
      seen.push(...page.items.map((x) => x.name));
      if (page.nextCursor === null) break;
      expect(page.nextCursor).toBe(page.items.at(-1)!.name);
      cursor = page.nextCursor;
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([...names].sort());
    const whole = await s.admin.secrets.list(t);
    expect(whole.nextCursor).toBeNull();
    expect(whole.items.map((x) => x.name)).toEqual([...names].sort());
    expectErrorBody(await s.request('GET', `/v1/tenants/${t}/secrets?limit=0`, { token: s.adminToken }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await s.request('GET', `/v1/tenants/${t}/secrets?bogus=1`, { token: s.adminToken }), 400, 'VALIDATION_FAILED');
  });

  it('lists versions, deletes (?version and all), undeletes and destroys', async () => {
    const t = tenant('ver');
    await s.admin.tenants.create(t);
    const n = name('ver');
    const vals = [value(), value(), value()];
    for (const v of vals) await s.admin.secrets.put(t, n, v);

    const versions = await s.admin.secrets.versions(t, n);
    expect(versions.map((v) => [v.version, v.state, v.keyId])).toEqual([
      [3, 'active', `${t}/v1`],
      [2, 'active', `${t}/v1`],
      [1, 'active', `${t}/v1`],
    ]);
    expect(versions.every((v) => v.masked === `sk_live_${MASK}Ky9Q`)).toBe(true);

    expect(await s.admin.secrets.delete(t, n, { version: 2 })).toEqual({ name: n, versions: [2] });
    await expectApiError(s.admin.secrets.reveal(t, n, { version: 2 }), 410, 'SECRET_VERSION_DELETED');
    expect((await s.admin.secrets.reveal(t, n)).value).toBe(vals[2]);
    expect(await s.admin.secrets.undelete(t, n, [2])).toEqual({ name: n, versions: [2] });
    expect((await s.admin.secrets.reveal(t, n, { version: 2 })).value).toBe(vals[1]);

    expect(await s.admin.secrets.destroy(t, n, [1])).toEqual({ name: n, versions: [1] });
    await expectApiError(s.admin.secrets.reveal(t, n, { version: 1 }), 410, 'SECRET_VERSION_DESTROYED');
    await expectApiError(s.admin.secrets.undelete(t, n, [1]), 410, 'SECRET_VERSION_DESTROYED');
    const after = await s.admin.secrets.versions(t, n);
    expect(after.find((v) => v.version === 1)).toMatchObject({ state: 'destroyed', keyId: null, masked: null, destroyedAt: expect.any(String) });

    // Delete every version, then bring them back.
    expect(await s.admin.secrets.delete(t, n)).toEqual({ name: n, versions: [2, 3] });
    expect(await s.admin.secrets.get(t, n)).toMatchObject({ currentVersion: 3, state: 'deleted' });
    await expectApiError(s.admin.secrets.reveal(t, n), 410, 'SECRET_VERSION_DELETED');
    expect(await s.admin.secrets.undelete(t, n, [2, 3])).toEqual({ name: n, versions: [2, 3] });
    expect((await s.admin.secrets.reveal(t, n)).value).toBe(vals[2]);

    await expectApiError(s.admin.secrets.delete(t, n, { version: 7 }), 404, 'SECRET_VERSION_NOT_FOUND');
    expectErrorBody(await s.request('DELETE', `/v1/tenants/${t}/secrets/${n}?version=abc`, { token: s.adminToken }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await s.request('POST', `/v1/tenants/${t}/secrets/${n}/destroy`, { token: s.adminToken, body: { versions: [] } }), 400, 'VALIDATION_FAILED');
  });

  it('check-and-set: a stale or wrong cas is 409 CAS_MISMATCH', async () => {
    const t = tenant('cas');
    await s.admin.tenants.create(t);
    const n = name('cas');
    expect((await s.admin.secrets.put(t, n, value(), { cas: 0 })).version).toBe(1);
    const again = await s.request('PUT', `/v1/tenants/${t}/secrets/${n}`, { token: s.adminToken, body: { value: value(), cas: 0 } });
    expectErrorBody(again, 409, 'CAS_MISMATCH');
    // The answer carries the current version, so a client can re-read and retry without guessing.
    expect(again.json.error.currentVersion).toBe(1);
    expect((await s.admin.secrets.put(t, n, value(), { cas: 1 })).version).toBe(2);
    expect((await expectApiError(s.admin.secrets.put(t, n, value(), { cas: 1 }), 409, 'CAS_MISMATCH')).currentVersion).toBe(2);
    expect((await expectApiError(s.admin.secrets.put(t, name('cas'), value(), { cas: 5 }), 409, 'CAS_MISMATCH')).currentVersion).toBe(0);
    expect((await s.admin.secrets.get(t, n)).currentVersion).toBe(2);
  });

  it('caps values at 64 KiB (UTF-8 bytes): 413 SECRET_VALUE_TOO_LARGE; bodies past 512 KiB are 413 BODY_TOO_LARGE', async () => {
    const t = tenant('big');
    await s.admin.tenants.create(t);
    const atLimit = 'a'.repeat(64 * 1024);
    expect((await s.admin.secrets.put(t, 'limit', atLimit)).version).toBe(1);
    expect((await s.admin.secrets.reveal(t, 'limit')).value).toBe(atLimit);

    const over = `${hex(8)}${'b'.repeat(64 * 1024 - 15)}`;
    const res = await s.request('PUT', `/v1/tenants/${t}/secrets/over`, { token: s.adminToken, body: { value: over } });
    expectNoneIn(expectErrorBody(res, 413, 'SECRET_VALUE_TOO_LARGE'), [over.slice(0, 16)], 'the 413 message');
    // 21,846 three-byte characters: under 64 Ki characters, over 64 KiB.
    await expectApiError(s.admin.secrets.put(t, 'euro', '€'.repeat(21_846)), 413, 'SECRET_VALUE_TOO_LARGE');
    await expectApiError(s.admin.secrets.put(t, 'fields', { a: 'c'.repeat(40_000), b: 'd'.repeat(30_000) }), 413, 'SECRET_VALUE_TOO_LARGE');
    await expectApiError(s.admin.secrets.get(t, 'over'), 404, 'SECRET_NOT_FOUND');

    const huge = await s.request('PUT', `/v1/tenants/${t}/secrets/huge`, { token: s.adminToken, body: { value: 'e'.repeat(600 * 1024) } });
    expectErrorBody(huge, 413, 'BODY_TOO_LARGE');
  });

  it('rotates and rewraps tenant keys, and reports key status', async () => {
    const t = tenant('key');
    await s.admin.tenants.create(t);
    const old = value();
    await s.admin.secrets.put(t, 'k', old);
    expect(await s.admin.keys.rotate(t)).toEqual({ keyId: `${t}/v2`, version: 2 });
    const fresh = value();
    await s.admin.secrets.put(t, 'k', fresh);
    expect((await s.admin.secrets.versions(t, 'k')).map((v) => v.keyId)).toEqual([`${t}/v2`, `${t}/v1`]);

    const status1 = await s.admin.keys.status();
    expect(status1.rootKeyProvider).toEqual(expect.any(String));
    expect(status1.root.length).toBeGreaterThanOrEqual(1);
    const mine = status1.tenants.filter((k) => k.tenant === t);
    expect(mine.map((k) => k.id)).toEqual([`${t}/v1`, `${t}/v2`]);

    expect(await s.admin.keys.rewrap(t)).toEqual({ tenant: t, keyId: `${t}/v2`, rewrapped: 1 });
    expect((await s.admin.secrets.versions(t, 'k')).map((v) => v.keyId)).toEqual([`${t}/v2`, `${t}/v2`]);
    expect((await s.admin.secrets.reveal(t, 'k', { version: 1 })).value).toBe(old);
    expect((await s.admin.secrets.reveal(t, 'k')).value).toBe(fresh);
    expectNoneIn(JSON.stringify(await s.admin.keys.status()), [old, fresh], 'GET /v1/keys');

    await expectApiError(s.admin.keys.rotate('zq-no-such-tenant'), 404, 'TENANT_NOT_FOUND');
    await expectApiError(s.admin.keys.rewrap('zq-no-such-tenant'), 404, 'TENANT_NOT_FOUND');
  });

  it('lists audit events with filters (action, outcome, target, actor) and a cursor, and verifies the chain', async () => {
    const t = tenant('aud');
    await s.admin.tenants.create(t);
    const a = name('a');
    const b = name('b');
    await s.admin.secrets.put(t, a, value());
    await s.admin.secrets.put(t, b, value());
    await s.admin.secrets.reveal(t, a);
    await s.admin.secrets.reveal(t, a);
    await s.admin.secrets.reveal(t, b);
    await expectApiError(s.admin.secrets.reveal(t, 'missing'), 404, 'SECRET_NOT_FOUND');

    const all = await s.admin.audit.list(t);
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((e) => e.action)).toEqual(['secret.reveal', 'secret.reveal', 'secret.reveal', 'secret.reveal', 'secret.write', 'secret.write', 'tenant.create']);
    const seqs = all.items.map((e) => e.seq);
    expect([...seqs].sort((x, y) => y - x)).toEqual(seqs);

    const reveals = await s.admin.audit.list(t, { action: 'secret.reveal' });
    expect(reveals.items).toHaveLength(4);
    const failures = await s.admin.audit.list(t, { outcome: 'failure' });
    expect(failures.items.map((e) => [e.action, e.target, e.code])).toEqual([['secret.reveal', 'missing', 'SECRET_NOT_FOUND']]);
    const onA = await s.admin.audit.list(t, { target: a });
    expect(onA.items.map((e) => e.action)).toEqual(['secret.reveal', 'secret.reveal', 'secret.write']);
    const both = await s.admin.audit.list(t, { target: a, action: 'secret.reveal', outcome: 'success' });
    expect(both.items).toHaveLength(2);
    expect((await s.admin.audit.list(t, { actor: s.adminTokenId })).items).toHaveLength(7);
    expect((await s.admin.audit.list(t, { actor: 'tok_0000000000000000' })).items).toHaveLength(0);
    const sinceNow = await s.admin.audit.list(t, { since: new Date(Date.now() + 60_000).toISOString() });
    expect(sinceNow.items).toEqual([]);

    // Cursor: pages of 3, newest first, no overlap, the same events as one page.
    const paged: number[] = [];
    let cursor: number | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await s.admin.audit.list(t, { limit: 3, ...(cursor ? { cursor } : {}) });
      paged.push(...page.items.map((e) => e.seq));
      if (page.nextCursor === null) break;
      expect(page.nextCursor).toBe(page.items.at(-1)!.seq);
      cursor = page.nextCursor;
    }
    expect(paged).toEqual(seqs);

    expectErrorBody(await s.request('GET', `/v1/tenants/${t}/audit?outcome=maybe`, { token: s.adminToken }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await s.request('GET', `/v1/tenants/${t}/audit?limit=5000`, { token: s.adminToken }), 400, 'VALIDATION_FAILED');

    const verified = await s.admin.audit.verify();
    expect(verified).toEqual({ ok: true, checked: expect.any(Number), firstBroken: null, segments: [expect.objectContaining({ keyed: true, keyVersion: 1 })] });
    expect(verified.checked).toBeGreaterThanOrEqual(7);
  });

  it('answers every error with exactly {"error":{"code","message"}}', async () => {
    const t = tenant('err');
    await s.admin.tenants.create(t);
    const check = async (res: Promise<import('./support.js').RawResponse>, status: number, code: string) => expectErrorBody(await res, status, code);
    await check(s.request('GET', `/v1/nowhere/${t}`), 404, 'NOT_FOUND');
    await check(s.request('PATCH', '/v1/tenants'), 404, 'NOT_FOUND');
    await check(s.request('GET', '/v1/tenants'), 401, 'UNAUTHENTICATED');
    await check(s.request('GET', '/v1/tenants', { token: 'cfr_nope' }), 401, 'UNAUTHENTICATED');
    await check(s.request('GET', '/v1/tenants', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), 401, 'UNAUTHENTICATED');
    await check(s.request('POST', '/v1/tenants', { token: s.adminToken, rawBody: '{"id":', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
    await check(s.request('POST', '/v1/tenants', { token: s.adminToken, rawBody: '<id>x</id>', headers: { 'content-type': 'application/xml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await check(s.request('PUT', `/v1/tenants/${t}/secrets/bad%20name`, { token: s.adminToken, body: { value: 'x' } }), 400, 'VALIDATION_FAILED');
    await check(s.request('PUT', `/v1/tenants/${t}/secrets/ok`, { token: s.adminToken, body: { value: 'x', type: 'nonsense' } }), 400, 'VALIDATION_FAILED');
    await check(s.request('GET', `/v1/tenants/${t}/secrets/nope`, { token: s.adminToken }), 404, 'SECRET_NOT_FOUND');
  });

  it('serves /openapi.json (OpenAPI 3.1.0): every route of ROUTES with its operationId, success status and scope', async () => {
    const res = await s.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String), license: { identifier: 'Apache-2.0' } });
    expect(ROUTES.length).toBeGreaterThan(10);
    for (const r of ROUTES) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths?.[path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${path} is missing from /openapi.json`).toBeDefined();
      expect(op.operationId).toBe(r.operation.operationId);
      expect(op.responses[String(r.operation.success.status)], `${r.method} ${path}`).toBeDefined();
      const scopes = r.access.kind === 'tenant' ? [r.access.scope] : r.access.kind === 'admin' ? ['admin'] : [];
      if (r.access.kind !== 'public') expect(op.security, `${r.method} ${path}`).toEqual([{ bearer: scopes }]);
      expect(op['x-coffer-access']).toEqual(r.access);
    }
    // The API's routes, and health, readiness and metrics.
    const operations = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(operations).toBe(ROUTES.length + 3);
  });

  it('serves the API reference at /docs', async () => {
    const docs = await s.request('GET', '/docs', { headers: { accept: 'text/html' } });
    expect(docs.status).toBe(200);
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(docs.text).toMatch(/^<!doctype html>/i);
    // Redoc renders /openapi.json in the browser (docs-browser.test.ts drives it): the page loads Coffer's own copy.
    expect(docs.text).toContain('<script defer src="docs/redoc.standalone.js"></script>');
    expect(docs.text).toContain('<script defer src="docs/init.js"></script>');
    const bundle = await s.request('GET', '/docs/redoc.standalone.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bundle.text).toContain('Redoc');
    expect((await s.request('GET', '/docs/init.js')).text).toContain("new URL('../openapi.json', document.currentScript.src)");
  });

  it('serves Prometheus metrics labelled by route template, never by tenant or secret name', async () => {
    // An unmatched URL full of names used here must not become a label either.
    const [t, n] = [usedNames[0]!, usedNames.find((x) => x.startsWith('zqs'))!];
    await s.request('GET', `/v1/tenants/${t}/secrets/${n}/nonsense`, { token: s.adminToken });
    const res = await s.request('GET', '/metrics', { token: s.adminToken });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE coffer_http_requests_total counter');
    expect(res.text).toMatch(/coffer_http_requests_total\{method="POST",route="\/v1\/tenants\/:tenant\/secrets\/:name\/reveal",status="200"\} \d+/);
    expect(res.text).toMatch(/coffer_reveals_total\{outcome="success"\} \d+/);
    expect(res.text).toMatch(/coffer_errors_total\{code="CAS_MISMATCH"\} \d+/);
    expect(usedNames.length).toBeGreaterThan(10);
    expectNoneIn(res.text, usedNames, '/metrics');
    expectNoneIn(res.text, secretsUsed, '/metrics');
  });

  it('writes no secret value or token text to the server log', async () => {
    expect(s.logs.length).toBeGreaterThan(50);
    const log = s.logs.join('\n');
    expect(log).toContain('"route":"/v1/tenants/:tenant/secrets/:name/reveal"');
    expect(secretsUsed.length).toBeGreaterThan(20);
    expectNoneIn(log, secretsUsed, 'the server log');
  });
});
