/**
 * Makes committed SQLite WAL frames durable off the event loop.
 *
 * The audit log's schema runs with `synchronous = NORMAL`: a commit writes its frames to the
 * WAL file but does not wait for the disk. Before an event is acknowledged, `sync()` flushes
 * that file with fdatasync on libuv's thread pool, so the request thread keeps parsing and
 * answering other requests while the disk works. A transaction is durable once its frames,
 * commit frame included, are on stable storage in the WAL (recovery replays them), so an
 * event acknowledged after `sync()` is as durable as with `synchronous = FULL`.
 *
 * Syncs are coalesced: callers that arrive while a flush is running share the next one, which
 * starts after it (the running one may have begun before their commit).
 *
 * The file descriptor stays open: SQLite removes a WAL file only when the last connection to
 * the database closes, and ours is open for as long as this object is used.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class WalSync {
  private handle: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly walFile: string) {}

  /** Resolves once every frame committed before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The WAL file is closed.'));
    if (!this.running) return this.start();
    // A flush is running; the next one is shared by everyone who arrives meanwhile.
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.flush();
    this.running = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private async flush(): Promise<void> {
    // r+ neither creates nor truncates; the file exists once a transaction has committed.
    this.handle ??= open(this.walFile, 'r+');
    let fh: FileHandle;
    try {
      fh = await this.handle;
    } catch (err) {
      this.handle = undefined;
      throw err;
    }
    await fh.datasync();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.running, this.queued]);
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
