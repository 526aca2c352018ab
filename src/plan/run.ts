/** What planning produces and the queue/executor consume. */
import type { Event } from '../events/event.ts';
import type { ActionSpec, Choice, ConditionNode } from '../rules/rule.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** One exact Open API call, fully rendered. */
export interface ApiCall {
  /** Operation id from the catalogue (src/openapi/catalogue.ts), e.g. `comment.create`. */
  operation: string;
  method: HttpMethod;
  /** Concrete path with parameters filled in, e.g. `/open_api/space/work_item/story/42/comment/create`. */
  path: string;
  query?: Record<string, string>;
  /** Extra request headers (outbound `http` actions only; Open API headers are the client's). */
  headers?: Record<string, string>;
  body?: unknown;
  /** Whether it writes; writes carry an idempotency key. */
  write: boolean;
}

export interface PlannedAction {
  /** Index of the top-level step (of the one a nested step belongs to). */
  index: number;
  /** A nested step's path (`2/i7/0`, docs/design/run-program.md §3); absent at the top level. */
  path?: string;
  /** Action or control step name as written in the rule (comment, transition, for_each, wait, ...). */
  type: string;
  /** `name:` of the action if any, for `{{steps.<name>}}`. */
  name?: string;
  /**
   * `plan`: `params` were rendered at planning and are never rendered again. `execution`: `params`
   * are the rule's template source, rendered once when the step runs, with the full fact context
   * (docs/design/run-program.md §2). Absent on runs planned before control steps existed.
   */
  render?: 'plan' | 'execution';
  /** Rendered params (`render: plan`), or the template source (`render: execution`). */
  params: Record<string, unknown>;
  recheck: boolean;
  /** What `recheck` evaluates instead of the rule's `when`. */
  recheckWhen?: ConditionNode;
  /** Evaluated when the step is reached (execution time); false runs `else` in its place. */
  when?: ConditionNode;
  else?: ActionSpec[];
  /** for_each: the nested steps of each iteration (template source). */
  do?: ActionSpec[];
  /** choose: the when/do pairs. */
  choices?: Choice[];
  /** UUIDv5 of (event id, rule id, rule version, action index). */
  idempotencyKey: string;
  /**
   * The exact call(s) known at planning time. Absent when the call depends on data only known
   * at execution time (previous step results, live work item lookups).
   */
  calls?: ApiCall[];
}

export type RunPriority = 'chat' | 'webhook' | 'background';

export interface Run {
  /** Deterministic: derived from (event id, rule id). */
  id: string;
  eventId: string;
  ruleId: string;
  ruleVersion: string;
  mode: 'live' | 'shadow';
  /** Lane key: runs with the same lane execute one at a time in order. Usually `projectKey:workItemId`. */
  lane: string;
  priority: RunPriority;
  actions: PlannedAction[];
  createdAt: number;
  /**
   * The event, kept with runs that render steps at execution: a run parked longer than the event
   * log keeps events still has its facts.
   */
  event?: Event;
}
