/**
 * A second vault process for oauth-refresh-now.test.ts, on the built core (packages/core/dist):
 * "refresh now" from another OS process on the same database.
 *
 * Usage: node refresh-now-child.mjs '<json>' with { dataDir, databaseUrl, providersDir, tenant, id, calls }.
 * Opens the vault, prints `ready`, reads one line `go <epoch ms>` from stdin, waits until that
 * moment (so both processes call at once), makes `calls` concurrent refresh-now calls and prints
 * `result <json>`: each call's new expiry or error code.
 */
import { createInterface } from 'node:readline';

const { createCoffer } = await import(new URL('../../dist/index.js', import.meta.url).href);
const opts = JSON.parse(process.argv[2] ?? '{}');
const coffer = await createCoffer({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, providersDir: opts.providersDir, outboundAllow: ['127.0.0.1'], createIfMissing: false });
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
const line = await new Promise((resolve) => lines.once('line', resolve));
lines.close();
const at = Number(String(line).split(' ')[1]);
await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
const results = await Promise.all(
  Array.from({ length: opts.calls }, () =>
    coffer.connections.refresh(opts.tenant, opts.id).then(
      (c) => ({ expiresAt: c.expiresAt?.getTime() ?? null }),
      (err) => ({ error: err?.code ?? String(err) }),
    ),
  ),
);
process.stdout.write(`result ${JSON.stringify(results)}\n`);
await coffer.close();
