/**
 * `coffer providers …` and `coffer connection …`, run for real against SQLite and PostgreSQL,
 * with a loopback stand-in of the provider's API for `connection test`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../../core/test/support/provider-standin.js';
import { backendEnv, coffer, expectError, expectNoneOf, expectOk, expectUsage, forEachBackendInParallel, okJson } from './support/cli.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const KEY = `tk_${hex(16)}`;
const NEW_KEY = `tk_${hex(16)}`;

let standIn: StandIn;
let providersDir: string;

beforeAll(async () => {
  standIn = await startStandIn({ header: 'x-api-key', expect: KEY, account: { seller: { id: 'S-1001' } }, paths: ['/v1/seller'] });
  providersDir = mkdtempSync(join(tmpdir(), 'coffer-cli-providers-'));
  writeFileSync(
    join(providersDir, 'standin-market.json'),
    JSON.stringify({
      id: 'standin-market',
      name: 'Stand-in Marketplace',
      auth: { mode: 'api_key', fields: [{ name: 'api_key', label: 'API key', pattern: '^tk_[0-9a-f]{32}$' }] },
      api: { baseUrl: standIn.url, inject: { headers: { 'X-Api-Key': '{api_key}' } }, test: { path: '/v1/seller', identifierPath: 'seller.id' } },
    }),
  );
});
afterAll(async () => {
  await standIn?.close();
  rmSync(providersDir, { recursive: true, force: true });
});

forEachBackendInParallel('coffer providers and connection', (backend) => {
  const env = () => ({ ...backendEnv(backend()), COFFER_PROVIDERS_DIR: providersDir });
  const run = (args: string[], input?: string) => coffer(args, input === undefined ? { env: env() } : { env: env(), input });
  const T = ['--tenant', 'shop'];
  let id = '';

  beforeAll(async () => {
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'shop']));
  });

  it('providers list shows the built-ins and the team\'s own', async () => {
    const human = expectOk(await run(['providers', 'list'])).stdout;
    expect(human).toMatch(/^ID\s+NAME\s+AUTH\s+SOURCE/);
    expect(human).toMatch(/^shopify\s+Shopify\s+oauth2\s+builtin/m);
    expect(human).toMatch(/^standin-market\s+Stand-in Marketplace\s+api_key\s+custom/m);
    const list = okJson<Array<{ id: string; source: string }>>(await run(['providers', 'list', '--json']));
    expect(list.map((p) => p.id)).toEqual(expect.arrayContaining(['shopify', 'xero', 'google', 'takealot', 'clerk', 'standin-market']));
  });

  it('a bad provider definition stops the command with the file, the field and the reason', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'coffer-bad-providers-'));
    try {
      writeFileSync(join(bad, 'broken.yaml'), 'id: broken\nname: Broken\nauth: { mode: api_key, fields: [{ name: key, label: Key }] }\napi: { baseUrl: "https://{host}/v1", inject: { headers: { X-Key: "{key}" } } }\n');
      const r = await coffer(['providers', 'list'], { env: { ...backendEnv(backend()), COFFER_PROVIDERS_DIR: bad } });
      const message = expectError(r, 'PROVIDER_INVALID');
      expect(message).toContain(join(bad, 'broken.yaml'));
      expect(message).toContain('api.baseUrl');
      expect(message).toContain('{host}');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('connection create reads credentials from stdin and prints them masked only', async () => {
    const r = expectOk(await run(['connection', 'create', ...T, '--provider', 'standin-market', '--name', 'Main store'], JSON.stringify({ api_key: KEY })));
    expect(r.stdout).toMatch(/^Created connection con_[0-9a-f]{20}\./);
    expect(r.stdout).toMatch(/credentials\s+api_key=tk_••••••••[0-9a-f]{4} /);
    expectNoneOf(r, [KEY]);
    const list = okJson<Array<{ id: string; displayName: string; status: string }>>(await run(['connection', 'list', ...T, '--json']));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ displayName: 'Main store', status: 'active' });
    id = list[0]!.id;
    expectNoneOf(await run(['connection', 'get', id, ...T]), [KEY]);
  });

  it('refuses bad credentials without echoing them, and bad usage with exit 2', async () => {
    const bad = `not-a-key-${hex(8)}`;
    const r = await run(['connection', 'create', ...T, '--provider', 'standin-market'], JSON.stringify({ api_key: bad }));
    expectError(r, 'CONNECTION_INVALID');
    expectNoneOf(r, [bad]);
    expectError(await run(['connection', 'create', ...T, '--provider', 'standin-market'], `{"api_key": "${bad}"`), 'CONNECTION_INVALID');
    expectError(await run(['connection', 'create', ...T, '--provider', 'nope'], '{}'), 'PROVIDER_NOT_FOUND');
    expectUsage(await run(['connection', 'create', ...T]), /--provider/);
    expectUsage(await run(['connection', 'update', id, ...T]), /--name, --config or --credentials/);
    expectError(await run(['connection', 'get', 'con_00000000000000000000', ...T]), 'CONNECTION_NOT_FOUND');
  });

  it('connection test runs the provider test request; credentials prints them (audited)', async () => {
    const ok = expectOk(await run(['connection', 'test', id, ...T]));
    expect(ok.stdout).toMatch(/^OK: standin-market answered 200 in \d+ ms \(account S-1001\)\./);
    const creds = okJson<{ values: { api_key: string }; headers: Record<string, string>; baseUrl: string }>(await run(['connection', 'credentials', id, ...T]));
    expect(creds).toMatchObject({ values: { api_key: KEY }, headers: { 'X-Api-Key': KEY }, baseUrl: standIn.url });
    const events = okJson<{ items: Array<{ action: string; target: string; actor: string }> }>(await run(['audit', 'list', ...T, '--json']));
    const actions = events.items.filter((e) => e.target === id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['connection.create', 'connection.test', 'connection.credentials']));
    expect(events.items.every((e) => e.actor.startsWith('cli'))).toBe(true);
  });

  it('connection update replaces credentials; a failing test exits 1 with the reason', async () => {
    expectOk(await run(['connection', 'update', id, ...T, '--credentials'], JSON.stringify({ api_key: NEW_KEY })));
    const failed = await run(['connection', 'test', id, ...T]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^FAILED: Stand-in Marketplace answered 401 to the test request \(the credentials were refused\)\./);
    expectNoneOf(failed, [NEW_KEY, 'leaky-body-token']);
    expect(okJson<{ status: string }>(await run(['connection', 'get', id, ...T, '--json'])).status).toBe('error');
  });

  it('connection delete erases the owned secret', async () => {
    const r = expectOk(await run(['connection', 'delete', id, ...T]));
    expect(r.stdout).toBe(`Deleted connection ${id} and erased its secret ${id}.credentials.\n`);
    expectError(await run(['secret', 'get', `${id}.credentials`, ...T]), 'SECRET_NOT_FOUND');
    expect(okJson(await run(['connection', 'list', ...T, '--json']))).toEqual([]);
  });
});
