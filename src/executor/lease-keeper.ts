/** Keeps a run's lease alive while its action is in flight; notices when it is lost. */
import type { RunQueue } from '../store/ports.ts';

export interface LeaseKeeper {
  /** Aborted when the lease is lost (taken over) or shutdown's deadline passes. */
  readonly signal: AbortSignal;
  readonly lost: boolean;
  abort(): void;
  stop(): void;
}

export function keepLease(
  runs: RunQueue,
  runId: string,
  owner: string,
  leaseMs: number,
  now: () => number,
  onError: (error: unknown) => void,
): LeaseKeeper {
  const controller = new AbortController();
  let lost = false;
  const timer = setInterval(
    () => {
      runs.extendLease(runId, owner, leaseMs, now()).then(
        (held) => {
          if (held) return;
          lost = true;
          controller.abort();
        },
        (error: unknown) => onError(error),
      );
    },
    Math.max(10, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    signal: controller.signal,
    get lost() {
      return lost;
    },
    abort: () => controller.abort(),
    stop: () => clearInterval(timer),
  };
}
