import { describe, expect, it } from 'vitest';
import { CoalescedRun } from './coalesced-run.js';

describe('CoalescedRun', () => {
  it('callers arriving during a run share one next run that starts after it; a failure does not stop the next', async () => {
    const releases: Array<() => void> = [];
    let started = 0;
    const runs = new CoalescedRun(async () => {
      const n = ++started;
      await new Promise<void>((resolve) => releases.push(resolve));
      if (n === 1) throw new Error('first run fails');
      return n;
    });
    const first = runs.run();
    const later = [runs.run(), runs.run(), runs.run()];
    expect(started).toBe(1);
    releases[0]!();
    await expect(first).rejects.toThrow('first run fails');
    // The next run starts only once the first has ended, and serves every caller that waited.
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(2);
    releases[1]!();
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
    // Idle again: a new call starts a run of its own.
    const third = runs.run();
    releases[2]!();
    expect(await third).toBe(3);
    await runs.settled();
  });
});
