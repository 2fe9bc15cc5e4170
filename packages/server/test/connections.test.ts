/**
 * Connections and the provider catalog over HTTP, through the SDK and raw requests, against a
 * real server on a real SQLite file and a real PostgreSQL database. A custom provider
 * definition (written to a temporary COFFER_PROVIDERS_DIR) points at a loopback stand-in of a
 * provider API, so the test request really goes out and really comes back.
 *
 * Covered: the catalog (admin and tenant tokens, one by id, 404, 401); the connection
 * lifecycle (create, list with a cursor, get, PATCH with a new secret version, test against
 * the stand-in with a right and a wrong credential, credentials with no-store, delete erasing
 * the owned secret); scopes and tenant isolation; validation of bad bodies without echoing
 * them; the audit trail of every call (denied ones too); and that no credential canary reaches
 * a response (other than a successful …/credentials), a log line, an audit event or the storage.
 *
 * Tests run in order on one server per backend and share its state.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachBackend, type Backend } from '../../core/test/support/backends.js';
import { startStandIn, type StandIn } from '../../core/test/support/provider-standin.js';
import type { AuditEvent, Connection } from '../../sdk/src/index.js';
import { CofferClient, expectApiError, expectErrorBody, expectNoneIn, hex, rawDb, startTestServer, type RawOptions, type RawResponse, type TestServer } from './support.js';
import { canary, findLeaks } from './support/leaks.js';

const MASK = '••••••••';
const PROVIDER = 'zq-standin-ledger';
const PROVIDER_NAME = 'Zq Stand-in Ledger';
const ACCOUNT_ID = 'acct_zq_5571';
const CONNECTIONS = (t: string) => `/v1/tenants/${t}/connections`;
/** What the stand-in puts in its 401 body; Coffer must never pass it on. */
const STANDIN_BODY_TOKEN = 'leaky-body-token-should-not-surface';
const BUILTINS = ['amazon-sp-api', 'clerk', 'generic-api-key', 'generic-oauth2', 'google', 'green-invoice', 'icount', 'shopify', 'takealot', 'voicenter', 'whatsapp-business', 'xero'];

/** One response the test saw, by SDK or raw request. */
interface Exchange {
  label: string;
  status: number;
  headers: string;
  body: string;
  /** A successful POST …/credentials: the only response allowed to carry plaintext. */
  credentials: boolean;
}

function writeProviders(dir: string, standIn: string): void {
  writeFileSync(
    join(dir, `${PROVIDER}.json`),
    JSON.stringify({
      id: PROVIDER,
      name: PROVIDER_NAME,
      description: 'A loopback stand-in of a ledger API, for the server suites.',
      auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'Secret API key', pattern: '^sk_live_[0-9a-f]{32}$' }] },
      config: [
        { name: 'account', label: 'Account slug', pattern: '^[a-z0-9-]{1,40}$' },
        { name: 'region', label: 'Region', required: false, default: 'eu', pattern: '^(eu|us)$' },
      ],
      // The base URL has a placeholder: the stand-in's host is declared.
      allowedHosts: ['127.0.0.1'],
      api: {
        baseUrl: `${standIn}/v1/{account}`,
        inject: { headers: { 'X-Api-Key': '{api_key}' } },
        test: { method: 'GET', path: '/me', expectStatus: 200, identifierPath: 'account.id' },
      },
    }),
  );
}

/** The raw bytes behind a backend, one buffer per place: SQLite files, or PostgreSQL tables as row text. */
async function storageScan(backend: Backend): Promise<Array<{ where: string; bytes: Buffer }>> {
  if (backend.name === 'sqlite') {
    const out: Array<{ where: string; bytes: Buffer }> = [];
    for (const base of ['coffer.db', 'coffer-audit.db']) {
      for (const suffix of ['', '-wal', '-shm', '-journal']) {
        const file = join(backend.dataDir, `${base}${suffix}`);
        if (existsSync(file)) out.push({ where: `${base}${suffix}`, bytes: readFileSync(file) });
      }
    }
    return out;
  }
  const db = await rawDb(backend);
  try {
    const tables = await db.all<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name");
    const out: Array<{ where: string; bytes: Buffer }> = [];
    for (const { table_name } of tables) {
      const rows = await db.all<{ t: string }>(`select t::text as t from "${table_name}" t`);
      out.push({ where: `table ${table_name} (${rows.length} rows)`, bytes: Buffer.from(rows.map((r) => r.t).join('\n')) });
    }
    return out;
  } finally {
    await db.close();
  }
}

forEachBackend('connections and providers over HTTP', (backend) => {
  let s: TestServer;
  let closed = false;
  let standIn: StandIn;
  let providersDir = '';
  const exchanges: Exchange[] = [];

  /** Canaries stored as credentials (only a successful …/credentials may show them). */
  const stored: string[] = [];
  /** Canaries sent only in requests the server refused (never to be seen again anywhere). */
  const refused: string[] = [];
  /**
   * Canaries of the two known-echo probes below, kept out of the general scans so that each
   * failure is reported once, by its own test: a record key in a zod issue path (echoed in the
   * 400, nowhere else) and an unknown provider id (echoed in the 404 and kept in the audit log).
   */
  const echoProbes: string[] = [];
  const providerProbes: string[] = [];
  /** API token texts (never in a log line, an audit event or the storage). */
  const tokenTexts: string[] = [];
  const key = (list: string[]) => {
    const v = `sk_live_${hex(16)}`;
    list.push(v);
    return v;
  };
  const refusedCanary = () => {
    const v = canary();
    refused.push(v);
    return v;
  };
  /** The credential the stand-in accepts. */
  const GOOD = key(stored);

  const T = `zqc${hex(4)}`;
  const U = `zqu${hex(4)}`;
  const tok = { full: '', reader: '', writer: '', secretsReader: '', auditor: '', other: '' };
  const tokId = { full: '', reader: '', writer: '', other: '' };
  /** The connection followed through the lifecycle, and one more that stays. */
  let main: Connection;
  let keep: Connection;
  let foreign: Connection;

  function note(method: string, path: string, status: number, headers: Record<string, string>, body: string): void {
    const p = path.split('?')[0]!;
    exchanges.push({
      label: `${method} ${p} -> ${status}`,
      status,
      headers: JSON.stringify(headers),
      body,
      credentials: method === 'POST' && status === 200 && /\/connections\/[^/]+\/credentials$/.test(p),
    });
  }

  /** A fetch for the SDK that keeps a copy of every response. */
  const recordingFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const res = await fetch(input, init);
    const body = await res.clone().text();
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const url = new URL(input instanceof Request ? input.url : String(input));
    note(init.method ?? 'GET', `${url.pathname}${url.search}`, res.status, headers, body);
    return res;
  }) as typeof fetch;

  const client = (token?: string) => new CofferClient({ url: s.url, ...(token !== undefined ? { token } : {}), fetch: recordingFetch });
  const raw = async (method: string, path: string, options: RawOptions = {}): Promise<RawResponse> => {
    const res = await s.request(method, path, options);
    note(method, path, res.status, res.headers, res.text);
    return res;
  };

  beforeAll(async () => {
    standIn = await startStandIn({ header: 'x-api-key', expect: GOOD, account: { account: { id: ACCOUNT_ID, name: 'Acme ledger' } }, paths: ['/v1/acme/me'] });
    providersDir = mkdtempSync(join(tmpdir(), 'coffer-zq-providers-'));
    writeProviders(providersDir, standIn.url);
    s = await startTestServer(backend(), { providersDir });
    tokenTexts.push(s.adminToken);
    const admin = client(s.adminToken);
    await admin.tenants.create(T, { name: 'Zq connections tenant' });
    await admin.tenants.create(U, { name: 'Zq other tenant' });
    const make = async (tenant: string, scopes: Parameters<typeof admin.tokens.create>[0]['scopes'], description: string) => {
      const created = await admin.tokens.create({ kind: 'tenant', tenant, scopes: scopes!, description });
      tokenTexts.push(created.token);
      return created;
    };
    const full = await make(T, ['connections:read', 'connections:write', 'secrets:reveal'], 'connections, full');
    const reader = await make(T, ['connections:read'], 'connections, read only');
    const writer = await make(T, ['connections:read', 'connections:write'], 'connections, no reveal');
    tok.full = full.token;
    tok.reader = reader.token;
    tok.writer = writer.token;
    tok.secretsReader = (await make(T, ['secrets:read'], 'secrets metadata')).token;
    tok.auditor = (await make(T, ['audit:read'], 'auditor')).token;
    const other = await make(U, ['connections:read', 'connections:write', 'secrets:read', 'secrets:write', 'secrets:reveal', 'audit:read'], 'other tenant, everything');
    tok.other = other.token;
    Object.assign(tokId, { full: full.id, reader: reader.id, writer: writer.id, other: other.id });
  });

  afterAll(async () => {
    if (!closed) await s?.close();
    await standIn?.close();
    if (providersDir) rmSync(providersDir, { recursive: true, force: true });
  });

  it('lists the provider catalog (built-ins and the custom stand-in) to admin and tenant tokens; one by id; 404; 401', async () => {
    const byAdmin = await client(s.adminToken).providers.list();
    const byTenant = await client(tok.reader).providers.list();
    expect(byTenant).toEqual(byAdmin);
    const ids = byAdmin.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining([...BUILTINS, PROVIDER]));
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
    for (const p of byAdmin) expect(p.source, p.id).toBe(p.id === PROVIDER ? 'custom' : 'builtin');

    const custom = byAdmin.find((p) => p.id === PROVIDER)!;
    expect(custom).toMatchObject({
      id: PROVIDER,
      name: PROVIDER_NAME,
      source: 'custom',
      auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'Secret API key', required: true, secret: true, pattern: '^sk_live_[0-9a-f]{32}$' }] },
      config: [
        { name: 'account', required: true },
        { name: 'region', required: false, default: 'eu' },
      ],
      api: { baseUrl: `${standIn.url}/v1/{account}`, inject: { headers: { 'X-Api-Key': '{api_key}' } }, test: { path: '/me', expectStatus: 200 } },
    });
    expect(byAdmin.find((p) => p.id === 'shopify')).toMatchObject({ source: 'builtin', auth: { mode: 'oauth2' } });
    expect(byAdmin.find((p) => p.id === 'takealot')).toMatchObject({ source: 'builtin', auth: { mode: 'api_key' } });

    // One by id, with either kind of token; the same entry as in the list.
    expect(await client(tok.full).providers.get(PROVIDER)).toEqual(custom);
    expect(await client(s.adminToken).providers.get('xero')).toEqual(byAdmin.find((p) => p.id === 'xero'));
    const got = await raw('GET', `/v1/providers/${PROVIDER}`, { token: tok.other });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(custom);
    // Where the definition came from on disk is not the caller's business.
    const listText = (await raw('GET', '/v1/providers', { token: tok.reader })).text;
    expectNoneIn(`${listText}\n${got.text}`, [providersDir], 'the provider catalog');

    // Unknown id: 404 PROVIDER_NOT_FOUND; no token: 401.
    await expectApiError(client(tok.reader).providers.get('zq-no-such-provider'), 404, 'PROVIDER_NOT_FOUND');
    expectErrorBody(await raw('GET', '/v1/providers/zq-no-such-provider', { token: s.adminToken }), 404, 'PROVIDER_NOT_FOUND');
    await expectApiError(client().providers.list(), 401, 'UNAUTHENTICATED');
    await expectApiError(client().providers.get(PROVIDER), 401, 'UNAUTHENTICATED');
    const anonymous = await raw('GET', '/v1/providers');
    expectErrorBody(anonymous, 401, 'UNAUTHENTICATED');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expectErrorBody(await raw('GET', `/v1/providers/${PROVIDER}`, { token: 'cfr_not-a-token' }), 401, 'UNAUTHENTICATED');
  });

  it('creates a connection (201): masked credentials, never the credential itself', async () => {
    const first = key(stored);
    const res = await raw('POST', CONNECTIONS(T), { token: tok.full, body: { provider: PROVIDER, displayName: 'Ledger main', config: { account: 'acme' }, credentials: { api_key: first } } });
    expect(res.status, res.text).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectNoneIn(`${JSON.stringify(res.headers)}\n${res.text}`, [first], 'the create response');
    main = res.json;
    expect(main).toEqual({
      id: expect.stringMatching(/^con_[0-9a-f]{20}$/),
      tenant: T,
      provider: PROVIDER,
      displayName: 'Ledger main',
      authMode: 'api_key',
      status: 'active',
      lastError: null,
      identifier: null,
      config: { account: 'acme', region: 'eu' },
      secret: { name: `${main.id}.credentials`, owned: true },
      credentials: { api_key: `sk_live_${MASK}${first.slice(-4)}` },
      createdAt: expect.any(String),
      updatedAt: main.createdAt,
      lastUsedAt: null,
      lastRefreshedAt: null,
      expiresAt: null,
      importKey: null,
    });
    expect(Number.isNaN(Date.parse(main.createdAt))).toBe(false);
    // The display name defaults to the provider's name.
    const unnamed = await client(tok.full).connections.create(T, { provider: PROVIDER, config: { account: 'acme', region: 'us' }, credentials: { api_key: key(stored) } });
    expect(unnamed).toMatchObject({ displayName: PROVIDER_NAME, config: { account: 'acme', region: 'us' }, status: 'active' });
    keep = unnamed;
  });

  it('lists connections a page at a time (limit, nextCursor), newest first, and gets one', async () => {
    const c = client(tok.full);
    for (let i = 0; i < 3; i++) await c.connections.create(T, { provider: PROVIDER, displayName: `Ledger ${i}`, config: { account: `shop-${i}` }, credentials: { api_key: key(stored) } });
    const whole = await client(tok.reader).connections.list(T);
    expect(whole.nextCursor).toBeNull();
    expect(whole.items).toHaveLength(5);
    expect(whole.items.map((x) => x.id)).toEqual(expect.arrayContaining([main.id, keep.id]));
    const created = whole.items.map((x) => Date.parse(x.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await client(tok.reader).connections.list(T, { limit: 2, ...(cursor ? { cursor } : {}) });
      sizes.push(page.items.length);
      seen.push(...page.items.map((x) => x.id));
      if (page.nextCursor === null) break;
      expect(page.nextCursor).toEqual(expect.any(String));
      cursor = page.nextCursor;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(whole.items.map((x) => x.id));
    const rawPage = await raw('GET', `${CONNECTIONS(T)}?limit=3`, { token: tok.reader });
    expect(rawPage.status).toBe(200);
    expect(rawPage.json.items.map((x: Connection) => x.id)).toEqual(seen.slice(0, 3));
    expect(rawPage.json.nextCursor).toEqual(expect.any(String));
    expectErrorBody(await raw('GET', `${CONNECTIONS(T)}?limit=0`, { token: tok.reader }), 400, 'VALIDATION_FAILED');
    expectErrorBody(await raw('GET', `${CONNECTIONS(T)}?cursor=not-a-cursor`, { token: tok.reader }), 400, 'INVALID_ARGUMENT');

    // One by id: what create answered, nothing touched since.
    expect(await client(tok.reader).connections.get(T, main.id)).toEqual(main);
    const one = await raw('GET', `${CONNECTIONS(T)}/${main.id}`, { token: tok.full });
    expect([one.status, one.json]).toEqual([200, main]);
    await expectApiError(client(tok.reader).connections.get(T, 'con_00000000000000000000'), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(client(tok.reader).connections.get(T, 'not-a-connection-id'), 404, 'CONNECTION_NOT_FOUND');
  });

  it('PATCH renames, merges config, and replaces credentials as a new version of the owned secret', async () => {
    const c = client(tok.full);
    const renamed = await c.connections.update(T, main.id, { displayName: 'Ledger renamed', config: { region: 'us' } });
    expect(renamed).toMatchObject({ id: main.id, displayName: 'Ledger renamed', config: { account: 'acme', region: 'us' }, credentials: main.credentials });

    const res = await raw('PATCH', `${CONNECTIONS(T)}/${main.id}`, { token: tok.full, body: { credentials: { api_key: GOOD } } });
    expect(res.status, res.text).toBe(200);
    expectNoneIn(res.text, [GOOD], 'the PATCH response');
    expect(res.json).toMatchObject({ status: 'active', lastError: null, displayName: 'Ledger renamed', credentials: { api_key: `sk_live_${MASK}${GOOD.slice(-4)}` } });

    // The connection's secret now has two versions, visible (masked) to a secrets:read token.
    const secrets = client(tok.secretsReader).secrets;
    const versions = await secrets.versions(T, main.secret.name);
    expect(versions.map((v) => [v.version, v.state])).toEqual([
      [2, 'active'],
      [1, 'active'],
    ]);
    expect(versions[0]!.masked).toEqual({ api_key: `sk_live_${MASK}${GOOD.slice(-4)}` });
    expect(versions[1]!.masked).toEqual(main.credentials);
    expect(await secrets.get(T, main.secret.name)).toMatchObject({ currentVersion: 2, type: 'api_key', metadata: { connection: main.id, provider: PROVIDER } });
    main = res.json;
  });

  it('tests against the stand-in: ok with the remote id; a wrong credential is ok:false 401, status error, no response body', async () => {
    const c = client(tok.full);
    const seenBefore = standIn.seen.length;
    const ok = await c.connections.test(T, main.id);
    expect(ok).toMatchObject({ ok: true, status: 200, identifier: ACCOUNT_ID, error: null, durationMs: expect.any(Number), connection: { id: main.id, status: 'active', identifier: ACCOUNT_ID, lastError: null } });
    expect(standIn.seen.slice(seenBefore)).toEqual([{ method: 'GET', path: '/v1/acme/me', credential: GOOD }]);
    expect((await c.connections.get(T, main.id)).identifier).toBe(ACCOUNT_ID);

    // A wrong (well-formed) credential: the stand-in refuses it.
    const wrong = key(stored);
    await c.connections.update(T, main.id, { credentials: { api_key: wrong } });
    const res = await raw('POST', `${CONNECTIONS(T)}/${main.id}/test`, { token: tok.full });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ ok: false, status: 401, identifier: null, error: expect.stringMatching(/answered 401.*refused/), connection: { status: 'error' } });
    expect(res.json.connection.lastError).toBe(res.json.error);
    expect(standIn.seen.at(-1)).toEqual({ method: 'GET', path: '/v1/acme/me', credential: wrong });
    const after = await c.connections.get(T, main.id);
    expect(after).toMatchObject({ status: 'error', lastError: res.json.error });
    expect(after.lastError).toContain(PROVIDER_NAME);
    expectNoneIn(`${res.text}\n${JSON.stringify(after)}`, [STANDIN_BODY_TOKEN, 'Invalid API key', wrong], 'the failed test');

    // The right credential again: a fresh start, and the test passes again.
    const back = await c.connections.update(T, main.id, { credentials: { api_key: GOOD } });
    expect(back).toMatchObject({ status: 'active', lastError: null, identifier: null });
    expect((await c.connections.test(T, main.id)).connection).toMatchObject({ status: 'active', identifier: ACCOUNT_ID });
    expect((await client(tok.secretsReader).secrets.versions(T, main.secret.name)).map((v) => v.version)).toEqual([4, 3, 2, 1]);
  });

  it('POST …/credentials gives the values, base URL and headers (no-store), to a secrets:reveal token', async () => {
    const res = await raw('POST', `${CONNECTIONS(T)}/${main.id}/credentials`, { token: tok.full, body: {} });
    expect(res.status, res.text).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const expected = {
      connectionId: main.id,
      provider: PROVIDER,
      authMode: 'api_key',
      values: { api_key: GOOD },
      baseUrl: `${standIn.url}/v1/acme`,
      headers: { 'X-Api-Key': GOOD },
      query: {},
      expiresAt: null,
    };
    expect(res.json).toEqual(expected);
    expect(await client(tok.full).getCredentials(T, main.id)).toEqual(expected);
    expect(await client(tok.full).connections.getCredentials(T, main.id)).toEqual(expected);
    // Every successful credentials answer is no-store (SDK calls included).
    const credentialAnswers = exchanges.filter((e) => e.credentials);
    expect(credentialAnswers).toHaveLength(3);
    for (const e of credentialAnswers) expect(JSON.parse(e.headers)['cache-control'], e.label).toBe('no-store');
    expect((await client(tok.reader).connections.get(T, main.id)).lastUsedAt).toEqual(expect.any(String));
  });

  it('DELETE removes the connection and erases the secret it owns', async () => {
    const res = await raw('DELETE', `${CONNECTIONS(T)}/${main.id}`, { token: tok.full });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ id: main.id, secret: { name: main.secret.name, owned: true } });
    expectNoneIn(res.text, [GOOD], 'the DELETE response');
    await expectApiError(client(tok.full).connections.get(T, main.id), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(client(tok.full).getCredentials(T, main.id), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(client(tok.full).connections.delete(T, main.id), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(client(tok.secretsReader).secrets.get(T, main.secret.name), 404, 'SECRET_NOT_FOUND');
    await expectApiError(client(tok.secretsReader).secrets.versions(T, main.secret.name), 404, 'SECRET_NOT_FOUND');
    expect((await client(tok.reader).connections.list(T)).items.map((x) => x.id)).not.toContain(main.id);
    // The other connections and their secrets are untouched.
    expect((await client(tok.secretsReader).secrets.get(T, keep.secret.name)).currentVersion).toBe(1);
  });

  it('scopes: connections:read reads only; …/credentials needs secrets:reveal; other tenants see nothing', async () => {
    const reader = client(tok.reader);
    expect((await reader.connections.list(T)).items.map((x) => x.id)).toContain(keep.id);
    expect((await reader.connections.get(T, keep.id)).id).toBe(keep.id);
    const body = { provider: PROVIDER, config: { account: 'acme' }, credentials: { api_key: key(refused) } };
    await expectApiError(reader.connections.create(T, body), 403, 'FORBIDDEN');
    await expectApiError(reader.connections.update(T, keep.id, { displayName: 'nope' }), 403, 'FORBIDDEN');
    await expectApiError(reader.connections.update(T, keep.id, { credentials: { api_key: key(refused) } }), 403, 'FORBIDDEN');
    await expectApiError(reader.connections.delete(T, keep.id), 403, 'FORBIDDEN');
    await expectApiError(reader.connections.test(T, keep.id), 403, 'FORBIDDEN');
    await expectApiError(reader.getCredentials(T, keep.id), 403, 'FORBIDDEN');
    expectErrorBody(await raw('POST', `${CONNECTIONS(T)}/${keep.id}/credentials`, { token: tok.reader, body: {} }), 403, 'FORBIDDEN');
    // connections:write without secrets:reveal may test (nothing leaves) but not take the credentials.
    // (keep's credential is not the one the stand-in accepts: the test goes out and is refused.)
    const writer = client(tok.writer);
    // Referencing an existing secret would send it to the provider: it takes secrets:reveal. Nothing is created.
    const connectionsBefore = (await reader.connections.list(T)).items.map((x) => x.id);
    const byReference = await raw('POST', CONNECTIONS(T), { token: tok.writer, body: { provider: PROVIDER, config: { account: 'acme' }, secret: keep.secret.name } });
    expect(expectErrorBody(byReference, 403, 'FORBIDDEN')).toContain('secrets:reveal');
    expect((await reader.connections.list(T)).items.map((x) => x.id)).toEqual(connectionsBefore);
    expect(await writer.connections.test(T, keep.id)).toMatchObject({ ok: false, status: 401, connection: { id: keep.id, status: 'error' } });
    await expectApiError(writer.getCredentials(T, keep.id), 403, 'FORBIDDEN');
    const denied = await raw('POST', `${CONNECTIONS(T)}/${keep.id}/credentials`, { token: tok.writer, body: {} });
    expect(expectErrorBody(denied, 403, 'FORBIDDEN')).toContain('secrets:reveal');
    expect(denied.headers['cache-control']).not.toBe('no-store');

    // A token of another tenant: every connection route of T answers as for a tenant that does not exist.
    const other = client(tok.other);
    foreign = await other.connections.create(U, { provider: PROVIDER, displayName: 'Other tenant ledger', config: { account: 'acme' }, credentials: { api_key: key(stored) } });
    const onT: Array<[string, () => Promise<unknown>]> = [
      ['list', () => other.connections.list(T)],
      ['create', () => other.connections.create(T, { provider: PROVIDER, config: { account: 'acme' }, credentials: { api_key: key(refused) } })],
      ['get', () => other.connections.get(T, keep.id)],
      ['update', () => other.connections.update(T, keep.id, { displayName: 'hijacked' })],
      ['delete', () => other.connections.delete(T, keep.id)],
      ['test', () => other.connections.test(T, keep.id)],
      ['credentials', () => other.getCredentials(T, keep.id)],
    ];
    for (const [what, call] of onT) {
      const err = await expectApiError(call(), 404, 'TENANT_NOT_FOUND');
      expectNoneIn(err.message, [keep.displayName, keep.secret.name], `other tenant's ${what}`);
    }
    expectErrorBody(await raw('POST', `${CONNECTIONS(T)}/${keep.id}/credentials`, { token: tok.other, body: {} }), 404, 'TENANT_NOT_FOUND');
    expectErrorBody(await raw('GET', `${CONNECTIONS(T)}/${keep.id}`, { token: tok.other }), 404, 'TENANT_NOT_FOUND');

    // An id of U's connection on T's path, with T's own token: not found, and U's connection is untouched.
    const full = client(tok.full);
    await expectApiError(full.connections.get(T, foreign.id), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(full.connections.update(T, foreign.id, { displayName: 'hijacked' }), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(full.connections.update(T, foreign.id, { credentials: { api_key: key(refused) } }), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(full.connections.test(T, foreign.id), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(full.getCredentials(T, foreign.id), 404, 'CONNECTION_NOT_FOUND');
    await expectApiError(full.connections.delete(T, foreign.id), 404, 'CONNECTION_NOT_FOUND');
    expect(await other.connections.get(U, foreign.id)).toEqual(foreign);
    expect((await other.secrets.versions(U, foreign.secret.name)).map((v) => v.version)).toEqual([1]);
    expect((await client(tok.reader).connections.get(T, keep.id)).displayName).toBe(PROVIDER_NAME);
  });

  it('refuses bad bodies with a 4xx and a stable code, never echoing the refused value or an unknown field name', async () => {
    const before = (await client(tok.reader).connections.list(T)).items.map((x) => x.id);
    const secretsBefore = (await client(tok.secretsReader).secrets.list(T)).items.map((x) => x.name);
    const valid = (extra: Record<string, unknown> = {}) => ({ provider: PROVIDER, config: { account: 'acme' }, credentials: { api_key: key(refused) }, ...extra });
    const k1 = refusedCanary();
    const k2 = refusedCanary();
    const k3 = refusedCanary();
    const k4 = refusedCanary();
    const cases: Array<[string, string, string, unknown, number, string]> = [
      ['unknown provider', 'POST', CONNECTIONS(T), valid({ provider: 'zq-no-such-provider' }), 404, 'PROVIDER_NOT_FOUND'],
      ['missing credential field', 'POST', CONNECTIONS(T), valid({ credentials: {} }), 400, 'CONNECTION_INVALID'],
      ['no credentials at all', 'POST', CONNECTIONS(T), { provider: PROVIDER, config: { account: 'acme' } }, 400, 'CONNECTION_INVALID'],
      ['missing config field', 'POST', CONNECTIONS(T), valid({ config: {} }), 400, 'CONNECTION_INVALID'],
      ['credential pattern mismatch', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: `rk_test_${refusedCanary()}` } }), 400, 'CONNECTION_INVALID'],
      ['credential pattern mismatch (bare canary)', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: refusedCanary() } }), 400, 'CONNECTION_INVALID'],
      ['config pattern mismatch', 'POST', CONNECTIONS(T), valid({ config: { account: `x/${refusedCanary()}` } }), 400, 'CONNECTION_INVALID'],
      ['config default pattern mismatch', 'POST', CONNECTIONS(T), valid({ config: { account: 'acme', region: refusedCanary() } }), 400, 'CONNECTION_INVALID'],
      ['credential with a control character', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: `${key(refused)}\n` } }), 400, 'CONNECTION_INVALID'],
      ['credential with NUL', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: `${key(refused)}\u0000` } }), 400, 'CONNECTION_INVALID'],
      ['unknown credential field name', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: key(refused), [k1]: 'x' } }), 400, 'CONNECTION_INVALID'],
      ['unknown config field name', 'POST', CONNECTIONS(T), valid({ config: { account: 'acme', [k2]: 'x' } }), 400, 'CONNECTION_INVALID'],
      ['credentials and secret together', 'POST', CONNECTIONS(T), valid({ secret: 'zq-some-secret' }), 400, 'CONNECTION_INVALID'],
      ['OAuth provider with credentials', 'POST', CONNECTIONS(T), { provider: 'generic-oauth2', config: { auth_host: 'auth.example.com', api_host: 'api.example.com' }, credentials: { access_token: key(refused) } }, 400, 'CONNECTION_INVALID'],
      ['display name with NUL', 'POST', CONNECTIONS(T), valid({ displayName: `${refusedCanary()}\u0000` }), 400, 'INVALID_ARGUMENT'],
      ['unknown body field name', 'POST', CONNECTIONS(T), valid({ [k3]: true }), 400, 'VALIDATION_FAILED'],
      ['unknown body field value', 'POST', CONNECTIONS(T), valid({ note: refusedCanary() }), 400, 'VALIDATION_FAILED'],
      ['credential as an object', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: { nested: refusedCanary() } } }), 400, 'VALIDATION_FAILED'],
      ['credential too long', 'POST', CONNECTIONS(T), valid({ credentials: { api_key: `${refusedCanary()}${'a'.repeat(65536)}` } }), 400, 'VALIDATION_FAILED'],
      ['display name too long', 'POST', CONNECTIONS(T), valid({ displayName: `${refusedCanary()}${'n'.repeat(200)}` }), 400, 'VALIDATION_FAILED'],
      ['no provider', 'POST', CONNECTIONS(T), { credentials: { api_key: key(refused) } }, 400, 'VALIDATION_FAILED'],
      ['referenced secret missing', 'POST', CONNECTIONS(T), { provider: PROVIDER, config: { account: 'acme' }, secret: 'zq-missing-secret' }, 404, 'SECRET_NOT_FOUND'],
      ['PATCH pattern mismatch', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { credentials: { api_key: refusedCanary() } }, 400, 'CONNECTION_INVALID'],
      ['PATCH missing credential field', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { credentials: {} }, 400, 'CONNECTION_INVALID'],
      ['PATCH unknown config field name', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { config: { [refusedCanary()]: 'x' } }, 400, 'CONNECTION_INVALID'],
      ['PATCH config pattern mismatch', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { config: { region: refusedCanary() } }, 400, 'CONNECTION_INVALID'],
      // {account} forms the base URL: fixed once the connection exists.
      ['PATCH URL-forming config field', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { displayName: 'moved', config: { account: 'elsewhere' } }, 409, 'CONNECTION_FIELD_IMMUTABLE'],
      ['PATCH unknown body field name', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { displayName: 'x', [k4]: 1 }, 400, 'VALIDATION_FAILED'],
      ['PATCH provider (not changeable)', 'PATCH', `${CONNECTIONS(T)}/${keep.id}`, { provider: refusedCanary() }, 400, 'VALIDATION_FAILED'],
      ['credentials with a body field', 'POST', `${CONNECTIONS(T)}/${keep.id}/credentials`, { [refusedCanary()]: 1 }, 400, 'VALIDATION_FAILED'],
      ['credentials of an unknown id', 'POST', `${CONNECTIONS(T)}/con_00000000000000000000/credentials`, {}, 404, 'CONNECTION_NOT_FOUND'],
      ['test of an id too long', 'POST', `${CONNECTIONS(T)}/con_${'0'.repeat(80)}/test`, undefined, 400, 'VALIDATION_FAILED'],
    ];
    for (const [what, method, path, body, status, code] of cases) {
      const res = await raw(method, path, { token: tok.full, ...(body !== undefined ? { body } : {}) });
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
      expectErrorBody(res, status, code);
      expect(findLeaks(`${JSON.stringify(res.headers)}\n${res.text}`, refused, what)).toEqual([]);
    }
    // Invalid JSON carrying a canary.
    const badJson = await raw('POST', CONNECTIONS(T), { token: tok.full, rawBody: `{"provider":"${PROVIDER}","credentials":{"api_key":"${refusedCanary()}"`, headers: { 'content-type': 'application/json' } });
    expectErrorBody(badJson, 400, 'INVALID_JSON');
    expect(findLeaks(badJson.text, refused, 'invalid JSON')).toEqual([]);

    // Nothing was created, no secret written, the kept connection unchanged.
    expect((await client(tok.reader).connections.list(T)).items.map((x) => x.id)).toEqual(before);
    expect((await client(tok.secretsReader).secrets.list(T)).items.map((x) => x.name)).toEqual(secretsBefore);
    expect(await client(tok.secretsReader).secrets.get(T, keep.secret.name)).toMatchObject({ currentVersion: 1 });
    expect(await client(tok.reader).connections.get(T, keep.id)).toMatchObject({ config: { account: 'acme', region: 'us' }, displayName: PROVIDER_NAME });
  });

  it('a record-field name that fails the type check is not echoed either (body.credentials.<name>)', async () => {
    // route.ts: unknown keys are caller text and are not repeated. A key of the credentials or
    // config record whose value has the wrong type ends up in the zod issue path instead.
    const inCredentials = canary();
    const inConfig = canary();
    echoProbes.push(inCredentials, inConfig);
    const hits: string[] = [];
    for (const [what, body, name] of [
      ['credentials', { provider: PROVIDER, config: { account: 'acme' }, credentials: { [inCredentials]: 42 } }, inCredentials],
      ['config', { provider: PROVIDER, config: { [inConfig]: true }, credentials: { api_key: key(refused) } }, inConfig],
    ] as const) {
      const res = await raw('POST', CONNECTIONS(T), { token: tok.full, body });
      expectErrorBody(res, 400, 'VALIDATION_FAILED');
      hits.push(...findLeaks(res.text, [name], `${what}: ${res.text.slice(0, 200)}`));
    }
    expect(hits).toEqual([]);
  });

  it('a credential pasted as the provider id is refused by its form: not echoed, not kept in the audit log', async () => {
    const pasted = `sk_live_${hex(16)}`;
    providerProbes.push(pasted);
    const created = await raw('POST', CONNECTIONS(T), { token: tok.full, body: { provider: pasted, config: { account: 'acme' }, credentials: { api_key: key(refused) } } });
    expectErrorBody(created, 400, 'VALIDATION_FAILED');
    const looked = await raw('GET', `/v1/providers/${pasted}`, { token: tok.full });
    expectErrorBody(looked, 400, 'VALIDATION_FAILED');
    // A well-formed id that names no provider is a plain 404, recorded as a failed create.
    const unknown = await raw('POST', CONNECTIONS(T), { token: tok.full, body: { provider: 'no-such-provider', config: { account: 'acme' }, credentials: { api_key: key(refused) } } });
    expectErrorBody(unknown, 404, 'PROVIDER_NOT_FOUND');
    const events = (await client(tok.auditor).audit.list(T, { action: 'connection.create', outcome: 'failure', limit: 5 })).items;
    expect(events[0]).toMatchObject({ code: 'PROVIDER_NOT_FOUND', details: { provider: 'no-such-provider' } });
    expect(findLeaks(created.text, [pasted], 'the POST …/connections 400')).toEqual([]);
    expect(findLeaks(looked.text, [pasted], 'the GET /v1/providers/{id} 400')).toEqual([]);
    const all = (await client(tok.auditor).audit.list(T, { limit: 1000 })).items;
    expect(findLeaks(JSON.stringify(all), [pasted], 'the audit log')).toEqual([]);
  });

  it('audits every create, update, test, credentials and delete with the connection as target; refusals as denied; the chain verifies', async () => {
    const auditor = client(tok.auditor);
    const events: AuditEvent[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await auditor.audit.list(T, { limit: 1000, ...(cursor ? { cursor } : {}) });
      events.push(...page.items);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    const onMain = events.filter((e) => e.target === main.id && e.outcome === 'success').map((e) => e.action).reverse();
    expect(onMain).toEqual([
      'connection.create',
      'connection.update', // rename and config
      'connection.update', // GOOD
      'connection.test', // ok
      'connection.update', // wrong
      'connection.test', // 401
      'connection.update', // GOOD again
      'connection.test', // ok
      'connection.credentials',
      'connection.credentials',
      'connection.credentials',
      'connection.delete',
    ]);
    const byFilter = await auditor.audit.list(T, { target: main.id, action: 'connection.test' });
    expect(byFilter.items.map((e) => e.details)).toEqual([
      { ok: true, status: 200 },
      { ok: false, status: 401 },
      { ok: true, status: 200 },
    ]);
    for (const e of events.filter((x) => x.target === main.id)) expect(e, e.action).toMatchObject({ tenant: T, actor: tokId.full });
    // After the delete, the calls on the gone connection are failures with their code.
    const afterDelete = events.filter((e) => e.target === main.id && e.outcome !== 'success').map((e) => `${e.action}/${e.outcome}/${e.code}`);
    expect(afterDelete.sort()).toEqual(['connection.credentials/failure/CONNECTION_NOT_FOUND', 'connection.delete/failure/CONNECTION_NOT_FOUND']);
    const successOn = (action: string) => events.filter((e) => e.action === action && e.target === main.id && e.outcome === 'success');
    expect(successOn('connection.create').map((e) => e.details)).toEqual([{ provider: PROVIDER }]);
    expect(successOn('connection.credentials').map((e) => e.details)).toEqual([{ provider: PROVIDER }, { provider: PROVIDER }, { provider: PROVIDER }]);
    expect(successOn('connection.update').map((e) => e.details).reverse()).toEqual([{ fields: 'config,displayName' }, { fields: 'credentials' }, { fields: 'credentials' }, { fields: 'credentials' }]);
    expect(successOn('connection.delete')).toHaveLength(1);

    // Refused for a missing scope: recorded as denied, under the route's own action.
    const denied = events.filter((e) => e.outcome === 'denied').map((e) => [e.actor, e.action, e.target, e.code]);
    expect(denied).toEqual(
      expect.arrayContaining([
        [tokId.reader, 'connection.create', 'POST /v1/tenants/:tenant/connections', 'FORBIDDEN'],
        [tokId.reader, 'connection.update', keep.id, 'FORBIDDEN'],
        [tokId.reader, 'connection.delete', keep.id, 'FORBIDDEN'],
        [tokId.reader, 'connection.test', keep.id, 'FORBIDDEN'],
        [tokId.reader, 'connection.credentials', keep.id, 'FORBIDDEN'],
        [tokId.writer, 'connection.credentials', keep.id, 'FORBIDDEN'],
      ]),
    );
    expect((await auditor.audit.list(T, { outcome: 'denied', actor: tokId.reader })).items).toHaveLength(7);
    // Refusals in the handler are failures with their code; the other tenant's attempts are recorded against it.
    const failures = events.filter((e) => e.outcome === 'failure').map((e) => `${e.action}/${e.code}`);
    expect(failures).toEqual(expect.arrayContaining(['connection.create/CONNECTION_INVALID', 'connection.create/PROVIDER_NOT_FOUND', 'connection.update/CONNECTION_NOT_FOUND', 'connection.credentials/CONNECTION_NOT_FOUND']));
    const otherEvents = await client(tok.other).audit.list(U, { outcome: 'denied' });
    expect(otherEvents.items.map((e) => `${e.action}/${e.code}`)).toEqual(expect.arrayContaining(['connection.credentials/TENANT_NOT_FOUND', 'connection.delete/TENANT_NOT_FOUND']));
    expect(events.some((e) => e.actor === tokId.other)).toBe(false);

    await expectApiError(client(tok.reader).audit.list(T), 403, 'FORBIDDEN');
    expect(await client(s.adminToken).audit.verify()).toEqual({ ok: true, checked: expect.any(Number), firstBroken: null, segments: [expect.objectContaining({ keyed: true, keyVersion: 1 })] });
    const verify = await raw('GET', '/v1/audit/verify', { token: s.adminToken });
    expect(verify.status).toBe(200);
    expect(verify.json.ok).toBe(true);
    expect(verify.json.checked).toBeGreaterThan(events.length);
  });

  it('no canary in any response (except successful …/credentials), log line or audit event', async () => {
    const everything = [...stored, ...refused, STANDIN_BODY_TOKEN];
    expect(echoProbes).toHaveLength(2);
    expect(providerProbes).toHaveLength(1);
    expect(stored.length).toBeGreaterThanOrEqual(8);
    expect(refused.length).toBeGreaterThanOrEqual(30);

    // Responses, bodies and headers. Control: the credentials answers do carry GOOD.
    expect(exchanges.length).toBeGreaterThan(100);
    const allowed = exchanges.filter((e) => e.credentials);
    expect(allowed.every((e) => e.body.includes(GOOD))).toBe(true);
    const hits = exchanges.filter((e) => !e.credentials).flatMap((e) => findLeaks(`${e.headers}\n${e.body}`, everything, e.label));
    expect(hits).toEqual([]);
    expect(allowed.flatMap((e) => findLeaks(`${e.headers}\n${e.body}`, [...stored.filter((v) => v !== GOOD), ...refused], e.label))).toEqual([]);

    // Log lines (trace level). Control: the routes are there, by template.
    const log = s.logs.join('');
    expect(log).toContain('"route":"/v1/tenants/:tenant/connections/:id/credentials"');
    expect(log).toContain('"route":"/v1/tenants/:tenant/connections/:id/test"');
    expect(findLeaks(log, [...everything, ...echoProbes, ...providerProbes], 'the server log')).toEqual([]);
    expect(findLeaks(log, tokenTexts, 'the server log')).toEqual([]);

    // Every audit event of the vault, of any tenant. Control: the events are there.
    const events: unknown[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await s.coffer.audit.list({ limit: 1000, ...(before ? { before } : {}) });
      events.push(...page.items);
      if (page.nextCursor === null) break;
      before = page.nextCursor;
    }
    const text = JSON.stringify(events);
    expect(text).toContain('"connection.credentials"');
    expect(findLeaks(text, [...everything, ...echoProbes], 'the audit log')).toEqual([]);
    expect(findLeaks(text, tokenTexts, 'the audit log')).toEqual([]);
  });

  it('no canary in any row of any table (SQLite files after close / every PostgreSQL row); the scan finds a marker stored in the clear', async () => {
    const everything = [...stored, ...refused, ...echoProbes, STANDIN_BODY_TOKEN];
    // Positive control: a canary-like marker in a display name is stored in the clear.
    const marker = `MARKER_sk_live_${hex(16)}`;
    const shown = await client(tok.full).connections.create(T, { provider: PROVIDER, displayName: marker, config: { account: 'acme' }, credentials: { api_key: key(stored) } });
    expect(shown.displayName).toBe(marker);

    await s.close();
    closed = true;
    const dump = await storageScan(backend());
    const places = dump.map((d) => d.where);
    if (backend().name === 'sqlite') expect(places).toEqual(expect.arrayContaining(['coffer.db', 'coffer-audit.db']));
    else expect(places).toEqual(expect.arrayContaining([expect.stringMatching(/^table connections /), expect.stringMatching(/^table secret_versions /), expect.stringMatching(/^table audit_events /)]));
    const all = Buffer.concat(dump.map((d) => d.bytes));
    expect(all.includes(Buffer.from(T))).toBe(true);
    expect(all.includes(Buffer.from(keep.id))).toBe(true);
    expect(dump.flatMap((d) => findLeaks(d.bytes, [marker], d.where)).length).toBeGreaterThan(0);

    expect(dump.flatMap((d) => findLeaks(d.bytes, everything, d.where))).toEqual([]);
    expect(dump.flatMap((d) => findLeaks(d.bytes, tokenTexts, d.where))).toEqual([]);
  });
});
