/**
 * The in-memory model of one rule file, after schema validation (see schema/rule.schema.json,
 * which is the source of truth for the YAML format; this type mirrors it).
 */

export type RuleMode = 'live' | 'shadow';

/** A json-rules-engine style condition tree. */
export type ConditionNode =
  { all: ConditionNode[] } | { any: ConditionNode[] } | { not: ConditionNode } | ConditionLeaf;

export interface ConditionLeaf {
  fact: string;
  path?: string;
  operator: string;
  value: unknown;
}

/** `work_item.search` used by poll and schedule triggers: a search/params body, project and type. */
export interface SearchSpec {
  project: string;
  work_item_type: string;
  /** SearchGroup of the Open API search/params endpoint. */
  search_group?: unknown;
  /** Page size used when iterating; the engine pages through all results. */
  page_size?: number;
  [key: string]: unknown;
}

export interface EventTrigger {
  event: string | string[];
  /** Also fired by a manual run (`autopilot run`, `POST /api/rules/<id>/run`). */
  manual?: true;
  project?: string[];
  work_item_type?: string[];
}

/** Fired only by a manual run: `autopilot run <rule-id> --work-item <project>/<type>/<id>`. */
export interface ManualTrigger {
  manual: true;
  project?: string[];
  work_item_type?: string[];
}

export interface PollTrigger {
  poll: { every: string; search: SearchSpec; watch?: string[] };
  project?: string[];
  work_item_type?: string[];
}

export interface ScheduleTrigger {
  schedule: { cron: string; timezone?: string; search?: SearchSpec };
  project?: string[];
  work_item_type?: string[];
}

export interface CommandTrigger {
  /** Grammar like `move {id} to {state}`. */
  command: string;
  /** Allow-lists; empty or absent means everyone. */
  chats?: string[];
  users?: string[];
  project?: string[];
  work_item_type?: string[];
}

/** A click on a card button whose value carries `action: <name>` (the `message` action's buttons). */
export interface CardActionTrigger {
  card_action: string;
  project?: string[];
  work_item_type?: string[];
}

export type Trigger =
  EventTrigger | ManualTrigger | PollTrigger | ScheduleTrigger | CommandTrigger | CardActionTrigger;

/**
 * One entry of `do:` as written: exactly one action or control step name as key, its params as
 * value (docs/design/run-program.md). Fields other than type, name, params and recheck appear
 * only when written, so rules from before control steps keep their version hash.
 */
export interface ActionSpec {
  /** Action name (comment, transition, ..., api, http, reply) or control step (for_each, wait, ...). */
  type: string;
  /** Optional name so later steps can use `{{steps.<name>.<field>}}`. */
  name?: string;
  /** The step's params as written (templates unrendered); a for_each's without its `do`. */
  params: Record<string, unknown>;
  /** Re-fetch the work item right before this step and stop the run quietly unless a condition holds. */
  recheck?: boolean;
  /** What `recheck` evaluates instead of the rule's `when`, when written as a condition. */
  recheckWhen?: ConditionNode;
  /** Evaluated when the step is reached; false runs `else` (if any) in its place. */
  when?: ConditionNode;
  else?: ActionSpec[];
  /** for_each: the steps of each iteration. */
  do?: ActionSpec[];
  /** choose: the `when`/`do` pairs, the first that holds runs. */
  choices?: Choice[];
}

export interface Choice {
  when: ConditionNode;
  do: ActionSpec[];
}

export interface RetryOverride {
  max_attempts?: number;
  max_elapsed?: string;
  base_delay?: string;
  max_delay?: string;
}

export interface Rule {
  id: string;
  description?: string;
  enabled: boolean;
  mode: RuleMode;
  on: Trigger;
  when?: ConditionNode;
  do: ActionSpec[];
  allow_self: boolean;
  max_depth?: number;
  retry?: RetryOverride;
  /** Hash of the rule's normalized content; part of every idempotency key. */
  version: string;
  /** Where it came from, for messages; `text` is the file as loaded (the dashboard shows it). */
  source: { file: string; text?: string };
}

export function isEventTrigger(t: Trigger): t is EventTrigger {
  return 'event' in t;
}
export function isPollTrigger(t: Trigger): t is PollTrigger {
  return 'poll' in t;
}
export function isScheduleTrigger(t: Trigger): t is ScheduleTrigger {
  return 'schedule' in t;
}
export function isCommandTrigger(t: Trigger): t is CommandTrigger {
  return 'command' in t;
}
export function isCardActionTrigger(t: Trigger): t is CardActionTrigger {
  return 'card_action' in t;
}
/** `on.manual: true`, alone or beside `on.event`: the rule can be run by hand on one work item. */
export function isManualTrigger(t: Trigger): t is ManualTrigger | (EventTrigger & { manual: true }) {
  return 'manual' in t && t.manual === true;
}
