/**
 * One claimed run, from its first unfinished action to an end: every finished action is
 * checkpointed; a wait reschedules the run (freeing the worker); a failure dead-letters it and
 * stops the rest; shutdown gives the lease back between actions.
 */
import type { AuditWriter } from '../audit/audit-writer.ts';
import { isAutopilotError } from '../errors.ts';
import type { ActionResult, RunQueue, RunRecord } from '../store/ports.ts';
import { ActionAborted } from './attempt.ts';
import { keepLease } from './lease-keeper.ts';
import { runAction, type ActionDeps, type ActionEnd } from './run-action.ts';

export interface RunDeps extends ActionDeps {
  runs: RunQueue;
  audit: AuditWriter;
  owner: string;
  leaseMs: number;
  /** True once shutdown began: finish the action in flight, start no other. */
  stopping: () => boolean;
  /** Register the abort of the action in flight, for shutdown's deadline. */
  track: (abort: () => void) => () => void;
  onError: (error: unknown, record: RunRecord) => void;
}

export type RunOutcome = 'succeeded' | 'skipped' | 'dead' | 'rescheduled' | 'released' | 'lease_lost';

export async function processRun(
  deps: RunDeps,
  record: RunRecord,
): Promise<{ outcome: RunOutcome; at?: number }> {
  const { run } = record;
  const lease = keepLease(deps.runs, run.id, deps.owner, deps.leaseMs, deps.now, (e) =>
    deps.onError(e, record),
  );
  const untrack = deps.track(() => lease.abort());
  try {
    if (run.mode === 'shadow') return await finishShadow(deps, record);
    const results: ActionResult[] = [...record.results];
    for (let index = record.nextAction; index < run.actions.length; index++) {
      if (deps.stopping() && index > record.nextAction) return await release(deps, record);
      const action = run.actions[index];
      if (!action) break;
      const first = index === record.nextAction;
      const end = await runAction(deps, {
        run,
        action,
        results,
        attemptsSoFar: first ? record.attempt : 0,
        firstAttemptAt: first ? record.firstAttemptAt : undefined,
        lastError: first ? record.lastError : undefined,
        signal: lease.signal,
      });
      if (end.kind !== 'done') return await endEarly(deps, record, index, end);
      const result: ActionResult = { index, outcome: end.outcome, finishedAt: deps.now() };
      if (end.data !== undefined) result.data = end.data;
      await deps.runs.checkpoint(run.id, deps.owner, result, deps.now());
      results.push(result);
    }
    await deps.runs.complete(run.id, deps.owner, 'succeeded', deps.now());
    await deps.audit.runSucceeded(run, 'succeeded');
    return { outcome: 'succeeded' };
  } catch (error) {
    if (error instanceof ActionAborted) return await release(deps, record);
    if (lease.lost || isAutopilotError(error, 'AP_LEASE_LOST')) return { outcome: 'lease_lost' };
    throw error;
  } finally {
    untrack();
    lease.stop();
  }
}

async function endEarly(
  deps: RunDeps,
  record: RunRecord,
  index: number,
  end: Exclude<ActionEnd, { kind: 'done' }>,
): Promise<{ outcome: RunOutcome; at?: number }> {
  const { run } = record;
  const action = run.actions[index];
  if (!action) throw new RangeError(`run ${run.id} has no action ${index}`);
  const now = deps.now();
  switch (end.kind) {
    case 'skipped':
      try {
        await deps.runs.checkpoint(run.id, deps.owner, { index, outcome: 'skipped', finishedAt: now }, now);
        await deps.runs.complete(run.id, deps.owner, 'skipped', now);
      } finally {
        await deps.audit.actionSkipped(run, action, end.reason, end.detail);
      }
      return { outcome: 'skipped' };
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
  }
}

/** Shadow mode: the plan is recorded, the API is never called. */
async function finishShadow(deps: RunDeps, record: RunRecord): Promise<{ outcome: RunOutcome }> {
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

async function release(deps: RunDeps, record: RunRecord): Promise<{ outcome: RunOutcome }> {
  await deps.runs.release(record.run.id, deps.owner, deps.now());
  return { outcome: 'released' };
}
