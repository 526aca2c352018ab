/**
 * A share of the API budget: the reconciler's reads start at most `perSecond` a second,
 * spaced evenly, whatever else the engine is doing (which the shared limiter accounts for on
 * top). Time and waiting are injected.
 */
import type { ReadData } from '../triggers/search-items.ts';

export interface PaceOptions {
  /** @defaultValue 2 */
  perSecond?: number;
  now: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

export function pacedRead(read: ReadData, options: PaceOptions): ReadData {
  const gapMs = 1000 / (options.perSecond ?? 2);
  const wait = options.wait ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  let nextAt = -Infinity;
  let queue: Promise<unknown> = Promise.resolve();
  return (call) => {
    const turn = queue.then(async () => {
      const now = options.now();
      if (now < nextAt) await wait(nextAt - now);
      nextAt = Math.max(now, nextAt) + gapMs;
    });
    queue = turn;
    return turn.then(() => read(call));
  };
}
