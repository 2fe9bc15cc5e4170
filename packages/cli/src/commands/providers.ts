import { loadProviderCatalog } from '@coffer/core';
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import type { Io } from '../io.js';
import { table } from '../output.js';

export function registerProviders(program: Command, io: Io): void {
  const providers = program.command('providers').description('the provider catalog: what Coffer can connect to');

  providers
    .command('list')
    .description('list built-in providers and your own (COFFER_PROVIDERS_DIR)')
    .action(async (_flags: unknown, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      // The catalog needs no database: a bad definition is reported here as at start-up.
      const catalog = loadProviderCatalog(ctx.config.providersDir ? { dir: ctx.config.providersDir } : {});
      const entries = catalog.list();
      ctx.out.result(
        entries.map((e) => ({ ...e.definition, source: e.source })),
        () =>
          table(
            ['ID', 'NAME', 'AUTH', 'SOURCE', 'CREDENTIALS', 'CONFIG'],
            entries.map(({ definition: d, source }) => [
              d.id,
              d.name,
              d.auth.mode,
              source,
              d.auth.fields.map((f) => f.name).join(',') || (d.auth.mode.startsWith('oauth2') ? '(OAuth tokens)' : '-'),
              d.config.map((f) => (f.required && f.default === undefined ? f.name : `[${f.name}]`)).join(',') || '-',
            ]),
          ),
      );
    });
}
