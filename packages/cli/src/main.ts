/**
 * The `coffer` command. Exit codes: 0 success, 1 error (with its code on stderr), 2 usage.
 */
import { Command, CommanderError } from 'commander';
import { registerInit } from './commands/init.js';
import { registerKey } from './commands/key.js';
import { registerSecret } from './commands/secret.js';
import { registerTenant } from './commands/tenant.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { registerAudit } from './commands/audit.js';
import { registerConnection } from './commands/connection.js';
import { registerProviders } from './commands/providers.js';
import { registerMigrate } from './commands/migrate.js';
import { processIo, type Io } from './io.js';
import { Output, SilentExit, UsageError } from './output.js';

export function buildProgram(io: Io, json = false): Command {
  // Commander's own usage errors in the same shape as ours: `error [USAGE]: …`, or JSON.
  const output = {
    writeOut: (s: string) => io.stdout.write(s),
    writeErr: (s: string) => io.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) => {
      const message = s.replace(/^error:\s*/, '').trim();
      write(json ? `${JSON.stringify({ error: { code: 'USAGE', message } })}\n` : `error [USAGE]: ${message}\n(run with --help for usage)\n`);
    },
  };
  const program = new Command('coffer')
    .description('Coffer: a secrets-first credential vault for the integrations of multi-tenant products')
    // Not `--version`: subcommands take `--version <n>` (of a secret) and global flags are
    // recognised anywhere on the line.
    .version('0.1.0', '-V, --coffer-version', 'print the version of coffer')
    .option('--data-dir <dir>', 'data directory (env COFFER_DATA_DIR, default ./.coffer)')
    .option('--json', 'machine-readable output')
    .configureOutput(output)
    .exitOverride();
  registerInit(program, io);
  registerTenant(program, io);
  registerSecret(program, io);
  registerKey(program, io);
  registerToken(program, io);
  registerAudit(program, io);
  registerProviders(program, io);
  registerConnection(program, io);
  registerMigrate(program, io);
  registerServe(program, io);
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput(output);
    cmd.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io, argv.includes('--json'));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message; help and version are not failures.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof SilentExit) return err.exitCode;
    new Output(io, argv.includes('--json')).error(err);
    if (io.env.COFFER_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
