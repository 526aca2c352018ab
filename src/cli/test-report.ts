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
  /** Writes carry the action's idempotency key as X-IDEM-UUID. */
  headers?: { 'X-IDEM-UUID': string };
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
}
