/**
 * The `coffer` command, run for real as a child process: usage and exit codes, --json errors,
 * `key generate`, the README's error code table, `init`, and the start-up checks on the root key.
 * Secrets and tenants are in cli-secrets.test.ts, key management in cli-keys.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/src/errors.js';
import { ERROR_STATUS as HTTP_STATUS } from '@coffer/contract';
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
  show,
  type RunResult,
} from './support/cli.js';

const README = new URL('../../../README.md', import.meta.url);
const KEY_FILE_TEXT = /^[A-Za-z0-9+/]{43}=\n$/;
const mode = (path: string) => statSync(path).mode & 0o777;
const newKey = () => randomBytes(32).toString('base64');

describe('README error code table', () => {
  it('lists every code in ERROR_CODES, and nothing else but the CLI-only USAGE and the HTTP codes', () => {
    const text = readFileSync(README, 'utf8');
    const section = text.slice(text.indexOf('## Error codes'));
    const end = section.indexOf('\n## ', 3);
    const table = end === -1 ? section : section.slice(0, end);
    const documented = new Set([...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!));
    const missing = Object.keys(ERROR_CODES).filter((c) => !documented.has(c));
    expect(missing, 'codes missing from README.md').toEqual([]);
    // The HTTP layer's own codes are listed too (server/test/error-table.test.ts checks those).
    const extra = [...documented].filter((c) => !(c in ERROR_CODES) && c !== 'USAGE' && !(c in HTTP_STATUS));
    expect(extra, 'README.md documents codes that ERROR_CODES does not have').toEqual([]);
    expect(documented.has('USAGE')).toBe(true);
  });
});

describe('usage, help, --json errors and key generate (no database)', () => {
  // A data dir that never exists: none of these commands may touch storage.
  const nowhere = join(tmpdir(), `coffer-cli-nowhere-${randomBytes(6).toString('hex')}`);
  const env = { COFFER_DATA_DIR: nowhere };
  const r: Record<string, RunResult> = {};

  beforeAll(async () => {
    const runs: Record<string, string[]> = {
      unknownCommand: ['bogus'],
      unknownCommandJson: ['--json', 'bogus'],
      missingTenant: ['secret', 'get', 'shopify_token'],
      help: ['--help'],
      casText: ['secret', 'put', 'x', '--tenant', 'acme', '--cas', 'abc', '--value', 'v'],
      getVersionSpace: ['secret', 'get', 'plain', '--tenant', 'acme', '--version', '1'],
      deleteVersionSpace: ['secret', 'delete', 'plain', '--tenant', 'acme', '--version', '1'],
      deleteNoYesJson: ['--json', 'tenant', 'delete', 'acme'],
      rotateNeither: ['key', 'rotate'],
      rotateBoth: ['key', 'rotate', '--root', '--tenant', 'acme'],
      rewrapNeither: ['key', 'rewrap'],
      generate: ['key', 'generate'],
      generateJson: ['key', 'generate', '--json'],
    };
    const results = await Promise.all(Object.entries(runs).map(async ([k, args]) => [k, await coffer(args, { env })] as const));
    for (const [k, v] of results) r[k] = v;
  });

  it('an unknown command exits 2', () => {
    expectUsage(r.unknownCommand!, /unknown command 'bogus'/);
    expectUsage(r.unknownCommandJson!, /bogus/);
  });

  it('a missing --tenant exits 2 and names the option', () => {
    expectUsage(r.missingTenant!, /--tenant/);
  });

  it('--help exits 0 and lists the commands on stdout', () => {
    const h = expectOk(r.help!);
    expect(h.stdout).toMatch(/Usage: coffer/);
    for (const cmd of ['init', 'tenant', 'secret', 'key']) expect(h.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('a non-numeric --cas exits 2 before anything is opened', () => {
    expect(expectError(r.casText!, 'USAGE', 2)).toMatch(/--cas.*"abc"/);
    expect(existsSync(nowhere), 'a usage error created the data dir').toBe(false);
  });

  it('with --json, a usage error is one JSON line on stderr', () => {
    expect(expectJsonError(r.deleteNoYesJson!, 'USAGE', 2)).toMatch(/--yes/);
  });

  it('key rotate needs exactly one of --root and --tenant; key rewrap one of --tenant and --all', () => {
    expect(expectError(r.rotateNeither!, 'USAGE', 2)).toMatch(/--root/);
    expect(expectError(r.rotateBoth!, 'USAGE', 2)).toMatch(/--root/);
    expect(expectError(r.rewrapNeither!, 'USAGE', 2)).toMatch(/--all/);
  });

  it('key generate prints a fresh 44-character base64 key of 32 bytes, and nothing else', () => {
    const a = expectOk(r.generate!);
    expect(a.stdout).toMatch(KEY_FILE_TEXT);
    expect(Buffer.from(a.stdout.trim(), 'base64')).toHaveLength(32);
    expect(a.stderr).toBe('');
    const j = okJson<{ rootKey: string }>(r.generateJson!);
    expect(Object.keys(j)).toEqual(['rootKey']);
    expect(`${j.rootKey}\n`).toMatch(KEY_FILE_TEXT);
    expect(j.rootKey).not.toBe(a.stdout.trim()); // a new key each time
    expect(existsSync(nowhere), 'key generate touched the data dir').toBe(false);
  });

  it('with --json, commander usage errors (unknown command) are one JSON line on stderr, as README says', () => {
    expectJsonError(r.unknownCommandJson!, 'USAGE', 2);
  });

  // Regression: a program-level `--version` flag used to claim `--version` wherever it appeared,
  // so `--version 1` printed the program version and exited 0 without running the subcommand.
  // Here there is no vault at all, so a correct CLI must fail (exit 1).
  it('`secret get <name> --version 1` (space-separated) runs the command instead of printing the program version', () => {
    expect(r.getVersionSpace!.stdout, show(r.getVersionSpace!)).not.toBe('0.1.0\n');
    expect(r.getVersionSpace!.code, show(r.getVersionSpace!)).toBe(1);
  });

  it('`secret delete <name> --version 1` (space-separated) runs the command instead of silently doing nothing', () => {
    expect(r.deleteVersionSpace!.stdout, show(r.deleteVersionSpace!)).not.toBe('0.1.0\n');
    expect(r.deleteVersionSpace!.code, show(r.deleteVersionSpace!)).toBe(1);
  });
});

describe('an uninitialised SQLite data dir', () => {
  let base: string;
  let dataDir: string;
  const r: Record<string, RunResult> = {};
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'coffer-cli-uninit-'));
    dataDir = join(base, 'data');
    const env = { COFFER_DATA_DIR: dataDir };
    const withKey = { ...env, COFFER_ROOT_KEY: newKey() };
    const [tenantList, secretGet, keyStatusWithKey] = await Promise.all([
      coffer(['tenant', 'list'], { env }),
      coffer(['--data-dir', dataDir, 'secret', 'get', 'x', '--tenant', 'acme'], { env: {} }),
      coffer(['key', 'status'], { env: withKey }),
    ]);
    Object.assign(r, { tenantList, secretGet, keyStatusWithKey });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('commands other than init exit 1, point at `coffer init`, and create nothing', () => {
    for (const k of ['tenantList', 'secretGet', 'keyStatusWithKey']) {
      const res = r[k]!;
      expect(res.code, show(res)).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr, show(res)).toMatch(/^error \[[A-Z_]+\]: .*`coffer init`/);
    }
    expect(existsSync(dataDir), 'a command other than init created the data dir').toBe(false);
  });

  it('the error is NOT_INITIALIZED, with or without a root key', () => {
    expect(expectError(r.tenantList!, 'NOT_INITIALIZED')).toMatch(/`coffer init`/);
    expect(expectError(r.secretGet!, 'NOT_INITIALIZED')).toMatch(/`coffer init`/);
    expect(expectError(r.keyStatusWithKey!, 'NOT_INITIALIZED')).toMatch(/`coffer init`/);
  });
});

forEachBackendInParallel('coffer init and the root key checks', (backend) => {
  // A data dir that does not exist yet, inside the backend's temporary directory.
  const dir = () => join(backend().dataDir, 'vault');
  const keyFile = () => join(dir(), 'root.key');
  const env = () => backendEnv(backend(), dir());
  let keyText: string;

  it('init creates the data dir (0700), root.key (0600, base64 + newline) and the database', async () => {
    expect(existsSync(dir())).toBe(false);
    const j = okJson(await coffer(['init', '--json'], { env: env() }));
    expect(j).toMatchObject({ dataDir: dir(), rootKeyFile: keyFile(), keyCreated: true, databaseCreated: true, alreadyInitialized: false });
    expect(j.database).toMatch(backend().name === 'sqlite' ? /^SQLite / : /^PostgreSQL /);
    expect(mode(dir())).toBe(0o700);
    expect(mode(keyFile())).toBe(0o600);
    keyText = readFileSync(keyFile(), 'utf8');
    expect(keyText).toMatch(KEY_FILE_TEXT);
    if (backend().name === 'sqlite') expect(existsSync(join(dir(), 'coffer.db'))).toBe(true);
    else expect(j.database).not.toMatch(/:[^/@]*@/); // no password in what it prints
  });

  it('a second init says it is already initialised and changes nothing', async () => {
    const before = readdirSync(dir()).sort();
    const [human, json] = await Promise.all([coffer(['init'], { env: env() }), coffer(['init', '--json'], { env: env() })]);
    expectOk(human);
    expect(human.stdout).toMatch(/already initiali[sz]ed/);
    expect(human.stdout).toMatch(/nothing was changed/);
    expect(okJson(json)).toMatchObject({ keyCreated: false, databaseCreated: false, alreadyInitialized: true });
    expect(readFileSync(keyFile(), 'utf8')).toBe(keyText);
    expect(mode(keyFile())).toBe(0o600);
    expect(readdirSync(dir()).sort()).toEqual(before);
    expectNoneOf(human, [keyText.trim()]);
    expectNoneOf(json, [keyText.trim()]);
  });

  it('a root key file readable by others, a wrong COFFER_ROOT_KEY or a short one stop with their codes, never echoing a key', async () => {
    const unsafe = join(backend().dataDir, 'unsafe.key');
    copyFileSync(keyFile(), unsafe);
    chmodSync(unsafe, 0o644);
    const wrong = newKey();
    const short = randomBytes(16).toString('base64');
    const [unsafeRun, shortRun, wrongJsonRun] = await Promise.all([
      coffer(['tenant', 'list'], { env: { ...env(), COFFER_ROOT_KEY_FILE: unsafe } }),
      coffer(['tenant', 'list'], { env: { ...env(), COFFER_ROOT_KEY: short } }),
      coffer(['--json', 'tenant', 'list'], { env: { ...env(), COFFER_ROOT_KEY: wrong } }),
    ]);
    expect(expectError(unsafeRun, 'ROOT_KEY_FILE_UNSAFE')).toMatch(/chmod 600/);
    expectError(shortRun, 'ROOT_KEY_INVALID');
    expect(expectJsonError(wrongJsonRun, 'ROOT_KEY_MISMATCH')).toMatch(/does not match/); // --json: one {"error":{code,message}} line
    const keys = [keyText.trim(), wrong, short];
    for (const run of [unsafeRun, shortRun, wrongJsonRun]) {
      expectNoneOf(run, keys);
      expectNoneOf(run, keys.map((k) => k.slice(0, 12))); // not even a part of one
    }
    expect(readFileSync(keyFile(), 'utf8')).toBe(keyText);
  });

  it('init with a database that has a root key but no root.key refuses (ROOT_KEY_MISSING) and creates no key', async () => {
    const saved = join(backend().dataDir, 'root.key.saved');
    renameSync(keyFile(), saved);
    try {
      const r = await coffer(['init'], { env: env() });
      expect(expectError(r, 'ROOT_KEY_MISSING')).toMatch(/already has a root key/);
      expect(existsSync(keyFile()), 'init created a new key for a database that already has one').toBe(false);
      expect(readdirSync(dir()).filter((f) => f.startsWith('root.key'))).toEqual([]);
    } finally {
      renameSync(saved, keyFile());
    }
  });
});
