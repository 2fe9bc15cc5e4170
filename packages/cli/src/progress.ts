/** A progress bar on a terminal (stderr), nothing in a pipe or in --json mode. */
import cliProgress from 'cli-progress';
import type { Output } from './output.js';

export interface ProgressReporter {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(out: Output, label: string): ProgressReporter {
  if (out.json || !out.io.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: out.io.stderr as NodeJS.WritableStream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
