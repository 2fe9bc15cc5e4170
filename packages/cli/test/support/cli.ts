/**
 * Runs the real, built `coffer` command (packages/cli/bin/coffer.js) as a child process with an
 * explicit environment, and small assertions on what it printed.
 *
 * Build first: `npx tsc -b packages/core packages/cli` (npm test does it via pretest).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forEachBackend, type Backend } from '../../../core/test/support/backends.js';

export const BIN = fileURLToPath(new URL('../../bin/coffer.js', import.meta.url));

if (!existsSync(fileURLToPath(new URL('../../dist/main.js', import.meta.url)))) {
  throw new Error('packages/cli/dist is missing: run `npx tsc -b packages/core packages/cli` before the CLI suites.');
}

export interface RunResult {
  /** Exit code (or -1 when killed by a signal). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type Env = Record<string, string | undefined>;

export interface RunOptions {
  env?: Env;
  /** Written to stdin, which is then closed. Without it stdin is closed at once (never a TTY). */
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * The environment of a run: PATH and the PG* client variables of the test process (so that the
 * PostgreSQL URL authenticates the same way it does for the harness), nothing else inherited —
 * in particular no COFFER_* variable of the developer's shell leaks in.
 */
function childEnv(extra: Env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if ((k === 'PATH' || k.startsWith('PG')) && v !== undefined) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** `coffer ...args`, resolved when the process exits. Never rejects on a non-zero exit. */
export function coffer(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(options.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading stdin
    child.stdin.end(options.input ?? '');
  });
}

/** For failure messages: everything a run printed. */
export function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Exit 0. */
export function expectOk(r: RunResult): RunResult {
  expect(r.code, show(r)).toBe(0);
  return r;
}

/** Exit 0 and stdout parses as JSON; returns it. */
export function okJson<T = any>(r: RunResult): T {
  expectOk(r);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${show(r)}`);
  }
}

/**
 * A failed command: exit code `exit`, nothing on stdout, and stderr `error [CODE]: message` on
 * one line. Returns the message.
 */
export function expectError(r: RunResult, code: string, exit = 1): string {
  expect(r.code, show(r)).toBe(exit);
  expect(r.stdout, show(r)).toBe('');
  const m = /^error \[([A-Z_]+)\]: (.+)\n$/.exec(r.stderr);
  expect(m, `stderr is not one "error [CODE]: message" line:\n${show(r)}`).not.toBeNull();
  expect(m![1], show(r)).toBe(code);
  return m![2]!;
}

/** A failed command in --json mode: stderr is exactly one line of {"error":{"code","message"}}. */
export function expectJsonError(r: RunResult, code: string, exit = 1): string {
  expect(r.code, show(r)).toBe(exit);
  expect(r.stdout, show(r)).toBe('');
  expect(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `stderr is not a single line:\n${show(r)}`).toBe(true);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stderr);
  } catch {
    throw new Error(`stderr is not JSON:\n${show(r)}`);
  }
  expect(parsed, show(r)).toEqual({ error: { code, message: expect.any(String) } });
  return (parsed as { error: { message: string } }).error.message;
}

/** A usage mistake: exit 2, nothing on stdout, something on stderr. */
export function expectUsage(r: RunResult, mentions?: RegExp): void {
  expect(r.code, show(r)).toBe(2);
  expect(r.stdout, show(r)).toBe('');
  if (mentions) expect(r.stderr, show(r)).toMatch(mentions);
}

/** Asserts that none of `secrets` appears in anything the run printed. */
export function expectNoneOf(r: RunResult, secrets: readonly string[]): void {
  for (const s of secrets) {
    expect(r.stdout.includes(s), `stdout contains "${s}":\n${show(r)}`).toBe(false);
    expect(r.stderr.includes(s), `stderr contains "${s}":\n${show(r)}`).toBe(false);
  }
}

/**
 * COFFER_* variables for a backend. SQLite keeps its database in `dataDir` (the default
 * location, stated explicitly); PostgreSQL uses the backend's database and keeps only the key
 * file in `dataDir`.
 */
export function backendEnv(b: Backend, dataDir: string = b.dataDir): Env {
  return {
    COFFER_DATA_DIR: dataDir,
    COFFER_DATABASE_URL: b.name === 'postgres' ? b.databaseUrl : `sqlite:${join(dataDir, 'coffer.db')}`,
    // The suites' provider and OAuth stand-ins listen on loopback, which the outbound layer refuses unless allowlisted.
    COFFER_OUTBOUND_ALLOW: '127.0.0.1',
  };
}


/**
 * `forEachBackend`, with the SQLite and PostgreSQL blocks running at the same time (each one's
 * tests still run in order). Spawning the CLI costs a few hundred ms of CPU per call, so
 * overlapping the two backends roughly halves the wall time of a CLI suite.
 */
export function forEachBackendInParallel(title: string, body: (backend: () => Backend) => void): void {
  describe.concurrent(title, () => {
    forEachBackend(title, (backend) => {
      describe.sequential('in order', () => body(backend));
    });
  });
}
