/**
 * A round of work repeated while this process leads: `start(token)` with the term's fencing
 * token (the elector's `change`), a round at once and then every `everyMs` after the previous
 * one ended; `stop()` on loss or shutdown waits for the round in progress. Rounds never
 * overlap, including those asked for with `runNow()`. The round reads the current token each
 * time it needs one: undefined means leadership was lost and it should stop early.
 */

export interface LeaderTimers {
  set: (fn: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
}

export interface LeaderLoopOptions<T> {
  everyMs: number;
  round: (token: () => number | undefined) => Promise<T>;
  /** A round that threw (the next one runs as usual). */
  onError: (error: unknown) => void;
  timers?: LeaderTimers;
}

export interface LeaderLoop<T> {
  start(fencingToken: number): void;
  stop(): Promise<void>;
  leading(): boolean;
  runNow(): Promise<T>;
}

export function createLeaderLoop<T>(options: LeaderLoopOptions<T>): LeaderLoop<T> {
  const timers = options.timers ?? {
    set: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
    clear: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
  let token: number | undefined;
  let timer: unknown;
  let chain: Promise<unknown> = Promise.resolve();

  const loop = () => {
    timer = undefined;
    if (token === undefined) return;
    runNow()
      .catch((error: unknown) => options.onError(error))
      .finally(() => {
        if (token !== undefined) timer = timers.set(loop, options.everyMs);
      });
  };

  function runNow(): Promise<T> {
    const next = chain.then(() => options.round(() => token));
    chain = next.catch(() => undefined);
    return next;
  }

  return {
    start(fencingToken) {
      const wasRunning = token !== undefined;
      token = fencingToken;
      if (!wasRunning) timer = timers.set(loop, 0);
    },
    async stop() {
      token = undefined;
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
      await chain;
    },
    leading: () => token !== undefined,
    runNow,
  };
}
