/**
 * Runs work that callers share: a call made while a run is going on shares the NEXT run, which
 * starts after the current one (the current one may have read its state before the caller's
 * commit, so joining it would not cover the caller). Used for WAL flushes and for moving the
 * audit outbox into the chain: many commits, few runs.
 */
export class CoalescedRun<T> {
  private running: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly work: () => Promise<T>) {}

  /** Resolves with a run that started after this call. */
  run(): Promise<T> {
    if (!this.running) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** Waits for the running and queued runs, whatever their outcome. */
  async settled(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
  }

  private startQueued(): Promise<T> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<T> {
    const run = this.work();
    this.running = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
