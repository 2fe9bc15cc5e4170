/**
 * Root key rotation must never lose the vault: other processes opening the vault while a
 * rotation runs, a rotating process killed at every step, tenant creation racing the switch,
 * and the key material the keyring drops being zeroed.
 *
 * The rotating process is a real child (support/root-rotation-child.mjs on the built core), so
 * it can be paused at a step while this process opens the vault, or killed there with SIGKILL.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatRootKeyId, generateKey, type Coffer } from '../src/index.js';
import { rootKeyId } from '../src/crypto/key-check.js';
import { forEachBackend, makeBackend, type Backend } from './support/backends.js';
import { hex, openCoffer } from './helpers.js';

const CHILD = fileURLToPath(new URL('./support/root-rotation-child.mjs', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
  throw new Error('packages/core/dist is missing: run `npm run build` before this suite (its rotating child runs the built core).');
}

const readKey = (path: string) => readFileSync(path, 'utf8').trim();
const idOfText = (base64: string) => formatRootKeyId(rootKeyId(Buffer.from(base64, 'base64')));
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A child rotating process and the lines it prints. */
interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Resolves with the first line matching `re` (already printed or to come). */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  /** Lets a paused child go on. */
  resume(): void;
  /** Exit code, or the signal name; stderr. */
  readonly exited: Promise<{ code: number | string; stderr: string; stdout: string }>;
}

function startChild(options: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = stdout.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  proc.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    check();
  });
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  proc.stdin.on('error', () => {});
  const exited = new Promise<{ code: number | string; stderr: string; stdout: string }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code: code ?? signal ?? -1, stderr, stdout }));
  });
  return {
    proc,
    exited,
    waitFor(re, ms = 20_000) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child did not print ${re} within ${ms} ms:\n${stdout}\n${stderr}`)), ms);
        void exited.then(() => setTimeout(() => reject(new Error(`child exited before printing ${re}:\n${stdout}\n${stderr}`)), 50));
        waiters.push({
          re,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        check();
      });
    },
    resume() {
      proc.stdin.write('go\n');
    },
  };
}

/** Fills tenants with secrets; returns what each reveal must give. */
async function seed(c: Coffer, tenants: string[], secrets = 2): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (const t of tenants) {
    await c.tenants.create(t);
    for (let s = 0; s < secrets; s++) {
      const value = `value-${t}-${s}-${hex(4)}`;
      await c.secrets.put(t, `s${s}`, value);
      expected.set(`${t}|s${s}`, value);
    }
  }
  return expected;
}

async function expectAllReadable(c: Coffer, expected: Map<string, string>): Promise<void> {
  for (const [key, value] of expected) {
    const [t, s] = key.split('|') as [string, string];
    expect((await c.secrets.reveal(t, s)).value, key).toBe(value);
  }
}

async function withScratch<T>(name: Backend['name'], fn: (b: Backend) => Promise<T>): Promise<T> {
  const scratch = await makeBackend(name);
  try {
    return await fn(scratch);
  } finally {
    await scratch.dispose();
  }
}

async function using<T>(b: Backend, fn: (c: Coffer) => Promise<T>, extra: Parameters<typeof openCoffer>[1] = {}): Promise<T> {
  const c = await openCoffer(b, extra);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

forEachBackend('root key rotation', (backend) => {
  describe('reproduction', () => {
    // Issue 8 §1: a process opening the vault while root.key.next was staged deleted it; the
    // rotation then moved the database to the staged key and could not promote the file it
    // no longer had: ROOT_KEY_MISMATCH at every later start, every secret lost.
    it('a second process opening the vault while root.key.next is staged does not lose the vault', async () => {
      await withScratch(backend().name, async (s) => {
        const keyFile = join(s.dataDir, 'root.key');
        const expected = await using(s, (c) => seed(c, ['a1', 'a2', 'a3']));
        const child = startChild({ mode: 'stage-pause', dataDir: s.dataDir, databaseUrl: s.databaseUrl });
        await child.waitFor(/^paused staged$/);
        expect(existsSync(`${keyFile}.next`)).toBe(true);
        const staged = readKey(`${keyFile}.next`);

        // a cron'd CLI call, a replica restart: any open in the window
        await using(s, async (other) => {
          expect((await other.tenants.list()).map((t) => t.id)).toEqual(['a1', 'a2', 'a3']);
          await expectAllReadable(other, expected);
        });
        expect(existsSync(`${keyFile}.next`), 'the open deleted the staged key').toBe(true);

        child.resume();
        const exit = await child.exited;
        expect(exit.code, exit.stderr).toBe(0);
        expect(readKey(keyFile)).toBe(staged);
        await using(s, async (c) => {
          await expectAllReadable(c, expected);
          expect((await c.keys.status()).root.find((r) => r.state === 'current')?.id).toBe(idOfText(staged));
        });
      });
    });
  });
});
