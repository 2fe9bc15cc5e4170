import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { SilentExit, table, UsageError, when } from '../output.js';
import { progressBar } from '../progress.js';

export function registerAudit(program: Command, io: Io): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the whole hash chain; names the first broken event (exit 1 if broken)')
    .action(async (_flags, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const bar = progressBar(ctx.out, 'Verifying audit chain');
      const result = await withCoffer(ctx, (c) => c.audit.verify({ onProgress: (d, t) => bar.update(d, t) })).finally(() => bar.stop());
      // Which runs are MACed under an audit key, and which are plain SHA-256 from before audit keys.
      const segments = result.segments.map((g) => `  events ${g.from}-${g.to}: ${g.keyed ? `keyed (HMAC-SHA-256, audit key v${g.keyVersion})` : 'unkeyed (SHA-256, written before audit keys)'}`);
      ctx.out.result(result, () =>
        [
          result.ok ? `Audit chain intact: ${result.checked} event(s) verified.` : `AUDIT CHAIN BROKEN at event ${result.firstBroken!.seq}: ${result.firstBroken!.reason}. ${result.checked} event(s) before it verified.`,
          ...segments,
        ].join('\n'),
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
