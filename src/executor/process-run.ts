/**
 * One claimed run, from its first unfinished step to an end: every finished top-level step is
 * checkpointed, a nested one saved with the step's progress; a wait for the limiter reschedules
 * the run (freeing the worker); a `wait` parks it outside its lane; a failure dead-letters it and
 * stops the rest; shutdown gives the lease back between steps.
 */
import type { AuditWriter } from '../audit/audit-writer.ts';
import { backoffDelay, type FailureCounts } from '../engine/failure-counts.ts';
import { faultOf, poisonError } from '../engine/poison.ts';
import { isAutopilotError } from '../errors.ts';
import type { ActionResult, RunError, RunQueue, RunRecord, RunWake } from '../store/ports.ts';
import { ActionAborted } from './attempt.ts';
import { keepLease } from './lease-keeper.ts';
import type { ProgramPorts } from './ports.ts';
import type { ProgramContext, StepEnd } from './program/context.ts';
import { ExecutionFacts } from './program/execution-facts.ts';
import { progressOf, type StepProgress } from './program/progress.ts';
import { runStep } from './program/run-step.ts';
import type { ActionDeps } from './run-action.ts';
import { stepResults } from './step-results.ts';

export interface RunDeps extends ActionDeps {
  runs: RunQueue;
  audit: AuditWriter;
  owner: string;
  leaseMs: number;
  /**
   * Claims without progress before a run is dead-lettered with `AP_POISON`: its processing threw
   * by its own fault (a bug, data no code path expects) or stopped the process each time.
   */
  maxClaims: number;
  /** What execution-time steps read: the event, the live work item, secrets. */
  program: ProgramPorts;
  /** True once shutdown began: finish the action in flight, start no other. */
  stopping: () => boolean;
  /** Register the abort of the action in flight, for shutdown's deadline. */
  track: (abort: () => void) => () => void;
  onError: (error: unknown, record: RunRecord) => void;
  /** Failures in a row of the runs this executor tried, for the retry's backoff. */
  failures: FailureCounts;
  /** Wait before a run whose processing threw is tried again, doubled each time in a row, at most `leaseMs`. */
  retryDelayMs: number;
}

export type RunOutcome =
  'succeeded' | 'skipped' | 'dead' | 'rescheduled' | 'parked' | 'released' | 'lease_lost';

type Ended = { outcome: RunOutcome; at?: number };

export async function processRun(deps: RunDeps, record: RunRecord): Promise<Ended> {
  const { run } = record;
  const lease = keepLease(deps.runs, run.id, deps.owner, deps.leaseMs, deps.now, (e) =>
    deps.onError(e, record),
  );
  const untrack = deps.track(() => lease.abort());
  const claims = record.claims ?? 1;
  let threw = false;
  try {
    // Claimed maxClaims times before and never got further: each time it stopped its process.
    if (claims > deps.maxClaims) return await poisoned(deps, record, claims - 1, undefined);
    if (run.mode === 'shadow') return await finishShadow(deps, record);
    const results: ActionResult[] = [...record.results];
    let progress: StepProgress = progressOf(record.progress);
    const ctx = programContext(deps, record, lease.signal, () => progress);
    for (let index = record.nextAction; index < run.actions.length; index++) {
      if (deps.stopping() && ctx.progressed) return await release(deps, record);
      const action = run.actions[index];
      if (!action) break;
      if (index > record.nextAction) progress = {};
      const node = { step: action, path: String(index), top: index, key: action.idempotencyKey };
      const end = await runStep(ctx, node, progress, { steps: stepResults(run, results) });
      if (end.kind !== 'done') return await endEarly(deps, record, index, end, progress);
      const result: ActionResult = { index, outcome: end.outcome, finishedAt: deps.now() };
      if (end.data !== undefined) result.data = end.data;
      await deps.runs.checkpoint(run.id, deps.owner, result, deps.now());
      ctx.progressed = true;
      results.push(result);
    }
    await deps.runs.complete(run.id, deps.owner, 'succeeded', deps.now());
    await deps.audit.runSucceeded(run, 'succeeded');
    return { outcome: 'succeeded' };
  } catch (error) {
    if (error instanceof ActionAborted) return await release(deps, record);
    if (lease.lost || isAutopilotError(error, 'AP_LEASE_LOST')) return { outcome: 'lease_lost' };
    // Kept from extending the lease again: afterThrow sets when the run comes back.
    lease.stop();
    threw = true;
    await afterThrow(deps, record, claims, error);
    throw error;
  } finally {
    if (!threw) deps.failures.forget(run.id);
    untrack();
    lease.stop();
  }
}

function programContext(
  deps: RunDeps,
  record: RunRecord,
  signal: AbortSignal,
  progress: () => StepProgress,
): ProgramContext {
  const { run } = record;
  let attempts = {
    attemptsSoFar: record.attempt,
    firstAttemptAt: record.firstAttemptAt,
    lastError: record.lastError,
  };
  let wake: RunWake | undefined = record.wake;
  return {
    deps,
    run,
    rule: deps.rules(run.ruleId),
    facts: new ExecutionFacts(run, deps.program, deps.now),
    signal,
    save: () => deps.runs.saveProgress(run.id, deps.owner, progress(), deps.now()),
    takeAttempts() {
      const taken = attempts;
      attempts = { attemptsSoFar: 0, firstAttemptAt: undefined, lastError: undefined };
      return taken;
    },
    takeWake() {
      const taken = wake;
      wake = undefined;
      return taken;
    },
    progressed: false,
  };
}

async function endEarly(
  deps: RunDeps,
  record: RunRecord,
  index: number,
  end: Exclude<StepEnd, { kind: 'done' }>,
  progress: StepProgress,
): Promise<Ended> {
  const { run } = record;
  const action = run.actions[index];
  if (!action) throw new RangeError(`run ${run.id} has no action ${index}`);
  const now = deps.now();
  switch (end.kind) {
    case 'skip_run':
      try {
        await deps.runs.checkpoint(run.id, deps.owner, { index, outcome: 'skipped', finishedAt: now }, now);
        await deps.runs.complete(run.id, deps.owner, 'skipped', now);
      } finally {
        await deps.audit.actionSkipped(run, action, end.reason, end.detail);
      }
      return { outcome: 'skipped' };
    case 'park':
      await deps.runs.park(run.id, deps.owner, { until: end.until, progress }, now);
      await end.afterPark?.();
      return { outcome: 'parked', at: end.until };
    case 'wait':
      await deps.runs.reschedule(run.id, deps.owner, end.at, now, end.retry);
      if (end.retry) await deps.audit.retryScheduled(run, action, end.at, end.retry.attempt, end.retry.error);
      return { outcome: 'rescheduled', at: end.at };
    case 'dead':
      try {
        await deps.runs.deadLetter(run.id, deps.owner, end.error, now);
      } finally {
        await deps.audit.runDeadLettered(run, action, end.error);
      }
      return { outcome: 'dead' };
    case 'released':
      return release(deps, record);
  }
}

/**
 * A run whose processing threw comes back after `retryDelayMs`, doubled for each failure in a row,
 * at most a lease's time: a blip of a store delays it by a second, not by a minute. By its own
 * fault: the claim stays counted (its lease is only shortened), and the last one allowed
 * dead-letters it with the error. Not by its own fault (a store or the API failed): the claim is
 * taken back, so an outage never dead-letters it. The error goes on to the caller's log either way.
 */
async function afterThrow(deps: RunDeps, record: RunRecord, claims: number, error: unknown): Promise<void> {
  const fault = faultOf(error);
  const { id } = record.run;
  const now = deps.now();
  const delay = backoffDelay(deps.failures.add(id), deps.retryDelayMs, deps.leaseMs);
  try {
    if (!fault.counted) {
      await deps.runs.reschedule(id, deps.owner, now + delay, now);
    } else if (claims >= deps.maxClaims) {
      deps.failures.forget(id);
      await poisoned(deps, record, claims, fault.error);
    } else {
      await deps.runs.extendLease(id, deps.owner, delay, now);
    }
  } catch (secondary) {
    // The store refused this too: the lease runs out and the run comes back as before.
    deps.onError(secondary, record);
  }
}

/** Dead-letters a poison run (`AP_POISON`) with its last error, where one was seen. */
async function poisoned(
  deps: RunDeps,
  record: RunRecord,
  claims: number,
  last: RunError | undefined,
): Promise<Ended> {
  const error = poisonError(claims, last);
  // Recorded only once the store took it: a refused dead letter (the lease lost, the run already
  // ended) must not leave an audit record, a log line and a metric for a run that is not dead.
  await deps.runs.deadLetter(record.run.id, deps.owner, error, deps.now());
  await deps.audit.runDeadLettered(record.run, record.run.actions[record.nextAction], error);
  return { outcome: 'dead' };
}

/** Shadow mode: the plan is recorded, the API is never called. */
async function finishShadow(deps: RunDeps, record: RunRecord): Promise<Ended> {
  const { run } = record;
  for (let index = record.nextAction; index < run.actions.length; index++) {
    await deps.runs.checkpoint(
      run.id,
      deps.owner,
      { index, outcome: 'shadow', finishedAt: deps.now() },
      deps.now(),
    );
  }
  await deps.runs.complete(run.id, deps.owner, 'succeeded', deps.now());
  await deps.audit.runShadow(run);
  return { outcome: 'succeeded' };
}

async function release(deps: RunDeps, record: RunRecord): Promise<Ended> {
  await deps.runs.release(record.run.id, deps.owner, deps.now());
  return { outcome: 'released' };
}
