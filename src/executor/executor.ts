/**
 * The executor: claims due runs from the run queue and processes them with bounded concurrency.
 * A run that must wait (limiter, backoff) goes back to the queue with its `runAt`, so a worker
 * slot is never held by a sleeping run. See process-run.ts for one run, attempt.ts for one call.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { createAuditWriter, type AuditWriter } from '../audit/audit-writer.ts';
import { rateLimitKey, getOperation } from '../openapi/catalogue.ts';
import type { ApiCaller } from '../openapi/types.ts';
import type { AuditStore, RunQueue, RunRecord } from '../store/ports.ts';
import {
  plannedCallsOnly,
  type ActionResolver,
  type ProgramPorts,
  type Recheck,
  type RuleGetter,
} from './ports.ts';
import type { AttemptDeps } from './attempt.ts';
import { FailureCounts } from '../engine/failure-counts.ts';
import { processRun, type RunDeps } from './process-run.ts';
import { createLocalLimiter, type RateLimitClass, type RateLimiter } from './rate-limiter.ts';
import { DEFAULT_RETRY, type RetrySettings } from './retry-policy.ts';
import { redactingAudit, redactingCaller, secretRedactor } from './secret-redaction.ts';

export interface ExecutorOptions {
  runs: RunQueue;
  audit: AuditStore;
  api: ApiCaller;
  /** The rules as currently loaded (hot reload): retry overrides and `recheck` read them. */
  rules: RuleGetter;
  /** Builds an action's calls at execution time. @defaultValue the calls planned ahead */
  resolve?: ActionResolver;
  /** Re-evaluates a rule's `when` on fresh data for `recheck: true` actions. @defaultValue the executor's own, on the program's facts */
  recheck?: Recheck;
  /** What execution-time steps read: the event log, the live work item with field meta, secrets. */
  program?: ProgramPorts;
  /** @defaultValue an in-process GCRA limiter (`createLocalLimiter()`) */
  limiter?: RateLimiter;
  /** Limiter key and class of an operation. @defaultValue from the operation catalogue */
  rateLimitOf?: (operation: string) => { key: string; cls: RateLimitClass };
  /** Every limit of one call, where a call has more than its operation's. @defaultValue the operation's alone */
  rateLimitsOf?: AttemptDeps['rateLimitsOf'];
  /** Runs processed at once. @defaultValue 8 */
  concurrency?: number;
  /** Lease on a claimed run; extended every third of it while the run is in flight. @defaultValue 30000 */
  leaseMs?: number;
  /**
   * Claims without progress before a run is dead-lettered with `AP_POISON` (its processing threw
   * by its own fault, or stopped the process, every time). @defaultValue 5
   */
  maxClaims?: number;
  /**
   * A run whose processing threw comes back after this, doubled for each failure in a row here,
   * and never later than `leaseMs`. @defaultValue 1000
   */
  retryDelayMs?: number;
  /** How often to look for due runs when nothing woke the loop. @defaultValue 250 */
  pollMs?: number;
  /**
   * Limiter waits adding up to this long per call are slept in the worker instead of sending the
   * run back to the queue. The round trip through the queue costs two durable writes and a
   * claim, and brings the run back after its slot, which leaves the slot idle; under a burst the
   * writes themselves slow the event loop, so the runs come back later still and are sent back
   * again. One period of the 1-second limits keeps a burst on a saturated key in the workers
   * (500 Lark messages: 0 reschedules instead of about 2 per run; bench/lark-messages.bench.ts).
   * Longer waits reschedule the run.
   * @defaultValue 1000
   */
  waitInPlaceMs?: number;
  /** Sleeps `ms` unless the signal aborts first (waits in place). @defaultValue a timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Retry settings unless a rule overrides them. @defaultValue DEFAULT_RETRY */
  retry?: RetrySettings;
  /** Lease owner name. @defaultValue `executor-<pid>-<random>` */
  owner?: string;
  now?: () => number;
  /** Uniform in [0, 1): backoff jitter. @defaultValue Math.random */
  random?: () => number;
  /** Store failures and bugs the loop survived (the run comes back when its lease expires). */
  onError?: (error: unknown, context: { runId?: string }) => void;
}

export interface StopReport {
  /** Runs whose action in flight finished before the deadline. */
  finished: number;
  /** Runs given back to the queue (lease released) unfinished. */
  released: number;
}

export interface Executor {
  start(): void;
  /**
   * Stops claiming, lets actions in flight finish within `deadlineMs`, then aborts the rest;
   * every unfinished run's lease is released. Resolves when nothing is in flight.
   */
  stop(deadlineMs?: number): Promise<StopReport>;
  /** Look for due runs now (new runs were enqueued). */
  notify(): void;
  /** Resolves once the queue holds no queued or running run and nothing is in flight. */
  idle(): Promise<void>;
  /** Runs whose failures in a row set their retry's backoff (bounded), for `autopilot_memory_entries`. */
  retrying(): number;
}

export function catalogueRateLimit(operation: string): { key: string; cls: RateLimitClass } {
  return { key: rateLimitKey(operation), cls: getOperation(operation).rateLimit };
}

export function createExecutor(options: ExecutorOptions): Executor {
  const now = options.now ?? Date.now;
  const concurrency = options.concurrency ?? 8;
  const pollMs = options.pollMs ?? 250;
  const owner = options.owner ?? `executor-${process.pid}-${randomUUID().slice(0, 8)}`;
  const onError = options.onError ?? (() => {});
  // What the runs carry of secrets stays in memory: answers, errors and audit records are redacted.
  const secrets = secretRedactor(Object.values(options.program?.secrets ?? {}));
  const api = secrets ? redactingCaller(options.api, secrets) : options.api;
  const audit: AuditWriter = createAuditWriter(
    secrets ? redactingAudit(options.audit, secrets) : options.audit,
    now,
  );

  const inFlight = new Set<Promise<unknown>>();
  const inFlightIds = new Set<string>();
  const aborts = new Set<() => void>();
  const wakeTimes: number[] = [];
  let running = false;
  let stopping = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: () => void = () => {};
  let idleWaiters: Array<() => void> = [];
  let released = 0;
  let finished = 0;

  const failures = new FailureCounts();
  const deps: RunDeps = {
    runs: options.runs,
    audit,
    api,
    ...(secrets ? { secrets } : {}),
    limiter: options.limiter ?? createLocalLimiter(),
    rateLimitOf: options.rateLimitOf ?? catalogueRateLimit,
    ...(options.rateLimitsOf ? { rateLimitsOf: options.rateLimitsOf } : {}),
    resolve: options.resolve ?? plannedCallsOnly,
    recheck: options.recheck,
    program: options.program ?? {},
    rules: options.rules,
    now,
    random: options.random ?? Math.random,
    retryDefaults: options.retry ?? DEFAULT_RETRY,
    waitInPlaceMs: options.waitInPlaceMs ?? 1000,
    sleep: options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal })),
    owner,
    leaseMs: options.leaseMs ?? 30_000,
    maxClaims: options.maxClaims ?? 5,
    failures,
    retryDelayMs: options.retryDelayMs ?? 1000,
    stopping: () => stopping,
    track: (abort) => {
      aborts.add(abort);
      return () => aborts.delete(abort);
    },
    onError: (error, record) => onError(error, { runId: record.run.id }),
  };

  const launch = (record: RunRecord) => {
    // Our own lease ran out while the run was still in flight here (a slow disk, a long pause)
    // and the claim handed it back to us: the processing already under way carries on.
    if (inFlightIds.has(record.run.id)) return;
    inFlightIds.add(record.run.id);
    const task = processRun(deps, record)
      .then((end) => {
        if (end.outcome === 'released') released++;
        else finished++;
        if (end.at !== undefined) wakeTimes.push(end.at);
      })
      .catch((error: unknown) => onError(error, { runId: record.run.id }))
      .finally(() => {
        inFlight.delete(task);
        inFlightIds.delete(record.run.id);
        wake();
      });
    inFlight.add(task);
  };

  const sleep = () =>
    new Promise<void>((resolve) => {
      const t = now();
      const due = wakeTimes.filter((at) => at > t);
      wakeTimes.length = 0;
      wakeTimes.push(...due);
      const delay = Math.min(pollMs, ...due.map((at) => at - t));
      const timer = setTimeout(() => {
        wake = () => {};
        resolve();
      }, delay);
      wake = () => {
        clearTimeout(timer);
        wake = () => {};
        resolve();
      };
    });

  const loop = async () => {
    while (running) {
      const free = concurrency - inFlight.size;
      let claimed: RunRecord[] = [];
      if (free > 0) {
        try {
          claimed = await options.runs.claim(owner, free, deps.leaseMs, now());
        } catch (error) {
          onError(error, {});
        }
        for (const record of claimed) launch(record);
      }
      if (claimed.length === 0 && inFlight.size === 0 && idleWaiters.length > 0) await settleIdle();
      if (!running) break;
      if (claimed.length === 0 || claimed.length < free || inFlight.size >= concurrency) await sleep();
    }
  };

  const settleIdle = async () => {
    try {
      const stats = await options.runs.stats(now());
      if (stats.depth > 0) return;
    } catch (error) {
      onError(error, {});
      return;
    }
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      loopDone = loop();
    },
    async stop(deadlineMs = 10_000) {
      stopping = true;
      running = false;
      wake();
      await loopDone;
      finished = 0;
      released = 0;
      const all = Promise.allSettled([...inFlight]);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), deadlineMs);
      });
      if ((await Promise.race([all, deadline])) === 'deadline') for (const abort of aborts) abort();
      clearTimeout(timer);
      await all;
      return { finished, released };
    },
    notify() {
      wake();
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
    retrying: () => failures.size,
  };
}
