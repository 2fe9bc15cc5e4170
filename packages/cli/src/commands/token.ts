import { TENANT_SCOPES, type CreateTokenOptions } from '@coffer/core';
import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { table, UsageError, when } from '../output.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** `30d`, `12h`, `90m`, `3600s` or a plain number of seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)([smhdwy]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--ttl must be a duration such as 30d, 12h, 90m or 3600s, not "${text.slice(0, 20)}".`);
  return Number(m[1]) * UNITS[m[2] || 's']!;
}

export function registerToken(program: Command, io: Io): void {
  const token = program.command('token').description('manage API tokens for the REST API');

  token
    .command('create')
    .description('create an API token; it is printed once and only its hash is stored')
    .option('--admin', 'an admin token (manages tenants and tokens, may do everything)')
    .option('--tenant <tenant>', 'a token for one tenant')
    .option('--metrics', 'a metrics token for a Prometheus scraper: reads /metrics and nothing else')
    .option('--scope <scopes>', `comma-separated scopes for a tenant token: ${TENANT_SCOPES.join(', ')}`)
    .option('--ttl <duration>', 'lifetime, e.g. 30d, 12h (default: until revoked)')
    .option('--description <text>', 'what the token is for')
    .action(async (flags: { admin?: boolean; tenant?: string; metrics?: boolean; scope?: string; ttl?: string; description?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if ([Boolean(flags.admin), flags.tenant !== undefined, Boolean(flags.metrics)].filter(Boolean).length !== 1) throw new UsageError('Give exactly one of --admin, --tenant <tenant> or --metrics.');
      if (flags.admin && flags.scope) throw new UsageError('Admin tokens take no --scope.');
      if (flags.metrics && flags.scope) throw new UsageError('Metrics tokens take no --scope (they hold metrics:read only).');
      if (flags.tenant !== undefined && !flags.scope) throw new UsageError(`A tenant token needs --scope, e.g. --scope secrets:read,secrets:reveal (scopes: ${TENANT_SCOPES.join(', ')}).`);
      const options: CreateTokenOptions = flags.admin
        ? { kind: 'admin' }
        : flags.metrics
          ? { kind: 'metrics' }
          : { kind: 'tenant', tenant: flags.tenant!, scopes: flags.scope!.split(',').map((s) => s.trim()).filter(Boolean) };
      if (flags.ttl !== undefined) options.ttlSeconds = parseTtl(flags.ttl);
      if (flags.description !== undefined) options.description = flags.description;
      const created = await withCoffer(ctx, (c) => c.tokens.create(options));
      ctx.out.result({ ...created.info, token: created.token }, () =>
        [
          `Created ${created.info.kind} token ${created.info.id}${created.info.tenant ? ` for tenant ${created.info.tenant}` : ''}${created.info.scopes.length ? ` (${created.info.scopes.join(', ')})` : ''}.`,
          `It is shown this once; store it safely:`,
          '',
          `  ${created.token}`,
        ].join('\n'),
      );
    });

  token
    .command('list')
    .description('list API tokens (never the tokens themselves)')
    .option('--tenant <tenant>', 'only this tenant\'s tokens')
    .action(async (flags: { tenant?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const list = await withCoffer(ctx, (c) => c.tokens.list(flags.tenant ? { tenant: flags.tenant } : {}));
      ctx.out.result(list, () =>
        list.length === 0
          ? 'No API tokens.'
          : table(
              ['ID', 'KIND', 'TENANT', 'SCOPES', 'EXPIRES', 'REVOKED', 'LAST USED', 'DESCRIPTION'],
              list.map((t) => [t.id, t.kind, t.tenant ?? '-', t.scopes.join(',') || '*', when(t.expiresAt), when(t.revokedAt), when(t.lastUsedAt), t.description]),
            ),
      );
    });

  token
    .command('revoke <id>')
    .description('revoke a token at once')
    .action(async (id: string, _flags, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const t = await withCoffer(ctx, (c) => c.tokens.revoke(id));
      ctx.out.result(t, () => `Revoked ${t.id}.`);
    });
}
