import { initCoffer } from '@coffer/core';
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import type { Io } from '../io.js';

export function registerInit(program: Command, io: Io): void {
  program
    .command('init')
    .description('create the data directory, the root key file (mode 0600) and the database, whichever are missing')
    .action(async (_opts, cmd: Command) => {
      const { out, config } = contextOf(cmd, io);
      const result = await initCoffer(config, { onMigration: ({ name }) => out.note(`Applied database migration ${name}.`) });
      const nothingNew = !result.keyCreated && !result.databaseCreated;
      out.result({ ...result, alreadyInitialized: nothingNew }, () => {
        const key = result.rootKeyFile ?? 'COFFER_ROOT_KEY (from the environment)';
        if (nothingNew) {
          return [
            `Coffer is already initialised in ${result.dataDir}; nothing was changed.`,
            `  database  ${result.database} (exists)`,
            `  root key  ${key} (exists)`,
          ].join('\n');
        }
        return [
          `Initialised Coffer in ${result.dataDir}`,
          `  database  ${result.database} (${result.databaseCreated ? 'created' : 'exists'})`,
          `  root key  ${key} (${result.keyCreated ? 'created, mode 0600' : 'exists'})`,
          ...(result.keyCreated ? ['', 'Back up the root key file and keep it apart from the database: without it nothing can be decrypted.'] : []),
        ].join('\n');
      });
    });
}
