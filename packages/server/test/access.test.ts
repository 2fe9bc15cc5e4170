/**
 * Who may call what, for EVERY route in the app's ROUTES (new routes are covered as they are
 * added): no token and malformed tokens are 401; a token of tenant B on tenant A's paths gets
 * exactly the answer a nonexistent tenant gets; a tenant token missing the route's scope is 403;
 * tenant tokens on admin routes are 403. Nothing of tenant A leaks into any refused answer.
 */
import { TENANT_SCOPES, type Scope } from '@coffer/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend } from '../../core/test/support/backends.js';
import { ROUTES } from '../src/app.js';
import type { RouteDefinition } from '../src/route.js';
import { expectApiError, expectErrorBody, expectNoneIn, hex, startTestServer, type RawResponse, type TestServer } from './support.js';

type Route = RouteDefinition<any, any, any, any>;
const label = (r: Route) => `${r.method} ${r.url}`;

/** A valid body per route (auth is checked before bodies, but a real request carries one). */
const SAMPLE_BODIES: Record<string, (ctx: { tenant: string }) => unknown> = {
  'POST /v1/tenants': () => ({ id: `zqnew${hex(4)}` }),
  'POST /v1/tokens': ({ tenant }) => ({ kind: 'tenant', tenant, scopes: ['secrets:read'] }),
  'PUT /v1/tenants/:tenant/secrets/:name': () => ({ value: `overwrite-${hex(8)}` }),
  'POST /v1/tenants/:tenant/secrets/:name/reveal': () => ({}),
  'POST /v1/tenants/:tenant/secrets/:name/undelete': () => ({ versions: [1] }),
  'POST /v1/tenants/:tenant/secrets/:name/destroy': () => ({ versions: [1] }),
  'POST /v1/tenants/:tenant/connections': () => ({ provider: 'generic-api-key', config: { api_host: 'api.example.com' }, credentials: { api_key: `zq-new-${hex(8)}` } }),
  'PATCH /v1/tenants/:tenant/connections/:id': () => ({ displayName: `renamed ${hex(4)}` }),
  'POST /v1/tenants/:tenant/connections/:id/credentials': () => ({}),
  'POST /v1/tenants/:tenant/connect/sessions': () => ({ provider: 'xero', returnUrl: 'https://app.example.com/connected' }),
  'PUT /v1/tenants/:tenant/connect/return-origins': () => ({ origins: ['https://app.example.com'] }),
  // Well-formed, signed by nobody: the answer is a verification that fails, not a 400.
  'POST /v1/audit/verify': () => ({ format: 'coffer-audit-checkpoint/1', seq: 0, hash: '0'.repeat(64), at: '2024-01-01T00:00:00.000Z', keyVersion: 1, keyId: '0'.repeat(16), signature: `${'A'.repeat(86)}==`, publicKey: `${'A'.repeat(43)}=` }),
};

function bodyFor(route: Route, tenant: string): unknown {
  const make = SAMPLE_BODIES[label(route)];
  if (make) return make({ tenant });
  return route.body ? {} : undefined;
}

forEachBackend('access matrix', (backend) => {
  let s: TestServer;
  // Same length as each other, so that answers for A and for the ghost can be compared byte for byte.
  const A = `zqa${hex(4)}`;
  const B = `zqb${hex(4)}`;
  const GHOST = `zqg${hex(4)}`;
  const A_DISPLAY = `Acme display ${hex(4)}`;
  const A_SECRETS: Record<string, string> = { [`zqsa${hex(4)}`]: `sk_live_${hex(16)}AaAa`, [`zqsb${hex(4)}`]: `whsec_${hex(20)}` };
  const A_SECRET = Object.keys(A_SECRETS)[0]!;
  const SCRATCH = `zqscratch${hex(3)}`;
  const B_SECRET = `zqsbee${hex(4)}`;
  /** A connection of A (its credential is a canary too; no provider request is ever made). */
  const A_CONNECTION_KEY = `zq-conn-${hex(8)}`;
  let connA = '';
  const aLeaks = () => [A_DISPLAY, ...Object.keys(A_SECRETS), ...Object.values(A_SECRETS), SCRATCH, A_CONNECTION_KEY, connA].filter(Boolean);

  let tokA: string;
  let tokAId: string;
  let tokB: string;
  /** Tokens of tenant A holding every scope but one. */
  const tokAWithout = new Map<Scope, string>();
  const ALL_SCOPES = [...TENANT_SCOPES];

  beforeAll(async () => {
    s = await startTestServer(backend());
    await s.admin.tenants.create(A, { name: A_DISPLAY });
    await s.admin.tenants.create(B);
    for (const [n, v] of Object.entries(A_SECRETS)) await s.admin.secrets.put(A, n, v);
    await s.admin.secrets.put(A, SCRATCH, `scratch-${hex(8)}`);
    await s.admin.secrets.put(B, B_SECRET, `bee-${hex(8)}`);
    connA = (await s.admin.connections.create(A, { provider: 'generic-api-key', config: { api_host: 'api.example.com' }, credentials: { api_key: A_CONNECTION_KEY } })).id;
    const a = await s.admin.tokens.create({ kind: 'tenant', tenant: A, scopes: ALL_SCOPES });
    tokA = a.token;
    tokAId = a.id;
    tokB = (await s.admin.tokens.create({ kind: 'tenant', tenant: B, scopes: ALL_SCOPES })).token;
    for (const scope of ALL_SCOPES) {
      const t = await s.admin.tokens.create({ kind: 'tenant', tenant: A, scopes: ALL_SCOPES.filter((x) => x !== scope) });
      tokAWithout.set(scope, t.token);
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The concrete path of a route: `tenant` for :tenant, a secret name for :name, a token id for :id. */
  const pathFor = (route: Route, tenant: string, secret = A_SECRET) =>
    route.url
      .replace(':tenant', tenant)
      .replace(':name', secret)
      .replace(':id', route.url.includes('/connections/') ? connA : tokAId)
      .replace(/:[A-Za-z]+/g, 'x');
  const call = (route: Route, token: string | undefined, tenant: string, secret?: string, headers?: Record<string, string>): Promise<RawResponse> => {
    const body = bodyFor(route, tenant);
    return s.request(route.method, pathFor(route, tenant, secret), {
      ...(token !== undefined ? { token } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(headers ? { headers } : {}),
    });
  };
  const hasTenant = (r: Route) => r.url.includes(':tenant');
  /** The answer with the tenant id in the path replaced, for comparing A's with the ghost's. */
  const normalised = (res: RawResponse, tenant: string) => {
    const headers = { ...res.headers };
    delete headers.date;
    return { status: res.status, headers, text: res.text.split(tenant).join('<TENANT>') };
  };

  it('covers a sensible number of routes, of every access kind', () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(27);
    for (const kind of ['admin', 'tenant', 'authenticated'] as const) expect(ROUTES.some((r) => r.access.kind === kind), kind).toBe(true);
  });

  for (const route of ROUTES) {
    it(`${label(route)} [${route.access.kind === 'tenant' ? route.access.scope : route.access.kind}]`, async () => {
      if (route.access.kind === 'public') {
        expect((await call(route, undefined, A)).status).not.toBe(401);
        return;
      }

      // 1. No token, malformed tokens: 401 with the Bearer challenge, nothing of A.
      const malformed = ['garbage', 'cfr_', `cfr_${'A'.repeat(49)}`, `${tokA.slice(0, -1)}${tokA.endsWith('x') ? 'y' : 'x'}`, `${tokA} ${tokA}`];
      for (const token of [undefined, ...malformed]) {
        const res = await call(route, token, A);
        expectErrorBody(res, 401, 'UNAUTHENTICATED');
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expectNoneIn(res.text, aLeaks(), `${label(route)} with token ${String(token).slice(0, 12)}`);
      }
      const basic = await call(route, undefined, A, undefined, { authorization: `Basic ${Buffer.from(`x:${tokA}`).toString('base64')}` });
      expectErrorBody(basic, 401, 'UNAUTHENTICATED');

      // Data of no tenant (the provider catalog): any valid token, admin or tenant, may read it.
      if (route.access.kind === 'authenticated') {
        for (const token of [tokA, tokB, s.adminToken]) {
          const res = await call(route, token, A);
          expect([401, 403], `${label(route)}: ${res.text.slice(0, 200)}`).not.toContain(res.status);
          expect(res.status).toBeLessThan(500);
          expectNoneIn(res.text, aLeaks(), `${label(route)} with a valid token`);
        }
        return;
      }

      // 2. Tenant B's token on A's path answers exactly like a tenant that does not exist.
      const bOnA = await call(route, tokB, A);
      const bOnGhost = await call(route, tokB, GHOST);
      expectNoneIn(bOnA.text, aLeaks(), `${label(route)} with B's token on A`);
      if (route.access.kind === 'tenant') {
        expectErrorBody(bOnA, 404, 'TENANT_NOT_FOUND');
        expectErrorBody(bOnGhost, 404, 'TENANT_NOT_FOUND');
      } else {
        expectErrorBody(bOnA, 403, 'FORBIDDEN');
      }
      if (hasTenant(route)) expect(normalised(bOnA, A)).toEqual(normalised(bOnGhost, GHOST));

      // 3. Tenant tokens on admin routes: 403, whatever the tenant and scopes.
      if (route.access.kind === 'admin') {
        for (const token of [tokA, tokB]) {
          const res = await call(route, token, A);
          expectErrorBody(res, 403, 'FORBIDDEN');
          expectNoneIn(res.text, aLeaks(), `${label(route)} with a tenant token`);
        }
        // The admin token passes authorisation (control: the matrix is not refusing everyone).
        const scratchTenant = `zqc${hex(4)}`;
        await s.admin.tenants.create(scratchTenant);
        const scratchToken = await s.admin.tokens.create({ kind: 'tenant', tenant: scratchTenant, scopes: ['secrets:read'] });
        const body = bodyFor(route, scratchTenant);
        const ok = await s.request(route.method, route.url.replace(':tenant', scratchTenant).replace(':id', scratchToken.id).replace(/:[A-Za-z]+/g, 'x'), {
          token: s.adminToken,
          ...(body !== undefined ? { body } : {}),
        });
        expect(ok.status, `${label(route)} with the admin token: ${ok.text.slice(0, 200)}`).toBeLessThan(300);
        return;
      }

      // 4. A's own token without the route's scope: 403 FORBIDDEN naming the scope.
      const scope = route.access.scope;
      const missing = await call(route, tokAWithout.get(scope)!, A);
      expect(expectErrorBody(missing, 403, 'FORBIDDEN')).toContain(scope);
      expectNoneIn(missing.text, Object.values(A_SECRETS), `${label(route)} without ${scope}`);
      // ...and B's token without the scope still gets the ghost answer, not a scope hint about A.
      expectErrorBody(await call(route, tokB, A), 404, 'TENANT_NOT_FOUND');

      // 5. Control: A's full token passes authorisation on A's path (scratch secret: it may be changed).
      const ok = await call(route, tokA, A, SCRATCH);
      expect([401, 403], `${label(route)} with A's token: ${ok.text.slice(0, 200)}`).not.toContain(ok.status);
      expect(ok.json?.error?.code, label(route)).not.toBe('TENANT_NOT_FOUND');
    });
  }

  it("left tenant A's secrets untouched by every refused call", async () => {
    for (const [n, v] of Object.entries(A_SECRETS)) {
      expect(await s.admin.secrets.reveal(A, n)).toMatchObject({ version: 1, value: v });
    }
    expect((await s.admin.tenants.list()).find((t) => t.id === A)).toMatchObject({ name: A_DISPLAY });
    expect((await s.admin.tokens.list({ tenant: A })).every((t) => t.revokedAt === null)).toBe(true);
  });

  it('a tenant token with secrets:read alone cannot reveal, and list/get/versions never carry plaintext', async () => {
    const reader = (await s.admin.tokens.create({ kind: 'tenant', tenant: A, scopes: ['secrets:read'] })).token;
    const rc = s.client(reader);
    const values = Object.values(A_SECRETS);
    for (const n of Object.keys(A_SECRETS)) {
      const res = await s.request('POST', `/v1/tenants/${A}/secrets/${n}/reveal`, { token: reader, body: {} });
      expectErrorBody(res, 403, 'FORBIDDEN');
      expectNoneIn(res.text, values, 'a refused reveal');
      await expectApiError(rc.secrets.reveal(A, n, { version: 1 }), 403, 'FORBIDDEN');
      const texts = [
        (await s.request('GET', `/v1/tenants/${A}/secrets/${n}`, { token: reader })).text,
        (await s.request('GET', `/v1/tenants/${A}/secrets/${n}/versions`, { token: reader })).text,
      ];
      for (const t of texts) expectNoneIn(t, values, `GET ${n}`);
      expect((await rc.secrets.get(A, n)).masked).toMatch(/••••••••/);
    }
    const list = await s.request('GET', `/v1/tenants/${A}/secrets`, { token: reader });
    expect(list.status).toBe(200);
    // Connections' credentials are ordinary secrets of the tenant (made by the connection routes above).
    const names = list.json.items.map((i: { name: string }) => i.name).filter((n: string) => !/^con_[0-9a-f]{20}\.credentials$/.test(n));
    expect(names.sort()).toEqual([...Object.keys(A_SECRETS), SCRATCH].sort());
    expectNoneIn(list.text, values, 'the secret list');
    // Writes need secrets:write.
    await expectApiError(rc.secrets.put(A, A_SECRET, 'x'), 403, 'FORBIDDEN');
    await expectApiError(rc.audit.list(A), 403, 'FORBIDDEN');
  });

  it("B's token on B's own tenant cannot tell A's secret names from names that exist nowhere", async () => {
    const bc = s.client(tokB);
    // B's audit trail shows only B's events. Filtered by one of A's secret names it shows at most
    // B's own refused probes of A's paths (the matrix above): names B sent itself, nothing of A's.
    const events = await bc.audit.list(B, { limit: 1000 });
    expect(events.items.length).toBeGreaterThan(0);
    expect(events.items.every((e) => e.tenant === B)).toBe(true);
    const probes = (await bc.audit.list(B, { target: A_SECRET })).items;
    expect(probes.every((e) => e.outcome === 'denied' && e.code === 'TENANT_NOT_FOUND' && e.tenant === B)).toBe(true);
    // Leaving out B's own refused probes, whose targets are the names B sent itself.
    expectNoneIn(JSON.stringify(events.items.filter((e) => !(e.outcome === 'denied' && e.code === 'TENANT_NOT_FOUND'))), aLeaks(), "B's audit list");
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['GET', '/versions', undefined],
      ['POST', '/reveal', {}],
    ] as const) {
      const known = await s.request(method, `/v1/tenants/${B}/secrets/${A_SECRET}${suffix}`, { token: tokB, ...(body ? { body } : {}) });
      const unknown = await s.request(method, `/v1/tenants/${B}/secrets/${A_SECRET.replace(/^zqsa/, 'zqsz')}${suffix}`, { token: tokB, ...(body ? { body } : {}) });
      expectErrorBody(known, 404, 'SECRET_NOT_FOUND');
      expect(known.text.replace(A_SECRET, '<N>')).toBe(unknown.text.replace(A_SECRET.replace(/^zqsa/, 'zqsz'), '<N>'));
      expectNoneIn(known.text, Object.values(A_SECRETS), 'a B-side lookup');
    }
    expect((await bc.secrets.list(B)).items.map((i) => i.name)).toEqual([B_SECRET]);
  });

  it('matches tenant ids exactly (case, encoding)', async () => {
    const upper = A.toUpperCase();
    expect(upper).not.toBe(A);
    expectErrorBody(await s.request('GET', `/v1/tenants/${upper}/secrets`, { token: tokA }), 404, 'TENANT_NOT_FOUND');
    expectErrorBody(await s.request('GET', `/v1/tenants/${upper}/secrets`, { token: s.adminToken }), 404, 'TENANT_NOT_FOUND');
    // Percent-encoding of the same id is the same tenant (decoded before the check).
    const encoded = [...A].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const res = await s.request('GET', `/v1/tenants/${encoded}/secrets`, { token: tokA });
    expect(res.status).toBe(200);
    // B's token with A's id percent-encoded is still refused like a ghost.
    expectErrorBody(await s.request('GET', `/v1/tenants/${encoded}/secrets`, { token: tokB }), 404, 'TENANT_NOT_FOUND');
  });
});
