/**
 * The main-thread side of the SQLite audit writer thread (audit-writer-worker.ts): sends a
 * batch, resolves with the committed rows. Returns null where the thread cannot run (the
 * worker script is not built, e.g. when running from TypeScript sources), and the caller
 * writes in process instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuditEventsTable } from '../store/schema.js';
import type { EventContent } from './audit-chain.js';

export interface AuditWriter {
  write(contents: EventContent[]): Promise<AuditEventsTable[]>;
  close(): Promise<void>;
}

function workerScript(): string | undefined {
  const here = fileURLToPath(new URL('./audit-writer-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  // Running from src/ (tests): use the built script beside it, if there is one.
  const built = here.replace(/([\\/])src([\\/]audit[\\/])/, '$1dist$2');
  return built !== here && existsSync(built) ? built : undefined;
}

export function startAuditWriter(file: string, busyTimeoutMs = 10_000): AuditWriter | null {
  const script = workerScript();
  if (!script) return null;
  const worker = new Worker(script, { workerData: { file, busyTimeoutMs } });
  // An idle writer must not keep the process alive.
  worker.unref();
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const failAll = (err: unknown) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (m: { id: number; first?: number; prev?: string; hashes?: string[]; error?: true; closed?: true }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error) p.reject(new Error('audit write failed'));
    else p.resolve(m);
  });
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('audit writer stopped')));
  const send = <T>(message: object): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // Keep the process alive while a write is in flight.
      worker.ref();
      worker.postMessage({ ...message, id });
    });
  let closing: Promise<void> | undefined;
  return {
    async write(contents) {
      // As one JSON string: copying a string to the thread costs far less than cloning objects.
      const { first, prev, hashes } = await send<{ first: number; prev: string; hashes: string[] }>({ contents: JSON.stringify(contents) });
      return contents.map((c, i) => ({ ...c, seq: first + i, prev_hash: i === 0 ? prev : hashes[i - 1]!, hash: hashes[i]! }));
    },
    close() {
      closing ??= send({ close: true })
        .catch(() => {})
        .then(() => worker.terminate())
        .then(() => {});
      return closing;
    },
  };
}
