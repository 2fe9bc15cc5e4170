import { readFileSync, statSync } from 'node:fs';
import { newestCheckpoint, parseEd25519PublicKeys, verifyCheckpoint, type CheckpointPublicKey, type CheckpointVerification, type VerifyResult } from '@coffer/core';
import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { SilentExit, table, UsageError, when } from '../output.js';
import { progressBar } from '../progress.js';

function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
}

/** A checkpoint file's text; for a directory, its newest checkpoint's (what a cron job fills). */
async function readCheckpointArg(flag: string, path: string): Promise<{ file: string; text: string }> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new UsageError(`Cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
  if (!isDir) return { file: path, text: readFlagFile(flag, path) };
  const newest = await newestCheckpoint(path);
  if (!newest) throw new UsageError(`${flag} ${path} is a directory without any checkpoint-*.json file.`);
  return { file: newest.file, text: JSON.stringify(newest.checkpoint) };
}

/** Which runs are MACed under an audit key, and which are plain SHA-256 from before audit keys. */
const segmentLines = (result: VerifyResult): string[] =>
  result.segments.map((g) => `  events ${g.from}-${g.to}: ${g.keyed ? `keyed (HMAC-SHA-256, audit key v${g.keyVersion})` : 'unkeyed (SHA-256, written before audit keys)'}`);

function checkpointReport(file: string, v: CheckpointVerification): string {
  const c = v.checkpoint;
  const made = `checkpoint ${file} (event ${c.seq}, made ${c.at}, key ${c.keyId})`;
  if (!v.ok) return [`AUDIT LOG DOES NOT MATCH ${made}:`, ...v.problems.map((p) => `  - ${p}`)].join('\n');
  return [
    `Audit log matches ${made}.`,
    `  events 1-${c.seq}: anchored (unchanged since the checkpoint)`,
    v.unanchored > 0 ? `  events ${c.seq + 1}-${v.head.seq}: unanchored (${v.unanchored} event(s) after the checkpoint; a newer checkpoint covers them)` : '  no event after the checkpoint',
    ...(v.chain ? segmentLines(v.chain) : []),
  ].join('\n');
}

function publicKeyText(keys: CheckpointPublicKey[], format: 'pem' | 'raw', labelled: boolean): string {
  return keys
    .map((k) => {
      const label = labelled ? `# audit key v${k.version}, key id ${k.keyId}${k.current ? ' (current)' : ''}\n` : '';
      return `${label}${format === 'pem' ? k.pem.trimEnd() : k.publicKey}`;
    })
    .join('\n');
}

export function registerAudit(program: Command, io: Io): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the whole hash chain; names the first broken event (exit 1 if broken); with --checkpoint, also that nothing up to a signed checkpoint was cut or rewritten')
    .option('--checkpoint <file>', 'a signed checkpoint file (or a directory: its newest checkpoint)')
    .option('--public-key <file>', 'with --checkpoint: the public key(s) you trust (from `coffer audit public-key`); default: this vault\'s own')
    .action(async (flags: { checkpoint?: string; publicKey?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if (flags.publicKey !== undefined && flags.checkpoint === undefined) throw new UsageError('--public-key goes with --checkpoint.');
      const trusted = flags.publicKey !== undefined ? parseEd25519PublicKeys(readFlagFile('--public-key', flags.publicKey)) : undefined;
      const checkpoint = flags.checkpoint !== undefined ? await readCheckpointArg('--checkpoint', flags.checkpoint) : undefined;
      const bar = progressBar(ctx.out, 'Verifying audit chain');
      const onProgress = (d: number, t: number) => bar.update(d, t);
      if (checkpoint) {
        const v = await withCoffer(ctx, (c) => c.checkpoints.verifyAgainst(checkpoint.text, { onProgress, ...(trusted ? { trustedPublicKeys: trusted } : {}) })).finally(() => bar.stop());
        ctx.out.result({ file: checkpoint.file, ...v }, () => checkpointReport(checkpoint.file, v));
        if (!v.ok) throw new SilentExit(1);
        return;
      }
      const result = await withCoffer(ctx, (c) => c.audit.verify({ onProgress })).finally(() => bar.stop());
      ctx.out.result(result, () =>
        [
          result.ok ? `Audit chain intact: ${result.checked} event(s) verified.` : `AUDIT CHAIN BROKEN at event ${result.firstBroken!.seq}: ${result.firstBroken!.reason}. ${result.checked} event(s) before it verified.`,
          ...segmentLines(result),
        ].join('\n'),
      );
      if (!result.ok) throw new SilentExit(1);
    });

  audit
    .command('checkpoint')
    .description('sign a checkpoint of the chain head: written to --dir (default COFFER_AUDIT_CHECKPOINT_DIR), or printed as JSON without either')
    .option('--dir <dir>', 'directory to write checkpoint-<seq>-<time>.json to (not inside the data directory)')
    .action(async (flags: { dir?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const dir = flags.dir ?? (io.env.COFFER_AUDIT_CHECKPOINT_DIR || undefined);
      if (dir === undefined) {
        const checkpoint = await withCoffer(ctx, (c) => c.checkpoints.create());
        // The file form on stdout in both modes: `coffer audit checkpoint > somewhere.json`.
        io.stdout.write(`${JSON.stringify(checkpoint, null, 2)}\n`);
        return;
      }
      const written = await withCoffer(ctx, (c) => c.checkpoints.writeTo(dir));
      ctx.out.result(written, () => `Checkpoint of event ${written.checkpoint.seq} (key ${written.checkpoint.keyId}) written to ${written.file}.`);
    });

  audit
    .command('public-key')
    .description('the public key that checks audit checkpoints (give it to whoever verifies them)')
    .option('--all', 'every audit key version, not only the current one')
    .option('--format <format>', 'pem (default) or raw (base64 of the 32-byte key)', (f: string) => {
      if (f !== 'pem' && f !== 'raw') throw new UsageError(`--format must be pem or raw, not "${f.slice(0, 20)}".`);
      return f;
    })
    .action(async (flags: { all?: boolean; format?: 'pem' | 'raw' }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const all = await withCoffer(ctx, async (c) => c.checkpoints.publicKeys());
      const keys = flags.all ? all : all.filter((k) => k.current);
      ctx.out.result(flags.all ? keys : keys[0], () => publicKeyText(keys, flags.format ?? 'pem', flags.all === true));
    });

  audit
    .command('verify-checkpoint <file>')
    .description("check a checkpoint's signature with a public key alone: no vault, no secret (for a third party); exit 1 if invalid")
    .requiredOption('--public-key <file>', 'the public key(s) you trust (PEM or base64, from `coffer audit public-key`)')
    .action(async (file: string, flags: { publicKey: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const trusted = parseEd25519PublicKeys(readFlagFile('--public-key', flags.publicKey));
      const checkpoint = await readCheckpointArg('checkpoint', file);
      const result = verifyCheckpoint(checkpoint.text, trusted);
      const c = result.checkpoint;
      ctx.out.result({ file: checkpoint.file, ...result }, () =>
        result.ok
          ? [
              `Checkpoint signature valid: ${checkpoint.file}`,
              `  event ${c.seq}, hash ${c.hash}, made ${c.at}, audit key v${c.keyVersion} (key id ${c.keyId})`,
              '  It shows the vault\'s log held this head at that time; `coffer audit verify --checkpoint` checks the log against it.',
            ].join('\n')
          : `CHECKPOINT NOT VALID: ${checkpoint.file}: ${result.reason}`,
      );
      if (!result.ok) throw new SilentExit(1);
    });

  audit
    .command('list')
    .description('events, newest first (never a value)')
    .option('--tenant <tenant>', "only this tenant's events")
    .option('--action <action>', 'only this action, e.g. secret.reveal')
    .option('--limit <n>', 'how many (default 100, at most 1000)', (t: string) => {
      if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 1000) throw new UsageError(`--limit must be an integer from 1 to 1000, not "${t.slice(0, 20)}".`);
      return Number(t);
    })
    .action(async (flags: { tenant?: string; action?: string; limit?: number }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const page = await withCoffer(ctx, (c) =>
        c.audit.list({ ...(flags.tenant ? { tenant: flags.tenant } : {}), ...(flags.action ? { action: flags.action } : {}), ...(flags.limit ? { limit: flags.limit } : {}) }),
      );
      ctx.out.result(page, () =>
        page.items.length === 0
          ? 'No audit events.'
          : table(
              ['SEQ', 'AT', 'ACTOR', 'ACTION', 'TENANT', 'TARGET', 'OUTCOME'],
              page.items.map((e) => [String(e.seq), when(e.at), e.actor, e.action, e.tenant ?? '-', e.target ?? '-', e.code ? `${e.outcome} (${e.code})` : e.outcome]),
            ),
      );
    });
}
