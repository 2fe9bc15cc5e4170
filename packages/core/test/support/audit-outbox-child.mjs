/**
 * A vault process for audit-outbox.test.ts, on the built core (packages/core/dist). The vault is
 * assembled from the internal modules, as createCoffer does, so its AuditLog can be given crash
 * points without any test option on the public entry point.
 *
 * Usage: node audit-outbox-child.mjs '<json>' with { dataDir, databaseUrl, tenant, mode, … }:
 *   mode 'crash'  { name, value, crashAt }  writes a secret and dies with SIGKILL at a crash
 *                 point: `afterChangeCommit` (right after the change's commit: on SQLite its
 *                 event is only in the outbox) or `afterChainCommit` (SQLite: the event is in
 *                 the chain and still in the outbox). Prints `committing` first; `written` and
 *                 exit 0 only if the crash point was never reached.
 *   mode 'write'  { prefix, count, parallel }  writes `count` secrets, `parallel` at a time.
 *   mode 'drain'  prints `ready`, waits for a line on stdin (so two processes start together),
 *                 drains the outbox and prints `drained <n>`.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

const opts = JSON.parse(process.argv[2] ?? '{}');
const say = (line) => process.stdout.write(`${line}\n`);

const { openStore, parseDatabaseUrl } = await load('store/database.js');
const { migrateToLatest } = await load('store/migrations/index.js');
const { Keyring } = await load('keys/keyring.js');
const { AuditKeys } = await load('keys/audit-keys.js');
const { AuditLog } = await load('audit/audit-log.js');
const { Secrets } = await load('vault/secrets.js');
const { fileRootKeyProvider } = await load('keys/root-key-provider.js');

// SIGKILL: no exit handlers, nothing flushed on the way out, like a host losing the process.
const die = () => process.kill(process.pid, 'SIGKILL');

try {
  const store = await openStore(parseDatabaseUrl(opts.databaseUrl));
  await migrateToLatest(store.db, store.dialect);
  const keyring = await Keyring.open(store, fileRootKeyProvider(join(opts.dataDir, 'root.key')), { createIfMissing: false });
  const keys = await AuditKeys.open(store, keyring);
  const audit = new AuditLog(store, { keys, ...(opts.mode === 'crash' ? { crashPoints: { [opts.crashAt]: die } } : {}) });
  const secrets = new Secrets(store, keyring, audit);
  if (opts.mode === 'crash') {
    say('committing');
    await secrets.put(opts.tenant, opts.name, opts.value);
    say('written');
  } else if (opts.mode === 'write') {
    for (let i = 0; i < opts.count; i += opts.parallel) {
      const names = Array.from({ length: Math.min(opts.parallel, opts.count - i) }, (_, k) => `${opts.prefix}-${i + k}`);
      await Promise.all(names.map((name) => secrets.put(opts.tenant, name, `value-of-${name}`)));
    }
    say(`wrote ${opts.count} failures ${audit.outboxDrainFailures}`);
  } else if (opts.mode === 'drain') {
    say('ready');
    await createInterface({ input: process.stdin })[Symbol.asyncIterator]().next();
    say(`drained ${await audit.drainOutbox()}`);
  } else {
    throw new Error(`unknown mode ${opts.mode}`);
  }
  await store.close();
  keys.close();
  keyring.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(`error [${err.code ?? 'ERR'}]: ${err.message}\n`);
  process.exit(1);
}
