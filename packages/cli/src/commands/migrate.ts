import { countLegacyRows, importLegacy, type LegacyMapping, type LegacySource } from '@coffer/core';
import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { SilentExit, table, UsageError } from '../output.js';
import { progressBar } from '../progress.js';

/** `--map key=id --map credentials.api_key=api_key --map credentials.secret=creds.secret …` into a mapping. */
function parseMap(entries: string[], provider: string | undefined): LegacyMapping {
  const mapping: Partial<LegacyMapping> & { credentials: Record<string, string>; config: Record<string, string> } = { credentials: {}, config: {} };
  for (const entry of entries) {
    const m = /^([a-z_.]+)=([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)$/.exec(entry);
    if (!m) throw new UsageError(`--map takes target=column (or column.field for a field of a JSON column), e.g. --map credentials.api_key=api_key, not "${entry.slice(0, 40)}".`);
    const [, target, column] = m as unknown as [string, string, string];
    if (target === 'key' || target === 'tenant' || target === 'name') mapping[target] = column;
    else if (target === 'provider') mapping.providerColumn = column;
    else if (target.startsWith('credentials.')) mapping.credentials[target.slice('credentials.'.length)] = column;
    else if (target.startsWith('config.')) mapping.config[target.slice('config.'.length)] = column;
    else throw new UsageError(`--map: "${target}" is not key, tenant, provider, name, credentials.<field> or config.<field>.`);
  }
  if (!mapping.key || !mapping.tenant) throw new UsageError('--map must name the key and tenant columns: --map key=<column> --map tenant=<column>.');
  if (provider !== undefined) mapping.provider = provider;
  return mapping as LegacyMapping;
}

export function registerMigrate(program: Command, io: Io): void {
  const migrate = program.command('migrate').description('bring credentials from elsewhere into the vault');

  migrate
    .command('legacy')
    .description('import plaintext credentials from an NDJSON file or a database table into vault-backed connections')
    .option('--from-file <file>', 'NDJSON: one JSON object per line')
    .option('--from-url <url>', 'a PostgreSQL (postgres://…) or SQLite (sqlite:<path>) database')
    .option('--table <table>', 'the table to read, with --from-url')
    .option('--map <target=column>', 'key, tenant, provider, name, credentials.<field> or config.<field>; the column may be column.field for a field of a JSON column (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--provider <id>', 'one provider for every row (instead of --map provider=<column>)')
    .option('--batch-size <n>', 'rows per transaction (default 100)', (t: string) => {
      if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 10000) throw new UsageError(`--batch-size must be an integer from 1 to 10000, not "${t.slice(0, 20)}".`);
      return Number(t);
    })
    .option('--create-tenants', 'create tenants that do not exist yet')
    .option('--dry-run', 'check every row and report, writing nothing')
    .action(async (flags: { fromFile?: string; fromUrl?: string; table?: string; map?: string[]; provider?: string; batchSize?: number; createTenants?: boolean; dryRun?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if ((flags.fromFile === undefined) === (flags.fromUrl === undefined)) throw new UsageError('Give the source: --from-file <file.ndjson>, or --from-url <url> with --table <table>.');
      if (flags.fromUrl !== undefined && flags.table === undefined) throw new UsageError('--from-url needs --table <table>.');
      const source: LegacySource = flags.fromFile !== undefined ? { kind: 'ndjson', file: flags.fromFile } : { kind: 'table', url: flags.fromUrl!, table: flags.table! };
      const mapping = parseMap(flags.map ?? [], flags.provider);
      const total = await countLegacyRows(source);
      const bar = progressBar(ctx.out, flags.dryRun ? 'Checking' : 'Importing');
      // The vault acts as the CLI user: core records each imported connection as connection.import by cli:<user>.
      const summary = await withCoffer(ctx, (coffer) =>
        importLegacy(coffer, source, mapping, {
          dryRun: flags.dryRun === true,
          createTenants: flags.createTenants === true,
          ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
          onProgress: (done) => bar.update(done, Math.max(done, total ?? done)),
        }),
      ).finally(() => bar.stop());
      ctx.out.result(summary, () => {
        const verb = summary.dryRun ? 'would import' : 'imported';
        const lines = [
          `${summary.dryRun ? 'Dry run: nothing was written. ' : ''}Read ${summary.read} row(s): ${verb} ${summary.imported}, already imported ${summary.skipped}, failed ${summary.failed.length}.`,
        ];
        if (!summary.dryRun) lines.push(`Verified ${summary.verified} of ${summary.imported} imported value(s): each decrypts to its source.`);
        if (summary.failed.length > 0) {
          lines.push('', table(['ROW', 'KEY', 'CODE', 'PROBLEM'], summary.failed.slice(0, 50).map((f) => [String(f.row), f.key ?? '-', f.code, f.message])));
          if (summary.failed.length > 50) lines.push(`… and ${summary.failed.length - 50} more (--json lists them all).`);
          lines.push('', 'Fix the rows and run the same command again: rows already imported are skipped.');
        }
        return lines.join('\n');
      });
      if (summary.failed.length > 0) throw new SilentExit(1);
    });
}
