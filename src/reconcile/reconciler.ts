/**
 * The reconciler runs while this process leads (the elector starts it with the term's fencing
 * token and stops it on loss): every `intervalMs` one round over each space in scope, one
 * space after another. A space whose round fails keeps its watermark and is tried again at the
 * next interval; the others go on.
 */
import { createLeaderLoop, type LeaderLoop, type LeaderTimers } from '../leader/leader-loop.ts';
import { reconcileSpace, type ReconcileDeps, type SpaceRound } from './reconcile-round.ts';
import type { SpaceScope } from './reconcile-scope.ts';

export interface ReconcilerOptions extends ReconcileDeps {
  /** The spaces to reconcile now (they follow hot reloads of the rules). */
  scope: () => SpaceScope[];
  intervalMs: number;
  onError: (error: unknown, space: string) => void;
  onRound?: (rounds: SpaceRound[]) => void;
  timers?: LeaderTimers;
}

/** `runNow()`: one round over every space now; an empty list when not leading. Rounds never overlap. */
export type Reconciler = LeaderLoop<SpaceRound[]>;

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const leader = createLeaderLoop({
    everyMs: options.intervalMs,
    round: async (token) => {
      const rounds: SpaceRound[] = [];
      for (const scope of options.scope()) {
        const current = token();
        if (current === undefined) break;
        try {
          rounds.push(await reconcileSpace(scope, options, current));
        } catch (error) {
          options.onError(error, scope.space);
        }
      }
      options.onRound?.(rounds);
      return rounds;
    },
    onError: (error) => options.onError(error, '*'),
    timers: options.timers,
  });
  return leader;
}
