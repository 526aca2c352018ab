/**
 * What `autopilot test` reports, as data: the normalized event and, for every candidate rule,
 * the condition trace and (when it matched) the planned run with its exact API calls.
 * `--json` prints this object; the human view (format-trace.ts) renders the same object.
 */
import type { Event } from '../events/event.ts';
import type { ConditionTrace } from '../match/condition-trace.ts';
import type { MatchError, MatchResult } from '../match/match-event.ts';
import type { HttpMethod } from '../plan/run.ts';
import type { EventInputKind } from './test-input.ts';

export interface ReportCall {
  operation: string;
  method: HttpMethod;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /**
   * Open API writes carry the action's idempotency key as X-IDEM-UUID; an `http` call shows every
   * header it is sent with (its key as `idempotency-key`).
   */
  headers?: Record<string, string>;
}

export interface ReportAction {
  index: number;
  type: string;
  name?: string;
  recheck: boolean;
  idempotencyKey: string;
  /** Rendered params, as the executor will get them. */
  params: Record<string, unknown>;
  /** The exact calls, when planning can know them. */
  calls?: ReportCall[];
  /** Why the calls are only known at execution time, and what will be read then. */
  deferred?: string;
  /** A step rendered at execution, as far as the dry run can know it (src/cli/explain-program.ts). */
  explain?: StepExplanation;
}

/** What a dry run knows of a step that runs at execution time. */
export interface StepExplanation {
  /** Its condition (`when`, or a choose's pairs in order): the trace and the branch it takes. */
  branch?: {
    taken: 'then' | 'else' | number | 'unknown';
    conditions: ConditionTrace[];
    /** Why the branch is not known offline. */
    reason?: string;
  };
  /** The steps of the branch taken. */
  steps?: ReportStep[];
  /** for_each over a list known offline: every iteration with its steps. */
  iterations?: Array<{ index: number; item: unknown; steps: ReportStep[] }>;
  /** wait: when the run would wake if the step ran now (epoch ms). */
  parksUntil?: number;
  /**
   * set / increment: the variable and the value the step would leave, from the variables assumed
   * (`--vars`); `before` absent when none was set. Nothing is written.
   */
  variable?: { var: string; key: string; before?: unknown; value: unknown };
  /** Rendered params (secrets as `***`), when every value they read is known. */
  params?: Record<string, unknown>;
  calls?: ReportCall[];
  /** What only the run can know. */
  deferred?: string;
  /** A refusal the run would meet (AP_STEP_LIMIT, a list that is none). */
  error?: { code: string; message: string };
}

/** A nested step: its path (`2/i7/0`) and key, and what the dry run knows of it. */
export interface ReportStep extends StepExplanation {
  path: string;
  type: string;
  name?: string;
  idempotencyKey: string;
}

export interface ReportRun {
  id: string;
  mode: 'live' | 'shadow';
  lane: string;
  actions: ReportAction[];
}

export interface ReportCandidate {
  ruleId: string;
  file?: string;
  matched: boolean;
  /** True when the answer depends on work item data the event did not carry. */
  needsLiveData: boolean;
  conditions: ConditionTrace[];
  skipped?: MatchResult['skipped'];
  error?: MatchError;
  run?: ReportRun;
  /** Planning the matched rule failed (a template path missing, an unknown action, ...). */
  planError?: MatchError;
}

export interface TestReport {
  event: Event;
  input: EventInputKind;
  /** Where the work_item fact came from. */
  workItem: 'file' | 'payload' | 'none';
  candidates: ReportCandidate[];
  /**
   * A `manual.run` event: the rule it names and whether the engine would take the run
   * (`refused` carries what `POST /api/rules/:id/run` would answer, e.g. `AP_MANUAL_REFUSED`).
   */
  manual?: { ruleId: string; refused?: { code: string; message: string } };
}
