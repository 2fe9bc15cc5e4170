/**
 * `coffer tenant …` and `coffer secret …`, run for real against SQLite and PostgreSQL.
 * One initialised vault per backend; the tests build on each other and run in order.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import {
  backendEnv,
  coffer,
  expectError,
  expectJsonError,
  expectNoneOf,
  expectOk,
  expectUsage,
  forEachBackendInParallel,
  okJson,
  type RunResult,
} from './support/cli.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const MASK = '••••••••';

forEachBackendInParallel('coffer tenant and secret', (backend) => {
  const env = () => backendEnv(backend());
  const run = (args: string[], input?: string) => coffer(args, input === undefined ? { env: env() } : { env: env(), input });
  const A = ['--tenant', 'acme'];

  // Long values (so their masked form shows the last four characters) that must never be printed
  // except by `secret get`.
  const canary = `sk_live_${hex(20)}Q7wZ`;
  const canary2 = `sk_live_${hex(20)}K3vP`;
  const fileVal = `file_${hex(16)}F1le`;
  const stdinVal = `stdin-${hex(16)}Std1`;
  const basic = { username: 'svc-user', password: `pw-${hex(12)}` };
  const oauth = { client_id: 'cid-123', client_secret: `cs_${hex(16)}Oa2x`, expires_in: 3600 };
  const badBasic = `user:${hex(12)}`;
  const plaintexts = [canary, canary2, fileVal, stdinVal, basic.password, oauth.client_secret, badBasic];

  beforeAll(async () => {
    expectOk(await run(['init']));
  });

  it('tenant create, list and delete (--yes required), human and --json', async () => {
    expect(expectOk(await run(['tenant', 'create', 'acme', '--name', 'Acme Inc'])).stdout).toBe('Created tenant acme (Acme Inc).\n');
    const [beta, noYes] = await Promise.all([run(['tenant', 'create', 'beta', '--json']), run(['tenant', 'delete', 'beta'])]);
    expect(okJson(beta)).toMatchObject({ id: 'beta', name: 'beta' });
    expectUsage(noYes, /--yes/);

    const [listJson, listHuman] = await Promise.all([run(['tenant', 'list', '--json']), run(['tenant', 'list'])]);
    const tenants = okJson<Array<{ id: string; name: string; secretCount: number; createdAt: string }>>(listJson);
    expect(tenants.map((t) => t.id).sort()).toEqual(['acme', 'beta']); // delete without --yes changed nothing
    expect(tenants.find((t) => t.id === 'acme')).toMatchObject({ name: 'Acme Inc', secretCount: 0 });
    expect(Number.isNaN(Date.parse(tenants[0]!.createdAt))).toBe(false);
    expect(expectOk(listHuman).stdout).toMatch(/^ID\s+NAME\s+SECRETS\s+CREATED\n/);
    expect(listHuman.stdout).toMatch(/^acme\s+Acme Inc\s+0\s+\d{4}-\d\d-\d\dT/m);

    expect(okJson(await run(['tenant', 'delete', 'beta', '--yes', '--json']))).toEqual({ id: 'beta', deleted: true });
    // That beta is gone is checked by the next test's `tenant list`.
  });

  it('secret put takes --value, --from-file (one newline dropped; --raw keeps it), stdin, --fields, --type basic and --metadata', async () => {
    const file = join(backend().dataDir, 'value.txt');
    writeFileSync(file, `${fileVal}\n`);
    const puts = await Promise.all([
      run(['secret', 'put', 'plain', ...A, '--value', canary, '--metadata', '{"env":"prod","owner":"ops"}']),
      run(['secret', 'put', 'fromfile', ...A, '--from-file', file]),
      run(['secret', 'put', 'rawfile', ...A, '--from-file', file, '--raw']),
      run(['secret', 'put', 'piped', ...A, '--type', 'api_key'], `${stdinVal}\n`),
      run(['secret', 'put', 'cred', ...A, '--type', 'basic'], JSON.stringify(basic)),
      run(['secret', 'put', 'xero', ...A, '--fields', '--type', 'oauth2', '--json'], JSON.stringify(oauth)),
    ]);
    const names = ['plain', 'fromfile', 'rawfile', 'piped', 'cred', 'xero'];
    puts.forEach((r, i) => {
      expectOk(r);
      expectNoneOf(r, plaintexts);
      if (names[i] !== 'xero') expect(r.stdout).toBe(`Stored ${names[i]} version 1 in tenant acme.\n`);
    });
    expect(JSON.parse(puts[5]!.stdout)).toMatchObject({ tenant: 'acme', name: 'xero', version: 1 });

    const [notJson, fromfile, rawfile, piped, cred, xero, plainJson, list, tenants] = await Promise.all([
      run(['secret', 'put', 'badbasic', ...A, '--type', 'basic', '--value', badBasic]),
      run(['secret', 'get', 'fromfile', ...A]),
      run(['secret', 'get', 'rawfile', ...A]),
      run(['secret', 'get', 'piped', ...A]),
      run(['secret', 'get', 'cred', ...A]),
      run(['secret', 'get', 'xero', ...A]),
      run(['secret', 'get', 'plain', ...A, '--json']),
      run(['secret', 'list', ...A, '--json']),
      run(['tenant', 'list', '--json']),
    ]);
    // beta was deleted; acme counts its secrets.
    expect(okJson<Array<{ id: string; secretCount: number }>>(tenants).map((t) => [t.id, t.secretCount])).toEqual([['acme', 6]]);
    // --type basic needs a JSON object with username and password; the value is never echoed.
    expectError(notJson, 'SECRET_VALUE_INVALID');
    expectNoneOf(notJson, plaintexts);
    // Exactly the value into a pipe: no trailing newline, nothing on stderr.
    expect(expectOk(fromfile).stdout).toBe(fileVal);
    expect(fromfile.stderr).toBe('');
    expect(expectOk(rawfile).stdout).toBe(`${fileVal}\n`);
    expect(expectOk(piped).stdout).toBe(stdinVal);
    // Structured values as one JSON object.
    expect(expectOk(cred).stdout.endsWith('}')).toBe(true);
    expect(JSON.parse(cred.stdout)).toEqual(basic);
    expect(JSON.parse(expectOk(xero).stdout)).toEqual(oauth);
    expect(okJson(plainJson)).toMatchObject({ tenant: 'acme', name: 'plain', type: 'generic', version: 1, value: canary });

    const items = okJson<Array<{ name: string; type: string; metadata: object; currentVersion: number }>>(list);
    const byName = Object.fromEntries(items.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['cred', 'fromfile', 'piped', 'plain', 'rawfile', 'xero']); // not badbasic
    expect(byName.plain!).toMatchObject({ type: 'generic', currentVersion: 1, metadata: { env: 'prod', owner: 'ops' } });
    expect(byName.fromfile!).toMatchObject({ type: 'generic', metadata: {} });
    expect(byName.cred!.type).toBe('basic');
    expect(byName.xero!.type).toBe('oauth2');
    expect(byName.piped!.type).toBe('api_key');
  });

  it('check-and-set: --cas 0 only creates, --cas N only replaces version N', async () => {
    const [cas0, cas1] = await Promise.all([
      run(['secret', 'put', 'plain', ...A, '--cas', '0', '--value', `other-${hex(10)}`]),
      run(['secret', 'put', 'plain', ...A, '--cas', '1', '--value', canary2]),
    ]);
    expect(expectError(cas0, 'CAS_MISMATCH')).toMatch(/already exists/);
    expect(expectOk(cas1).stdout).toBe('Stored plain version 2 in tenant acme.\n');
    const [current, v1] = await Promise.all([
      run(['secret', 'get', 'plain', ...A]),
      run(['secret', 'get', 'plain', ...A, '--version', '1']),
    ]);
    expect(expectOk(current).stdout).toBe(canary2);
    expect(current.stderr).toBe('');
    expect(expectOk(v1).stdout).toBe(canary);
  });

  it('secret get fails with the right code: unknown secret, tenant or version', async () => {
    const [noTenant, noVersion, noSecretJson] = await Promise.all([
      run(['secret', 'get', 'plain', '--tenant', 'nosuch']),
      run(['secret', 'get', 'plain', ...A, '--version=9']),
      run(['--json', 'secret', 'get', 'nosuch', ...A]),
    ]);
    expectError(noTenant, 'TENANT_NOT_FOUND');
    expectError(noVersion, 'SECRET_VERSION_NOT_FOUND');
    expect(expectJsonError(noSecretJson, 'SECRET_NOT_FOUND')).toMatch(/nosuch/);
  });

  it('secret list and versions show masked values, never plaintext', async () => {
    const runs = await Promise.all([
      run(['secret', 'list', ...A]),
      run(['secret', 'list', ...A, '--json']),
      run(['secret', 'versions', 'plain', ...A]),
      run(['secret', 'versions', 'plain', ...A, '--json']),
    ]);
    for (const r of runs) {
      expectOk(r);
      expectNoneOf(r, plaintexts);
      // Not even the middle of a value.
      expectNoneOf(r, [canary.slice(8, 30), canary2.slice(8, 30), stdinVal.slice(6, 30), fileVal.slice(5, 30)]);
    }
    const [list, listJson, versions, versionsJson] = runs as [RunResult, RunResult, RunResult, RunResult];

    expect(list.stdout).toMatch(/^NAME\s+TYPE\s+VERSION\s+STATE\s+UPDATED\s+VALUE\n/);
    expect(list.stdout).toMatch(new RegExp(`^plain\\s+generic\\s+2\\s+active\\s+\\S+\\s+sk_live_${MASK}K3vP$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^piped\\s+api_key\\s+1\\s+active\\s+\\S+\\s+stdin-${MASK}Std1$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^fromfile\\s.*${MASK}F1le$`, 'm'));

    const items = JSON.parse(listJson.stdout) as Array<{ name: string; masked: unknown; state: string }>;
    expect(items.find((s) => s.name === 'plain')).toMatchObject({ masked: `sk_live_${MASK}K3vP`, state: 'active' });
    expect(items.find((s) => s.name === 'xero')!.masked).toEqual({ client_id: MASK, client_secret: `cs_${MASK}Oa2x`, expires_in: MASK });
    expect(items.find((s) => s.name === 'cred')!.masked).toEqual({ username: MASK, password: `pw-${MASK}${basic.password.slice(-4)}` });

    expect(versions.stdout).toMatch(/^VERSION\s+STATE\s+KEY\s+CREATED\s+DELETED\s+DESTROYED\s+VALUE\n/);
    expect(versions.stdout).toMatch(new RegExp(`^2\\s+active\\s+acme/v1\\s.*${MASK}K3vP$`, 'm'));
    expect(versions.stdout).toMatch(new RegExp(`^1\\s+active\\s+acme/v1\\s.*${MASK}Q7wZ$`, 'm'));
    const vs = JSON.parse(versionsJson.stdout) as Array<{ version: number; state: string; keyId: string; masked: string }>;
    expect(vs.map((v) => [v.version, v.state, v.keyId, v.masked])).toEqual([
      [2, 'active', 'acme/v1', `sk_live_${MASK}K3vP`],
      [1, 'active', 'acme/v1', `sk_live_${MASK}Q7wZ`],
    ]);
  });

  it('delete, undelete and destroy: all versions or a --version list; get reports each state', async () => {
    const rot = ['rot', ...A];
    const [rv1, rv2] = [`rot-one-${hex(8)}`, `rot-two-${hex(8)}`];
    expectOk(await run(['secret', 'put', ...rot, '--value', rv1]));
    expectOk(await run(['secret', 'put', ...rot, '--value', rv2]));
    const get = (...extra: string[]) => run(['secret', 'get', ...rot, ...extra]);

    // Soft-delete all: unreadable, not gone.
    expect(expectOk(await run(['secret', 'delete', ...rot])).stdout).toBe('Deleted rot versions 1, 2.\n');
    expect(expectError(await get(), 'SECRET_VERSION_DELETED')).toMatch(/undelete/);

    // Undelete by comma list.
    expect(okJson(await run(['secret', 'undelete', ...rot, '--version=1,2', '--json']))).toEqual({ tenant: 'acme', name: 'rot', versions: [1, 2] });
    expect(expectOk(await get()).stdout).toBe(rv2);

    // Delete one version: the other still reads.
    expect(expectOk(await run(['secret', 'delete', ...rot, '--version=2'])).stdout).toBe('Deleted rot version 2.\n');
    const [cur1, old1] = await Promise.all([get(), get('--version=1')]);
    expectError(cur1, 'SECRET_VERSION_DELETED');
    expect(expectOk(old1).stdout).toBe(rv1);

    // Undelete all: only the deleted one changes.
    expect(okJson(await run(['secret', 'undelete', ...rot, '--json']))).toEqual({ tenant: 'acme', name: 'rot', versions: [2] });

    // Destroy one version: gone for good, the other still reads.
    expect(expectOk(await run(['secret', 'destroy', ...rot, '--version=1'])).stdout).toBe('Destroyed rot version 1.\n');
    const [cur2, old2, undeleteDestroyed] = await Promise.all([get(), get('--version=1'), run(['secret', 'undelete', ...rot, '--version=1'])]);
    expect(expectOk(cur2).stdout).toBe(rv2);
    expectError(old2, 'SECRET_VERSION_DESTROYED');
    expectError(undeleteDestroyed, 'SECRET_VERSION_DESTROYED');

    // Destroy all: only what is left changes; nothing is readable or shown any more.
    expect(okJson(await run(['secret', 'destroy', ...rot, '--json']))).toEqual({ tenant: 'acme', name: 'rot', versions: [2] });
    const [cur3, versions] = await Promise.all([get(), run(['secret', 'versions', ...rot, '--json'])]);
    expectError(cur3, 'SECRET_VERSION_DESTROYED');
    const vs = okJson<Array<{ version: number; state: string; keyId: string | null; masked: unknown; destroyedAt: string | null }>>(versions);
    expect(vs.map((v) => [v.version, v.state, v.keyId, v.masked])).toEqual([
      [2, 'destroyed', null, null],
      [1, 'destroyed', null, null],
    ]);
    expect(vs.every((v) => v.destroyedAt !== null)).toBe(true);
    expectNoneOf(versions, [rv1, rv2]);
  });
});
