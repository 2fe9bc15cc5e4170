/**
 * A rotating process for root-rotation.test.ts: runs root key rotations on the built core
 * (packages/core/dist) in a child process, so the test can run other processes against the
 * same vault at a known step, or kill this one there with SIGKILL.
 *
 * Usage: node root-rotation-child.mjs '<json>' where the JSON is
 *   { mode: 'rotate', dataDir, databaseUrl, rootKey?, previousRootKeys?, count?, batchSize?,
 *     pauseAt?, pauseAtRotation?, retire?, reopen? }
 *   { mode: 'stage-pause', dataDir, databaseUrl }
 *
 * It writes one line per event on stdout (`step <name>`, `rotated <keyId> <previousKeyId>`,
 * `paused <name>`) and, when paused, waits for a line on stdin before going on.
 *
 * `stage-pause` pauses inside the key file's `stage()`, after the staged file is written and
 * before the database hears of it. It builds the keyring from the internal modules with a
 * wrapped file provider, so it drives any version of rotateRootKey, with or without step hooks:
 * it is how the reproduction test puts a second process in that window.
 */
import { readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

const opts = JSON.parse(process.argv[2] ?? '{}');
const say = (line) => process.stdout.write(`${line}\n`);

/** Blocks the whole process (event loop included) until the parent writes a line. */
function waitSync() {
  const buf = Buffer.alloc(64);
  for (;;) {
    try {
      const n = readSync(0, buf, 0, buf.length, null);
      if (n === 0 || buf.subarray(0, n).includes(10)) return;
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

let lines;
function waitAsync() {
  lines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  return lines.next();
}

async function stagePause() {
  const { openStore, parseDatabaseUrl } = await load('store/database.js');
  const { migrateToLatest } = await load('store/migrations/index.js');
  const { Keyring } = await load('keys/keyring.js');
  const { KeyAdmin } = await load('keys/key-admin.js');
  const { AuditLog } = await load('audit/audit-log.js');
  const { fileRootKeyProvider } = await load('keys/root-key-provider.js');
  const base = fileRootKeyProvider(join(opts.dataDir, 'root.key'));
  const rotation = base.rotation;
  const provider = {
    description: base.description,
    load: () => base.load(),
    rotation: {
      ...rotation,
      stage(key) {
        rotation.stage(key);
        say('paused staged');
        waitSync();
      },
    },
  };
  if (base.freshMaterial) provider.freshMaterial = true;
  const store = await openStore(parseDatabaseUrl(opts.databaseUrl));
  await migrateToLatest(store.db, store.dialect);
  const keyring = await Keyring.open(store, provider, { createIfMissing: false });
  try {
    const keys = new KeyAdmin(store, keyring, provider, new AuditLog(store));
    const r = await keys.rotateRootKey({ batchSize: opts.batchSize ?? 1 });
    say(`rotated ${r.keyId} ${r.previousKeyId}`);
  } finally {
    keyring.close();
    await store.close();
  }
}

async function rotate() {
  const { createCoffer } = await load('index.js');
  const config = { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, createIfMissing: false };
  if (opts.rootKey) Object.assign(config, { rootKey: opts.rootKey, previousRootKeys: opts.previousRootKeys ?? [] });
  const count = opts.count ?? 1;
  // One instance for all rotations (a long-running process), unless each should open afresh (a CLI run each).
  const shared = opts.reopen ? undefined : await createCoffer(config, { allowRootRotation: true });
  for (let i = 0; i < count; i++) {
    const c = shared ?? (await createCoffer(config, { allowRootRotation: true }));
    try {
      const r = await c.keys.rotateRootKey({
        batchSize: opts.batchSize ?? 100,
        onStep: async (step) => {
          say(`step ${step}`);
          if (step === opts.pauseAt && (opts.pauseAtRotation ?? 0) === i) {
            say(`paused ${step}`);
            await waitAsync();
          }
        },
      });
      say(`rotated ${r.keyId} ${r.previousKeyId}`);
      if (opts.retire) await c.keys.retire(r.previousKeyId);
    } finally {
      if (!shared) await c.close();
    }
  }
  await shared?.close();
}

try {
  if (opts.mode === 'stage-pause') await stagePause();
  else await rotate();
  process.exit(0);
} catch (err) {
  process.stderr.write(`error [${err.code ?? 'ERR'}]: ${err.message}\n`);
  process.exit(1);
}
