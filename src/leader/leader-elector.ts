/**
 * Leader election: exactly one engine process runs polls and schedules. The cluster profile elects
 * over Redis (./redis-leader-elector.ts); the embedded profile has one process, which always leads
 * (`createEmbeddedLeaderElector`).
 *
 * Usage: `elector.on('change', (s) => s.leading ? startPollers(s.token) : stopPollers())`, then
 * `elector.start()`; `await elector.stop()` on shutdown. Work done as leader should carry the
 * fencing token wherever it writes shared state, so that a deposed leader that has not noticed
 * yet (a long GC pause) can be told apart from the current one: tokens only ever grow.
 */

export interface Leadership {
  leading: boolean;
  /** The fencing token of this term while leading. */
  token?: number;
}

export type LeadershipListener = (leadership: Leadership) => void;

export interface LeaderElector {
  /** Starts campaigning (idempotent). Leadership is reported through `change`. */
  start(): void;
  /** Stops campaigning and gives leadership up at once if held (another process takes over). */
  stop(): Promise<void>;
  /** Whether this process leads now: false as soon as its term may have run out. */
  isLeader(): boolean;
  /** The current term's fencing token while leading, otherwise undefined. */
  fencingToken(): number | undefined;
  /** Called on every gain and loss of leadership; returns a function that unsubscribes. */
  on(event: 'change', listener: LeadershipListener): () => void;
}

/** Listeners of one elector; a listener that throws does not keep the others from hearing. */
export function listenerSet(onListenerError: (error: unknown) => void) {
  const listeners = new Set<LeadershipListener>();
  return {
    add(listener: LeadershipListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(leadership: Leadership): void {
      for (const listener of listeners) {
        try {
          listener(leadership);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
  };
}

/** The embedded profile's elector: the only process, so it leads from `start` to `stop`. */
export function createEmbeddedLeaderElector(
  options: { onListenerError?: (error: unknown) => void } = {},
): LeaderElector {
  const listeners = listenerSet(options.onListenerError ?? reportListenerError);
  let leading = false;
  return {
    start() {
      if (leading) return;
      leading = true;
      listeners.emit({ leading: true, token: 1 });
    },
    async stop() {
      if (!leading) return;
      leading = false;
      listeners.emit({ leading: false });
    },
    isLeader: () => leading,
    fencingToken: () => (leading ? 1 : undefined),
    on: (_event, listener) => listeners.add(listener),
  };
}

export function reportListenerError(error: unknown): void {
  process.emitWarning(`a leadership listener failed: ${String(error)}`, 'AutopilotWarning');
}
