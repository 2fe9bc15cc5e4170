import { CofferError, type ConnectionInfo } from '@coffer/core';
import { Option, type Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import { readAll, type Io } from '../io.js';
import { maskedText, SilentExit, table, UsageError, when } from '../output.js';

/** `--config shop=acme.myshopify.com` (repeatable). */
const keyValue = (text: string, previous: Record<string, string> = {}) => {
  const i = text.indexOf('=');
  if (i < 1) throw new UsageError(`--config takes name=value, e.g. --config shop=acme.myshopify.com.`);
  return { ...previous, [text.slice(0, i)]: text.slice(i + 1) };
};

/**
 * Credentials come as a JSON object of the provider's fields on stdin (or --credentials-file),
 * never as flags: they would land in shell history and process lists.
 */
async function readCredentials(io: Io, file: string | undefined): Promise<Record<string, string>> {
  let text: string;
  if (file !== undefined) {
    const { readFileSync } = await import('node:fs');
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`Cannot read --credentials-file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
    }
  } else {
    if (io.stdin.isTTY) io.stderr.write('Enter the credentials as a JSON object of the provider\'s fields (e.g. {"api_key":"…"}), then press Ctrl-D:\n');
    text = (await readAll(io.stdin)).toString('utf8');
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, string>;
  } catch {
    // fall through; never echo the input
  }
  throw new CofferError('CONNECTION_INVALID', 'Credentials must be a JSON object of the provider\'s fields, e.g. {"api_key":"…"}; `coffer providers list` shows the fields.');
}

function human(c: ConnectionInfo): string {
  return [
    `${c.id}  ${c.displayName}`,
    `  provider     ${c.provider} (${c.authMode})`,
    `  status       ${c.status}${c.lastError ? ` — ${c.lastError}` : ''}`,
    `  identifier   ${c.identifier ?? '-'}`,
    `  config       ${Object.entries(c.config).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`,
    `  credentials  ${maskedText(c.credentials)} (secret ${c.secret.name}${c.secret.owned ? '' : ', referenced'})`,
    `  created      ${when(c.createdAt)}   last used ${when(c.lastUsedAt)}   expires ${when(c.expiresAt)}`,
    ...(c.importKey !== null ? [`  imported     from legacy key ${c.importKey}`] : []),
  ].join('\n');
}

export function registerConnection(program: Command, io: Io): void {
  const connection = program.command('connection').description('connections to third-party accounts, their credentials in the vault');
  const tenantOption = () => new Option('--tenant <tenant>', 'tenant id').makeOptionMandatory();

  connection
    .command('create')
    .description('create a connection; credentials are read as JSON from stdin (or --credentials-file), or --secret names a stored one')
    .addOption(tenantOption())
    .requiredOption('--provider <id>', 'provider id (see `coffer providers list`)')
    .option('--name <name>', 'display name (default: the provider name)')
    .option('--config <name=value>', 'a non-secret config field (repeatable)', keyValue)
    .option('--credentials-file <file>', 'read the credentials JSON from a file instead of stdin')
    .option('--secret <name>', 'use an existing secret of the tenant instead of new credentials')
    .action(async (flags: { tenant: string; provider: string; name?: string; config?: Record<string, string>; credentialsFile?: string; secret?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if (flags.secret !== undefined && flags.credentialsFile !== undefined) throw new UsageError('Give --secret or credentials, not both.');
      const credentials = flags.secret === undefined ? await readCredentials(io, flags.credentialsFile) : undefined;
      const c = await withCoffer(ctx, (coffer) =>
        coffer.connections.create(flags.tenant, {
          provider: flags.provider,
          ...(flags.name !== undefined ? { displayName: flags.name } : {}),
          ...(flags.config ? { config: flags.config } : {}),
          ...(credentials ? { credentials } : {}),
          ...(flags.secret !== undefined ? { secret: flags.secret } : {}),
        }),
      );
      ctx.out.result(c, () => `Created connection ${c.id}.\n${human(c)}`);
    });

  connection
    .command('list')
    .description('list connections with status and masked credentials')
    .addOption(tenantOption())
    .action(async (flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const items = await withCoffer(ctx, async (coffer) => {
        const all: ConnectionInfo[] = [];
        let cursor: string | undefined;
        do {
          const page = await coffer.connections.list(flags.tenant, { limit: 1000, ...(cursor ? { cursor } : {}) });
          all.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return all;
      });
      ctx.out.result(items, () =>
        items.length === 0
          ? `No connections in tenant ${flags.tenant}.`
          : table(
              ['ID', 'NAME', 'PROVIDER', 'STATUS', 'IDENTIFIER', 'CREDENTIALS', 'LAST USED'],
              items.map((c) => [c.id, c.displayName, c.provider, c.status, c.identifier ?? '-', maskedText(c.credentials), when(c.lastUsedAt)]),
            ),
      );
    });

  connection
    .command('get <id>')
    .description('show a connection (masked credentials)')
    .addOption(tenantOption())
    .action(async (id: string, flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const c = await withCoffer(ctx, (coffer) => coffer.connections.get(flags.tenant, id));
      ctx.out.result(c, () => human(c));
    });

  connection
    .command('update <id>')
    .description('rename, change config, or replace credentials (--credentials reads JSON from stdin)')
    .addOption(tenantOption())
    .option('--name <name>', 'new display name')
    .option('--config <name=value>', 'a config field to change (repeatable)', keyValue)
    .option('--credentials', 'replace the credentials: a JSON object on stdin (a new version of the secret)')
    .option('--credentials-file <file>', 'replace the credentials from a JSON file')
    .action(async (id: string, flags: { tenant: string; name?: string; config?: Record<string, string>; credentials?: boolean; credentialsFile?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const credentials = flags.credentials || flags.credentialsFile !== undefined ? await readCredentials(io, flags.credentialsFile) : undefined;
      if (flags.name === undefined && !flags.config && !credentials) throw new UsageError('Say what to change: --name, --config or --credentials.');
      const c = await withCoffer(ctx, (coffer) =>
        coffer.connections.update(flags.tenant, id, { ...(flags.name !== undefined ? { displayName: flags.name } : {}), ...(flags.config ? { config: flags.config } : {}), ...(credentials ? { credentials } : {}) }),
      );
      ctx.out.result(c, () => `Updated ${c.id}.\n${human(c)}`);
    });

  connection
    .command('delete <id>')
    .description('delete a connection and erase the secret it owns')
    .addOption(tenantOption())
    .action(async (id: string, flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const c = await withCoffer(ctx, (coffer) => coffer.connections.delete(flags.tenant, id));
      ctx.out.result(c, () => `Deleted connection ${c.id}${c.secret.owned ? ` and erased its secret ${c.secret.name}` : ''}.`);
    });

  connection
    .command('test <id>')
    .description("run the provider's test request with the connection's credentials")
    .addOption(tenantOption())
    .action(async (id: string, flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const r = await withCoffer(ctx, (coffer) => coffer.connections.test(flags.tenant, id));
      ctx.out.result(r, () => (r.ok ? `OK: ${r.connection.provider} answered ${r.status} in ${r.durationMs} ms${r.identifier ? ` (account ${r.identifier})` : ''}.` : `FAILED: ${r.error}.`));
      if (!r.ok) throw new SilentExit(1);
    });

  connection
    .command('connect')
    .description('start connecting an OAuth account: prints a single-use link for the user (served by `coffer serve`)')
    .addOption(tenantOption())
    .requiredOption('--provider <id>', 'an OAuth provider (see `coffer providers list`)')
    .requiredOption('--return-url <url>', 'where the browser goes at the end, with the outcome in its query')
    .option('--name <name>', 'display name of the new connection')
    .option('--config <name=value>', 'a non-secret config field (repeatable)', keyValue)
    .option('--reconnect <id>', 're-authorise this connection instead of creating one')
    .option('--public-url <url>', 'the URL the service is reached at (env COFFER_PUBLIC_URL, default http://127.0.0.1:8080)')
    .action(async (flags: { tenant: string; provider: string; returnUrl: string; name?: string; config?: Record<string, string>; reconnect?: string; publicUrl?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const base = (flags.publicUrl ?? io.env.COFFER_PUBLIC_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
      // Core records the session (never the link) with the session itself: if it cannot, no link is made.
      const session = await withCoffer(ctx, (coffer) =>
        coffer.connect.create(flags.tenant, {
          provider: flags.provider,
          returnUrl: flags.returnUrl,
          ...(flags.name !== undefined ? { displayName: flags.name } : {}),
          ...(flags.config ? { config: flags.config } : {}),
          ...(flags.reconnect !== undefined ? { connectionId: flags.reconnect } : {}),
        }),
      );
      const url = `${base}/v1/connect/${session.linkToken}`;
      ctx.out.result({ id: session.id, url, expiresAt: session.expiresAt }, () => `Send the user to this link (valid once, until ${when(session.expiresAt)}):\n\n  ${url}`);
    });

  connection
    .command('refresh <id>')
    .description("refresh an OAuth connection's token now")
    .addOption(tenantOption())
    .action(async (id: string, flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const c = await withCoffer(ctx, (coffer) => coffer.connections.refresh(flags.tenant, id));
      ctx.out.result(c, () => `Refreshed ${c.id}: expires ${when(c.expiresAt)}.`);
    });

  connection
    .command('credentials <id>')
    .description('print credentials valid now as JSON (plaintext: recorded in the audit log first)')
    .addOption(tenantOption())
    .action(async (id: string, flags: { tenant: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      // Core records the read before it returns the credentials; if it cannot, nothing is printed (fail closed).
      const creds = await withCoffer(ctx, (coffer) => coffer.connections.getCredentials(flags.tenant, id));
      io.stdout.write(`${JSON.stringify(creds, null, 2)}\n`);
    });
}
