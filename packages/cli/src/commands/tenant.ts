import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { table, UsageError, when } from '../output.js';

export function registerTenant(program: Command, io: Io): void {
  const tenant = program.command('tenant').description('manage tenants: each has its own keys and secrets');

  tenant
    .command('create <id>')
    .description('create a tenant and its first key')
    .option('--name <name>', 'display name (default: the id)')
    .action(async (id: string, opts: { name?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const t = await withCoffer(ctx, (c) => c.tenants.create(id, opts.name === undefined ? {} : { name: opts.name }));
      ctx.out.result(t, () => `Created tenant ${t.id}${t.name !== t.id ? ` (${t.name})` : ''}.`);
    });

  tenant
    .command('list')
    .description('list tenants')
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const list = await withCoffer(ctx, (c) => c.tenants.list());
      ctx.out.result(list, () =>
        list.length === 0 ? 'No tenants yet. Create one with `coffer tenant create <id>`.' : table(['ID', 'NAME', 'SECRETS', 'CREATED'], list.map((t) => [t.id, t.name, String(t.secretCount), when(t.createdAt)])),
      );
    });

  tenant
    .command('delete <id>')
    .description('delete a tenant for good: its keys are destroyed first, so its secrets can never be decrypted again')
    .option('--yes', 'confirm the deletion')
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if (!opts.yes) {
        throw new UsageError(`Deleting tenant "${id}" destroys its keys and every secret for good. Run again with --yes to confirm.`);
      }
      await withCoffer(ctx, (c) => c.tenants.delete(id));
      ctx.out.result({ id, deleted: true }, () => `Deleted tenant ${id}; its keys were destroyed.`);
    });

  const origins = tenant.command('return-origins').description("origins a tenant's OAuth connect sessions may send the browser back to");
  origins
    .command('show <id>')
    .description("show them (none set: only Coffer's own public origin is allowed)")
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const list = await withCoffer(ctx, (c) => c.connect.returnOrigins(id));
      ctx.out.result({ tenant: id, origins: list }, () => (list === null ? `Tenant ${id} has no return origins: only Coffer's own public origin is allowed.` : list.join('\n')));
    });
  origins
    .command('set <id> [origins...]')
    .description('replace them with exact origins such as https://app.example.com (none: clear them)')
    .action(async (id: string, list: string[], _opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const set = await withCoffer(ctx, (c) => c.connect.setReturnOrigins(id, list));
      ctx.out.result({ tenant: id, origins: set.length === 0 ? null : set }, () => (set.length === 0 ? `Cleared the return origins of tenant ${id}.` : `Tenant ${id} may return to: ${set.join(', ')}.`));
    });
}
