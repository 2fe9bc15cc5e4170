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
import { CoalescedRun } from './coalesced-run.js';

export class WalSync {
  private handle: Promise<FileHandle> | undefined;
  private readonly flushes = new CoalescedRun(() => this.flush());
  private closed = false;

  constructor(private readonly walFile: string) {}

  /** Resolves once every frame committed before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The WAL file is closed.'));
    return this.flushes.run();
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
    await this.flushes.settled();
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
