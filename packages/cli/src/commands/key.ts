import { encodeRootKey, generateKey } from '@coffer/core';
import type { Command } from 'commander';
import { contextOf, withCoffer } from '../context.js';
import type { Io } from '../io.js';
import { table, UsageError, when } from '../output.js';
import { progressBar } from '../progress.js';

export function registerKey(program: Command, io: Io): void {
  const key = program.command('key').description('inspect and rotate the key hierarchy: root key → tenant keys → data keys');

  key
    .command('status')
    .description('root, tenant and audit keys, their state and what each protects')
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const status = await withCoffer(ctx, (c) => c.keys.status());
      const rotation = status.rotation;
      ctx.out.result(status, () =>
        [
          `Root key from ${status.rootKeyProvider}`,
          ...(rotation
            ? [
                `Root rotation ${rotation.state} (${rotation.fromKeyId ?? '?'} → ${rotation.toKeyId ?? '?'}): ` +
                  (rotation.running ? `running in ${rotation.owner}.` : 'interrupted; the next start, or `coffer key rotate --root`, finishes or rolls it back.'),
              ]
            : []),
          table(['ROOT KEY', 'STATE', 'TENANT KEYS', 'CREATED'], status.root.map((r) => [r.id, r.state, String(r.tenantKeys), when(r.createdAt)])),
          '',
          status.tenants.length === 0
            ? 'No tenant keys yet.'
            : table(
                ['TENANT KEY', 'STATE', 'NEWEST', 'WRAPPED BY', 'SECRET VERSIONS', 'CREATED'],
                status.tenants.map((t) => [t.id, t.state, t.newest ? 'yes' : '', t.rootKeyId ?? '-', String(t.secretVersions), when(t.createdAt)]),
              ),
          '',
          table(['AUDIT KEY', 'CURRENT', 'WRAPPED BY', 'KEYED FROM EVENT', 'CREATED'], status.audit.map((a) => [`audit/v${a.version}`, a.current ? 'yes' : '', a.rootKeyId, String(a.firstSeq + 1), when(a.createdAt)])),
        ].join('\n'),
      );
    });

  key
    .command('rotate')
    .description('rotate the root key (rewraps tenant keys) or a tenant key (new writes use it)')
    .option('--root', 'rotate the root key')
    .option('--tenant <tenant>', 'rotate this tenant\'s key')
    .action(async (flags: { root?: boolean; tenant?: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if (Boolean(flags.root) === (flags.tenant !== undefined)) throw new UsageError('Give exactly one of --root or --tenant <tenant>.');
      if (flags.root) {
        const bar = progressBar(ctx.out, 'Rewrapping tenant keys');
        // Core audits the rotation (key.rotate_root) as the CLI user, in the switch's transaction.
        const r = await withCoffer(ctx, (c) => c.keys.rotateRootKey({ onProgress: (d, t) => bar.update(d, t) }), { allowRootRotation: true }).finally(() => bar.stop());
        const kept = ctx.config.rootKey === undefined ? ` The old key is kept in ${ctx.config.rootKeyFile}.previous until then.` : ' Then drop it from COFFER_ROOT_KEY_PREVIOUS.';
        ctx.out.result(r, () => `Root key rotated: ${r.previousKeyId} → ${r.keyId}; ${r.rewrapped} tenant key(s) rewrapped. Retire the old one with \`coffer key retire ${r.previousKeyId}\` once every process uses the new key.${kept}`);
      } else {
        const r = await withCoffer(ctx, (c) => c.keys.rotateTenantKey(flags.tenant!));
        ctx.out.result(r, () => `New tenant key ${r.keyId}: new writes use it. Move existing data keys to it with \`coffer key rewrap --tenant ${flags.tenant}\`.`);
      }
    });

  key
    .command('rewrap')
    .description("re-encrypt a tenant's data keys under its newest key (resumable; values are never decrypted)")
    .option('--tenant <tenant>', 'one tenant')
    .option('--all', 'every tenant')
    .action(async (flags: { tenant?: string; all?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      if (Boolean(flags.all) === (flags.tenant !== undefined)) throw new UsageError('Give exactly one of --tenant <tenant> or --all.');
      // Core audits each tenant's rewrap (key.rewrap) as the CLI user.
      const results = await withCoffer(ctx, async (c) => {
        const tenants = flags.tenant !== undefined ? [flags.tenant] : (await c.tenants.list()).map((t) => t.id);
        const out = [];
        for (const tenant of tenants) {
          const bar = progressBar(ctx.out, `Rewrapping ${tenant}`);
          try {
            out.push(await c.keys.rewrapTenant(tenant, { onProgress: (d, n) => bar.update(d, n) }));
          } finally {
            bar.stop();
          }
        }
        return out;
      });
      ctx.out.result(results, () => (results.length === 0 ? 'No tenants.' : results.map((r) => `${r.tenant}: ${r.rewrapped} data key(s) rewrapped to ${r.keyId}.`).join('\n')));
    });

  key
    .command('retire <key-id>')
    .description('wipe an old key version once nothing uses it (ids as `key status` prints them)')
    .action(async (keyId: string, _opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const r = await withCoffer(ctx, (c) => c.keys.retire(keyId));
      const file = r.keyFile;
      const removed = !file ? '' : file.deleted ? ` No tenant key is under it: it was the last key in ${file.path}, which was deleted.` : ` No tenant key is under it: it was removed from ${file.path}.`;
      ctx.out.result({ ...r, retired: true }, () => `Retired ${r.keyId}.${removed}`);
    });

  key
    .command('generate')
    .description('print a new random root key (base64) for COFFER_ROOT_KEY; nothing is stored')
    .action((_opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const k = generateKey();
      const text = encodeRootKey(k);
      k.fill(0);
      ctx.out.result({ rootKey: text }, () => text);
    });
}
