/**
 * The reconciler runs while this process leads (the elector starts it with the term's fencing
 * token and stops it on loss): every `intervalMs` one round over each space in scope, one
 * space after another. A space whose round fails keeps its watermark and is tried again at the
 * next interval; the others go on.
 */
import { reconcileSpace, type ReconcileDeps, type SpaceRound } from './reconcile-round.ts';
import type { SpaceScope } from './reconcile-scope.ts';

export interface ReconcilerOptions extends ReconcileDeps {
  /** The spaces to reconcile now (they follow hot reloads of the rules). */
  scope: () => SpaceScope[];
  intervalMs: number;
  onError: (error: unknown, space: string) => void;
  onRound?: (rounds: SpaceRound[]) => void;
  timers?: { set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void };
}

export interface Reconciler {
  start(fencingToken: number): void;
  stop(): Promise<void>;
  leading(): boolean;
  /** One round over every space now; an empty list when not leading. Rounds never overlap. */
  runNow(): Promise<SpaceRound[]>;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
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
    void runNow().finally(() => {
      if (token !== undefined) timer = timers.set(loop, options.intervalMs);
    });
  };

  function runNow(): Promise<SpaceRound[]> {
    const next = chain.then(() => roundAll());
    chain = next.catch(() => undefined);
    return next;
  }

  async function roundAll(): Promise<SpaceRound[]> {
    const rounds: SpaceRound[] = [];
    for (const scope of options.scope()) {
      const current = token;
      if (current === undefined) break;
      try {
        rounds.push(await reconcileSpace(scope, options, current));
      } catch (error) {
        options.onError(error, scope.space);
      }
    }
    options.onRound?.(rounds);
    return rounds;
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
