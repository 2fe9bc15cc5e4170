import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { SilentExit } from '../output.js';
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
      ctx.out.result(result, () =>
        result.ok ? `Audit chain intact: ${result.checked} event(s) verified.` : `AUDIT CHAIN BROKEN at event ${result.firstBroken!.seq}: ${result.firstBroken!.reason}. ${result.checked} event(s) before it verified.`,
      );
      if (!result.ok) throw new SilentExit(1);
    });
}
