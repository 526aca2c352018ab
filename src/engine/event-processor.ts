import { randomUUID } from 'node:crypto';
import type { Run } from '../plan/run.ts';
import type { EventLog, RunError, StoredEvent } from '../store/ports.ts';
import { backoffDelay, FailureCounts } from './failure-counts.ts';
import { faultOf, poisonError } from './poison.ts';

export interface EventProcessorOptions {
  events: EventLog;
  /** Matches, plans and enqueues one event, then marks it processed (src/pipeline.ts). */
  process: (stored: StoredEvent) => Promise<Run[]>;
  now: () => number;
  /** Called with the runs each event produced, to wake the executor. */
  onRuns?: (runs: Run[]) => void;
  onError?: (error: unknown, eventId: string) => void;
  /** Events claimed at once. @defaultValue 64 */
  batch?: number;
  /** Work items matched in parallel within a batch (their reads are batched together). @defaultValue 32 */
  parallel?: number;
  /** Lease on claimed events; a crashed processor's events come back after it. @defaultValue 30000 */
  leaseMs?: number;
  /**
   * An event whose processing failed (a read its match needed did not succeed) comes back after
   * this, doubled for each failure in a row here, and never later than a lease: a blip of the API
   * delays its work item by a second, not by a whole lease. @defaultValue 1000
   */
  retryDelayMs?: number;
  /**
   * Claims an event may take without a verdict (its processing failed by its own fault, or stopped
   * the process) before it is dead-lettered. Failures of the API or a store do not count.
   * @defaultValue 5
   */
  maxClaims?: number;
  /** An event was dead-lettered (for the audit, the log and the metric). */
  onDeadLettered?: (stored: StoredEvent, error: RunError) => Promise<void> | void;
  /** Look for events this often when nothing woke the loop. @defaultValue 250 */
  pollMs?: number;
  owner?: string;
}

export interface EventProcessor {
  start(): void;
  /** New events were stored: look now. */
  notify(): void;
  /** Stops claiming; resolves when the batch in hand is done. */
  stop(): Promise<void>;
  /** Resolves when no stored event is left unprocessed. */
  idle(): Promise<void>;
  /** Events whose failures in a row are remembered for the retry's backoff (bounded). */
  retrying(): number;
}

/**
 * Claims stored events in arrival order and processes them. Events of one work item are handled
 * one after another in order; different work items in parallel. When an event fails (a read the
 * match needed did not succeed), the rest of its work item's events wait with it, so their runs
 * are still enqueued in event order when it is claimed again (after a short backoff, see
 * `retryDelayMs`).
 */
export function createEventProcessor(options: EventProcessorOptions): EventProcessor {
  const owner = options.owner ?? `processor-${process.pid}-${randomUUID().slice(0, 8)}`;
  const batch = options.batch ?? 64;
  const parallel = options.parallel ?? 32;
  const leaseMs = options.leaseMs ?? 30_000;
  const maxClaims = options.maxClaims ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const pollMs = options.pollMs ?? 250;
  const failuresInARow = new FailureCounts();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let pending = false;
  const idleWaiters: Array<() => void> = [];

  /** A dead-lettered event leaves its work item's line: the events after it go on. */
  async function deadLetter(stored: StoredEvent, error: RunError): Promise<void> {
    failuresInARow.forget(stored.event.id);
    await options.events.deadLetter(stored.event.id, error, options.now());
    await options.onDeadLettered?.(stored, error);
  }

  async function processGroup(group: StoredEvent[]): Promise<void> {
    for (const [i, stored] of group.entries()) {
      const claims = stored.claims ?? 1;
      try {
        // Past the limit without a verdict: it stopped the process every time it was tried.
        if (claims > maxClaims) {
          await deadLetter(stored, poisonError(claims - 1, stored.lastError));
          continue;
        }
        const runs = await options.process(stored);
        failuresInARow.forget(stored.event.id);
        if (runs.length > 0) options.onRuns?.(runs);
      } catch (error) {
        options.onError?.(error, stored.event.id);
        const condemned = await failed(stored, group.slice(i + 1), error).catch((e: unknown) => {
          options.onError?.(e, stored.event.id);
          return false;
        });
        if (!condemned) return;
      }
    }
  }

  /**
   * Records the failure. At the limit, an event at fault is dead-lettered now (true: the rest of
   * its work item may go on); otherwise it waits for its retry, and the rest of its work item
   * waits with it until then, their claims taken back (they were not tried).
   */
  async function failed(stored: StoredEvent, rest: StoredEvent[], error: unknown): Promise<boolean> {
    const fault = faultOf(error);
    const now = options.now();
    if (fault.counted && (stored.claims ?? 1) >= maxClaims) {
      await deadLetter(stored, poisonError(stored.claims ?? 1, fault.error));
      return true;
    }
    const failures = failuresInARow.add(stored.event.id);
    const retryAt = now + backoffDelay(failures, retryDelayMs, leaseMs);
    await options.events.recordFailure(stored.event.id, { ...fault, retryAt }, now);
    for (const waiting of rest)
      await options.events.recordFailure(waiting.event.id, { counted: false, retryAt }, now);
    return false;
  }

  async function once(): Promise<number> {
    const claimed = await options.events.claimUnprocessed(owner, batch, leaseMs, options.now());
    const groups = new Map<string, StoredEvent[]>();
    for (const stored of claimed) {
      const { event } = stored;
      const key = event.workItem ? `${event.projectKey}:${event.workItem.id}` : `event:${event.id}`;
      groups.set(key, [...(groups.get(key) ?? []), stored]);
    }
    const queue = [...groups.values()];
    await Promise.all(
      Array.from({ length: Math.min(parallel, queue.length) }, async () => {
        for (let group = queue.shift(); group; group = queue.shift()) await processGroup(group);
      }),
    );
    return claimed.length;
  }

  async function run(): Promise<void> {
    while (running) {
      pending = false;
      let claimed = 0;
      try {
        claimed = await once();
      } catch (error) {
        options.onError?.(error, '');
      }
      if (claimed > 0 || pending) continue;
      if ((await options.events.pendingCount().catch(() => 1)) === 0)
        idleWaiters.splice(0).forEach((f) => f());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    notify() {
      pending = true;
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake?.();
      });
    },
    retrying: () => failuresInARow.size,
  };
}
