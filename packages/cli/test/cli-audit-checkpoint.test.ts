/**
 * `coffer audit public-key`, `audit checkpoint`, `audit verify --checkpoint` and
 * `audit verify-checkpoint`, run for real against SQLite and PostgreSQL: a third party verifies a
 * checkpoint with the public key alone, and a log cut after a checkpoint fails verification.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withRaw } from '../../core/test/helpers.js';
import { backendEnv, coffer, expectError, expectOk, expectUsage, forEachBackendInParallel, okJson } from './support/cli.js';

interface Checkpoint {
  format: string;
  seq: number;
  hash: string;
  at: string;
  keyVersion: number;
  keyId: string;
  signature: string;
  publicKey: string;
}

forEachBackendInParallel('coffer audit checkpoints', (backend) => {
  const env = (extra: Record<string, string> = {}) => ({ ...backendEnv(backend()), ...extra });
  const run = (args: string[], extra: Record<string, string> = {}) => coffer(args, { env: env(extra) });
  let work: string;
  let pemFile: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'coffer-cli-checkpoints-'));
    expectOk(await run(['init']));
    expectOk(await run(['tenant', 'create', 'acme']));
    expectOk(await run(['secret', 'put', 's1', '--tenant', 'acme', '--value', 'a-value-of-some-length']));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('public-key prints the PEM (default), the raw key (--format raw), the object (--json), every version labelled (--all)', async () => {
    const [pem, raw, json, all] = await Promise.all([
      run(['audit', 'public-key']),
      run(['audit', 'public-key', '--format', 'raw']),
      run(['audit', 'public-key', '--json']),
      run(['audit', 'public-key', '--all']),
    ]);
    expect(expectOk(pem).stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    expect(expectOk(raw).stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const key = okJson<{ version: number; keyId: string; current: boolean; publicKey: string; pem: string }>(json);
    expect(key).toMatchObject({ version: 1, current: true, publicKey: raw.stdout.trim(), pem: pem.stdout });
    expect(expectOk(all).stdout).toBe(`# audit key v1, key id ${key.keyId} (current)\n${pem.stdout}`);
    pemFile = join(work, 'audit.pub');
    writeFileSync(pemFile, pem.stdout);
  });

  it('checkpoint without a directory prints the file form; a third party verifies it with the public key alone', async () => {
    const printed = expectOk(await run(['audit', 'checkpoint']));
    const c = JSON.parse(printed.stdout) as Checkpoint;
    expect(c).toMatchObject({ format: 'coffer-audit-checkpoint/1', keyVersion: 1 });
    const file = join(work, 'printed.json');
    writeFileSync(file, printed.stdout);

    // No vault at all: a data directory that does not exist, no database URL.
    const nowhere = { COFFER_DATA_DIR: join(work, 'no-such-vault'), PATH: process.env.PATH ?? '' };
    const ok = await coffer(['audit', 'verify-checkpoint', file, '--public-key', pemFile], { env: nowhere });
    expect(expectOk(ok).stdout).toMatch(new RegExp(`^Checkpoint signature valid: ${file}\n  event ${c.seq}, hash ${c.hash}, made ${c.at.replace(/\./g, '\\.')}, audit key v1 \\(key id ${c.keyId}\\)`));
    const asJson = okJson(await coffer(['audit', 'verify-checkpoint', file, '--public-key', pemFile, '--json'], { env: nowhere }));
    expect(asJson).toMatchObject({ file, ok: true, reason: null, trustedKey: true });

    // Altered: the seq moved. Another key: refused.
    const tampered = join(work, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...c, seq: c.seq + 1 }));
    const bad = await coffer(['audit', 'verify-checkpoint', tampered, '--public-key', pemFile], { env: nowhere });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^CHECKPOINT NOT VALID: .*signature does not match/);
    const otherKey = join(work, 'other.pub');
    writeFileSync(otherKey, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const untrusted = await coffer(['audit', 'verify-checkpoint', file, '--public-key', otherKey], { env: nowhere });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(/not a trusted key/);
  });

  it('checkpoint --dir (or COFFER_AUDIT_CHECKPOINT_DIR) writes checkpoint-<seq>-<time>.json, 0600; inside the data directory it is CONFIG_INVALID', async () => {
    const dir = join(work, 'shipped');
    const written = okJson<{ file: string; checkpoint: Checkpoint }>(await run(['audit', 'checkpoint', '--dir', dir, '--json']));
    expect(written.file.startsWith(join(dir, `checkpoint-${String(written.checkpoint.seq).padStart(12, '0')}-`))).toBe(true);
    expect(JSON.parse(readFileSync(written.file, 'utf8'))).toEqual(written.checkpoint);
    expect(statSync(written.file).mode & 0o777).toBe(0o600);
    expectOk(await run(['secret', 'get', 's1', '--tenant', 'acme']));
    const human = expectOk(await run(['audit', 'checkpoint'], { COFFER_AUDIT_CHECKPOINT_DIR: dir }));
    expect(human.stdout).toMatch(new RegExp(`^Checkpoint of event ${written.checkpoint.seq + 1} \\(key [0-9a-f]{16}\\) written to ${dir}/checkpoint-`));
    expect(readdirSync(dir)).toHaveLength(2);

    const refused = expectError(await run(['audit', 'checkpoint', '--dir', join(backend().dataDir, 'checkpoints')]), 'CONFIG_INVALID');
    expect(refused).toMatch(/can be rewritten along with it/);
  });

  it('verify --checkpoint: the log matches, later events unanchored; a directory means its newest checkpoint', async () => {
    const file = join(work, 'anchor.json');
    writeFileSync(file, expectOk(await run(['audit', 'checkpoint'])).stdout);
    const c = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
    expectOk(await run(['secret', 'get', 's1', '--tenant', 'acme']));
    expectOk(await run(['secret', 'get', 's1', '--tenant', 'acme']));
    const human = expectOk(await run(['audit', 'verify', '--checkpoint', file, '--public-key', pemFile]));
    expect(human.stdout).toContain(`Audit log matches checkpoint ${file} (event ${c.seq}, made ${c.at}, key ${c.keyId}).`);
    expect(human.stdout).toContain(`  events 1-${c.seq}: anchored (unchanged since the checkpoint)`);
    expect(human.stdout).toContain(`  events ${c.seq + 1}-${c.seq + 2}: unanchored (2 event(s) after the checkpoint`);
    const json = okJson(await run(['audit', 'verify', '--checkpoint', file, '--json']));
    expect(json).toMatchObject({ file, ok: true, anchoredThrough: c.seq, unanchored: 2, vaultKey: true, signatureValid: true });

    const dir = join(work, 'shipped');
    const newest = readdirSync(dir).sort().at(-1)!;
    expect(okJson(await run(['audit', 'verify', '--checkpoint', dir, '--json']))).toMatchObject({ file: join(dir, newest), ok: true });
  });

  it('verify --checkpoint: a tail cut after the checkpoint (head moved back) exits 1 naming the cut events', async () => {
    const file = join(work, 'before-cut.json');
    writeFileSync(file, expectOk(await run(['audit', 'checkpoint'])).stdout);
    const c = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
    await withRaw(backend(), async (db) => {
      const [cut] = await db.all('select * from audit_events where seq = ?', [c.seq]);
      const [prev] = await db.all('select hash from audit_events where seq = ?', [c.seq - 1]);
      await db.run('delete from audit_events where seq = ?', [c.seq]);
      await db.run('update audit_head set seq = ?, hash = ? where id = 1', [c.seq - 1, prev!.hash]);
      try {
        expectOk(await run(['audit', 'verify'])); // the chain alone looks intact
        const r = await run(['audit', 'verify', '--checkpoint', file]);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain(`AUDIT LOG DOES NOT MATCH checkpoint ${file} (event ${c.seq}`);
        expect(r.stdout).toContain(`  - truncated: events ${c.seq} to ${c.seq} were cut`);
      } finally {
        const cols = Object.keys(cut!);
        await db.run(`insert into audit_events (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`, cols.map((k) => cut![k]));
        await db.run('update audit_head set seq = ?, hash = ? where id = 1', [c.seq, c.hash]);
      }
    });
    expectOk(await run(['audit', 'verify', '--checkpoint', file]));
  });

  it('usage mistakes exit 2', async () => {
    const [orphanKey, noKey, missing, format] = await Promise.all([
      run(['audit', 'verify', '--public-key', pemFile]),
      run(['audit', 'verify-checkpoint', join(work, 'printed.json')]),
      run(['audit', 'verify', '--checkpoint', join(work, 'missing.json')]),
      run(['audit', 'public-key', '--format', 'der']),
    ]);
    expectUsage(orphanKey, /--public-key goes with --checkpoint/);
    expectUsage(noKey, /--public-key/);
    expectUsage(missing, /ENOENT/);
    expectUsage(format, /--format must be pem or raw/);
  });
});
