/** What planning produces and the queue/executor consume. */

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
  index: number;
  /** Action name as written in the rule (comment, transition, ...). */
  type: string;
  /** `name:` of the action if any, for `{{steps.<name>}}`. */
  name?: string;
  /** Rendered params. Params that reference `steps.*` stay unrendered until execution. */
  params: Record<string, unknown>;
  recheck: boolean;
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
}
