import { readFileSync } from 'node:fs';
import { CofferError, SECRET_TYPES, type Coffer, type PutOptions, type SecretType, type SecretValue } from '@coffer/core';
import { Option, type Command } from 'commander';
import { contextOf, withCoffer, type CommandContext } from '../context.js';
import { readAll, type Io } from '../io.js';
import { maskedText, table, UsageError, when } from '../output.js';

interface PutFlags {
  tenant: string;
  value?: string;
  fromFile?: string;
  type?: SecretType;
  cas?: number;
  metadata?: string;
  fields?: boolean;
  maxVersions?: number;
  raw?: boolean;
}

const integer = (what: string, min: number) => (text: string) => {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${what} must be an integer of at least ${min}, not "${text}".`);
  return Number(text);
};

const versionList = (text: string, previous: number[] = []) => {
  const parsed = text.split(',').map((t) => integer('--version', 1)(t.trim()));
  return [...previous, ...parsed];
};

/**
 * The value comes from --value, --from-file or stdin (so it stays out of shell history). One
 * trailing newline, as `echo` and editors add, is dropped unless --raw.
 */
async function readValue(flags: PutFlags, io: Io): Promise<string> {
  const sources = [flags.value !== undefined, flags.fromFile !== undefined].filter(Boolean).length;
  if (sources > 1) throw new UsageError('Give the value with one of --value, --from-file or stdin, not several.');
  let text: string;
  if (flags.value !== undefined) text = flags.value;
  else if (flags.fromFile !== undefined) {
    try {
      text = readFileSync(flags.fromFile, 'utf8');
    } catch (err) {
      throw new UsageError(`Cannot read --from-file ${flags.fromFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
    }
  } else {
    if (io.stdin.isTTY) io.stderr.write('Enter the secret value, then press Ctrl-D:\n');
    text = (await readAll(io.stdin)).toString('utf8');
  }
  if (!flags.raw && flags.value === undefined) text = text.replace(/\r?\n$/, '');
  return text;
}

function parseFields(text: string): SecretValue {
  try {
    return JSON.parse(text) as SecretValue;
  } catch {
    // Never echo the input: it is a secret.
    throw new CofferError('SECRET_VALUE_INVALID', 'With --fields the value must be a JSON object of named fields, e.g. {"client_id":"…","client_secret":"…"}; it is not valid JSON.');
  }
}

function parseMetadata(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CofferError('METADATA_INVALID', '--metadata must be a JSON object, e.g. {"env":"prod"}.');
  }
}

/** A basic secret is always {username, password}; other types take fields when --fields is given. */
const FIELD_TYPES: ReadonlySet<string> = new Set(['basic']);

export function registerSecret(program: Command, io: Io): void {
  const secret = program.command('secret').description('store, read and manage secrets of a tenant');
  const tenantOption = () => new Option('--tenant <tenant>', 'tenant id').makeOptionMandatory();

  secret
    .command('put <name>')
    .description('write a new version; the value comes from --value, --from-file or stdin')
    .addOption(tenantOption())
    .option('--value <value>', 'the value (visible in shell history: prefer stdin or --from-file)')
    .option('--from-file <file>', 'read the value from a file')
    .addOption(new Option('--type <type>', 'secret type').choices(SECRET_TYPES))
    .option('--fields', 'the value is a JSON object of named fields ({"client_id":…,"client_secret":…})')
    .option('--cas <n>', 'check-and-set: 0 creates only, N writes only if the current version is N', integer('--cas', 0))
    .option('--metadata <json>', 'non-secret metadata as a JSON object')
    .option('--max-versions <n>', 'versions to keep (default 10)', integer('--max-versions', 1))
    .option('--raw', 'keep a trailing newline from the file or stdin')
    .action(async (name: string, flags: PutFlags, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const text = await readValue(flags, io);
      const value = flags.fields || (flags.type && FIELD_TYPES.has(flags.type)) ? parseFields(text) : text;
      const options: PutOptions = {};
      if (flags.type) options.type = flags.type;
      if (flags.cas !== undefined) options.cas = flags.cas;
      if (flags.metadata !== undefined) options.metadata = parseMetadata(flags.metadata);
      if (flags.maxVersions !== undefined) options.maxVersions = flags.maxVersions;
      const result = await withCoffer(ctx, (c) => c.secrets.put(flags.tenant, name, value, options));
      ctx.out.result({ tenant: flags.tenant, ...result }, () => `Stored ${name} version ${result.version} in tenant ${flags.tenant}.`);
    });

  secret
    .command('get <name>')
    .description('print the value only, for piping (a JSON object for structured values)')
    .addOption(tenantOption())
    .option('--version <n>', 'a specific version (default: current)', integer('--version', 1))
    .action(async (name: string, flags: { tenant: string; version?: number }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      // Core records the reveal before it returns the value; if it cannot, nothing is printed (fail closed).
      const s = await withCoffer(ctx, (c) => c.secrets.reveal(flags.tenant, name, flags.version === undefined ? {} : { version: flags.version }));
      if (ctx.out.json) ctx.out.result({ tenant: flags.tenant, ...s }, () => '');
      else {
        const text = typeof s.value === 'string' ? s.value : JSON.stringify(s.value);
        // Exactly the value into a pipe; a newline only for a person at a terminal.
        io.stdout.write(io.stdout.isTTY ? `${text}\n` : text);
      }
    });

  secret
    .command('list')
    .description('list secrets with masked values (never plaintext)')
    .addOption(tenantOption())
    .action(async (flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const items = await withCoffer(ctx, async (c) => {
        const all = [];
        let after: string | undefined;
        do {
          const page = await c.secrets.list(flags.tenant, after === undefined ? { limit: 1000 } : { limit: 1000, after });
          all.push(...page.items);
          after = page.nextCursor ?? undefined;
        } while (after !== undefined);
        return all;
      });
      ctx.out.result(items, () =>
        items.length === 0
          ? `Tenant ${flags.tenant} has no secrets yet.`
          : table(['NAME', 'TYPE', 'VERSION', 'STATE', 'UPDATED', 'VALUE'], items.map((s) => [s.name, s.type, String(s.currentVersion), s.state, when(s.updatedAt), maskedText(s.masked)])),
      );
    });

  secret
    .command('versions <name>')
    .description('list the kept versions of a secret, newest first')
    .addOption(tenantOption())
    .action(async (name: string, flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const versions = await withCoffer(ctx, (c) => c.secrets.versions(flags.tenant, name));
      ctx.out.result(versions, () =>
        table(
          ['VERSION', 'STATE', 'KEY', 'CREATED', 'DELETED', 'DESTROYED', 'VALUE'],
          versions.map((v) => [String(v.version), v.state, v.keyId ?? '-', when(v.createdAt), when(v.deletedAt), when(v.destroyedAt), maskedText(v.masked)]),
        ),
      );
    });

  const stateChange = (verb: 'delete' | 'undelete' | 'destroy', description: string, done: string) =>
    secret
      .command(`${verb} <name>`)
      .description(description)
      .addOption(tenantOption())
      .option('--version <n>', 'only these versions (repeat or comma-separate; default: all)', versionList)
      .action(async (name: string, flags: { tenant: string; version?: number[] }, cmd: Command) => {
        const ctx: CommandContext = contextOf(cmd, io);
        // Core audits the change as the CLI user (withCoffer acts as them).
        const selector = flags.version ? { versions: flags.version } : {};
        const changed = await withCoffer(ctx, (c: Coffer) => c.secrets[verb](flags.tenant, name, selector));
        ctx.out.result({ tenant: flags.tenant, name, versions: changed }, () =>
          changed.length === 0 ? `Nothing to ${verb}: no version of ${name} was in a state to change.` : `${done} ${name} version${changed.length > 1 ? 's' : ''} ${changed.join(', ')}.`,
        );
      });

  stateChange('delete', 'soft-delete versions (recoverable with undelete)', 'Deleted');
  stateChange('undelete', 'restore soft-deleted versions', 'Restored');
  stateChange('destroy', 'wipe the ciphertext of versions for good', 'Destroyed');
}
