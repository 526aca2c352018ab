/**
 * One audit record per decision, keyed by event, rule, run and work item so that
 * `autopilot trace` can tell an event's story. Callers write these in `finally` blocks: a
 * decision is recorded even when what followed it failed.
 */
import type { Event } from '../events/event.ts';
import type { ApiOutcome } from '../openapi/types.ts';
import type { ApiCall, PlannedAction, Run } from '../plan/run.ts';
import type { AuditRecord, AuditStore, RunError, RunWake } from '../store/ports.ts';
import { writesOf } from './planned-writes.ts';
import { maskSecrets, summarizeRequest } from './request-summary.ts';

export interface AuditWriter {
  eventStored(event: Event, inserted: boolean): Promise<void>;
  /** `conditions`: every leaf condition's trace, in the order written (src/match/condition-trace.ts). */
  ruleEvaluated(event: Event, ruleId: string, matched: boolean, conditions: unknown[]): Promise<void>;
  runPlanned(run: Run): Promise<void>;
  runShadow(run: Run): Promise<void>;
  actionAttempted(a: AttemptRecord): Promise<void>;
  retryScheduled(
    run: Run,
    action: PlannedAction,
    at: number,
    attempt: number,
    error: RunError,
  ): Promise<void>;
  actionSkipped(
    run: Run,
    action: PlannedAction,
    reason: string,
    detail?: Record<string, unknown>,
  ): Promise<void>;
  /** A step parked the run until `until` (a wait). */
  runParked(run: Run, action: PlannedAction, until: number): Promise<void>;
  /** A parked run woke up and the step that parked went on. */
  runWoken(run: Run, action: PlannedAction, wake: RunWake): Promise<void>;
  /** A condition at execution time (a step's `when`, a choose pair): its trace and the branch taken. */
  stepBranch(run: Run, action: PlannedAction, detail: Record<string, unknown>): Promise<void>;
  /** A for_each's list, fixed before its first iteration (or refused for its length). */
  stepItems(run: Run, action: PlannedAction, detail: Record<string, unknown>): Promise<void>;
  /** A `set` / `increment` step changed a variable (or found its change already applied). */
  stepVar(run: Run, action: PlannedAction, detail: Record<string, unknown>): Promise<void>;
  runSucceeded(run: Run, state: 'succeeded' | 'skipped'): Promise<void>;
  runDeadLettered(run: Run, action: PlannedAction | undefined, error: RunError): Promise<void>;
  runRequeued(run: Run, by: string, detail?: Record<string, unknown>): Promise<void>;
  runDropped(run: Run, by: string): Promise<void>;
}

export interface AttemptRecord {
  run: Run;
  action: PlannedAction;
  call: ApiCall;
  attempt: number;
  outcome: ApiOutcome;
  /** The executor's decision about this outcome (done, retry, refresh_token, dead, ...). */
  decision: string;
  durationMs: number;
}

export function createAuditWriter(store: AuditStore, now: () => number): AuditWriter {
  const write = (record: Omit<AuditRecord, 'at'>) => store.record([{ at: now(), ...record }]);
  const forRun = (run: Run) => ({
    eventId: run.eventId,
    ruleId: run.ruleId,
    runId: run.id,
    workItem: run.lane,
  });
  const forStep = (run: Run, action: PlannedAction) => ({ ...forRun(run), actionIndex: action.index });

  return {
    eventStored: (event, inserted) =>
      write({
        kind: inserted ? 'event.stored' : 'event.duplicate',
        eventId: event.id,
        ...workItemOf(event),
        detail: { type: event.type, source: event.source, occurredAt: event.occurredAt },
      }),
    ruleEvaluated: (event, ruleId, matched, conditions) =>
      write({
        kind: matched ? 'rule.matched' : 'rule.not_matched',
        eventId: event.id,
        ruleId,
        ...workItemOf(event),
        detail: { conditions },
      }),
    runPlanned: (run) =>
      write({
        kind: 'run.planned',
        ...forRun(run),
        detail: {
          mode: run.mode,
          priority: run.priority,
          actions: run.actions.map((a) => ({ index: a.index, type: a.type, name: a.name })),
        },
      }),
    runShadow: (run) =>
      write({
        kind: 'run.shadow',
        ...forRun(run),
        detail: {
          actions: run.actions.map((a) => a.type),
          // What the run would have sent, secrets masked (autopilot shadow reports it).
          planned: run.actions.map((a) => ({
            index: a.index,
            type: a.type,
            params: maskSecrets(a.params),
            writes: writesOf(a),
          })),
        },
      }),
    actionAttempted: (a) =>
      write({
        kind: 'action.attempted',
        ...forRun(a.run),
        actionIndex: a.action.index,
        detail: {
          ...stepOf(a.action),
          attempt: a.attempt,
          request: summarizeRequest(a.call),
          outcome: outcomeSummary(a.outcome),
          decision: a.decision,
          durationMs: a.durationMs,
        },
      }),
    retryScheduled: (run, action, at, attempt, error) =>
      write({
        kind: 'action.retry_scheduled',
        ...forRun(run),
        actionIndex: action.index,
        detail: { action: action.type, retryAt: at, attempt, error },
      }),
    actionSkipped: (run, action, reason, detail) =>
      write({
        kind: 'action.skipped',
        ...forRun(run),
        actionIndex: action.index,
        detail: { action: action.type, reason, ...detail },
      }),
    runParked: (run, action, until) =>
      write({ kind: 'run.parked', ...forStep(run, action), detail: { ...stepOf(action), until } }),
    runWoken: (run, action, wake) =>
      write({
        kind: 'run.woken',
        ...forStep(run, action),
        detail: { ...stepOf(action), reason: wake.reason, at: wake.at },
      }),
    stepBranch: (run, action, detail) =>
      write({ kind: 'step.branch', ...forStep(run, action), detail: { ...stepOf(action), ...detail } }),
    stepItems: (run, action, detail) =>
      write({ kind: 'step.items', ...forStep(run, action), detail: { ...stepOf(action), ...detail } }),
    stepVar: (run, action, detail) =>
      write({ kind: 'step.var', ...forStep(run, action), detail: { ...stepOf(action), ...detail } }),
    // createdAt: when the run was planned, so its whole life can be told (the trace's run span).
    runSucceeded: (run, state) =>
      write({ kind: 'run.succeeded', ...forRun(run), detail: { state, createdAt: run.createdAt } }),
    runDeadLettered: (run, action, error) =>
      write({
        kind: 'run.dead_lettered',
        ...forRun(run),
        ...(action ? { actionIndex: action.index } : {}),
        detail: { ...(action ? { action: action.type } : {}), error, createdAt: run.createdAt },
      }),
    runRequeued: (run, by, detail) =>
      write({ kind: 'run.requeued', ...forRun(run), detail: { by, ...detail } }),
    runDropped: (run, by) => write({ kind: 'run.dropped', ...forRun(run), detail: { by } }),
  };
}

/** The step's type and, for a nested step, its path (`2/i7/0`). */
function stepOf(action: PlannedAction): { action: string; step?: string } {
  return action.path === undefined ? { action: action.type } : { action: action.type, step: action.path };
}

function workItemOf(event: Event): { workItem?: string } {
  if (!event.workItem) return {};
  return { workItem: `${event.projectKey ?? ''}:${event.workItem.id}` };
}

/** The outcome without the response data's bulk: class, codes, log id, status, duration. */
export function outcomeSummary(outcome: ApiOutcome): Record<string, unknown> {
  const summary: Record<string, unknown> = { class: outcome.class, durationMs: outcome.durationMs };
  for (const key of ['errCode', 'errMsg', 'innerMsg', 'logId', 'httpStatus', 'networkError'] as const) {
    if (outcome[key] !== undefined) summary[key] = outcome[key];
  }
  return summary;
}
