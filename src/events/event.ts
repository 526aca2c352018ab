/** The canonical event every source is normalized into (see ARCHITECTURE.md, "Canonical event"). */

export type EventSource =
  'feishu' | 'op_record' | 'webhook' | 'chat' | 'poll' | 'schedule' | 'manual' | 'replay';

/** Event types rule authors write in `on.event`. `webhook.<name>` is open-ended. */
export const WORK_ITEM_EVENT_TYPES = [
  'work_item.created',
  'work_item.updated',
  'work_item.status_changed',
  'node.reached',
  'node.completed',
  'node.rolled_back',
  'work_item.commented',
  'work_item.aborted',
  'work_item.restored',
  'work_item.roles_changed',
  'subtask.changed',
  'work_item.deleted',
] as const;

export const ENGINE_EVENT_TYPES = ['chat.command', 'card.action', 'schedule.fired'] as const;

/**
 * What a manual run fires. Not an `on.event` type: a rule asks for it with `on.manual: true`,
 * and each manual event fires only the rule it names (`payload.rule_id`).
 */
export const MANUAL_EVENT_TYPE = 'manual.run';

export type WorkItemEventType = (typeof WORK_ITEM_EVENT_TYPES)[number];
export type EventType = WorkItemEventType | (typeof ENGINE_EVENT_TYPES)[number] | `webhook.${string}`;

export interface WorkItemRef {
  /** Open API ids can exceed 2^53: always strings. */
  id: string;
  typeKey: string;
}

export interface ChatCommand {
  name: string;
  args: Record<string, string>;
  chatId: string;
  messageId: string;
  sender: string;
  /**
   * Arguments given as an @mention, by argument name: the person's Lark ids as the message
   * carried them and, once resolved when the event is processed, `user_key` (their Feishu
   * Project user key, which then is also the argument's value).
   */
  mentions?: Record<string, MentionedPerson>;
  /** Arguments whose @mention has no Feishu Project user: their value stays `@<name>`. */
  unresolved?: string[];
}

export interface MentionedPerson {
  name?: string;
  open_id?: string;
  union_id?: string;
  user_id?: string;
  user_key?: string;
}

/** A click on a card button (POST /chat/cards): rules read it as `event.card`. */
export interface CardAction {
  /** The button value's `action`. */
  action: string;
  /** The button's own `value` (what the rule gave it), `{}` when none. */
  value: Record<string, unknown>;
  /** The clicker's Lark ids, and their Feishu Project user key once looked up (`user_key`). */
  operator: { open_id?: string; union_id?: string; user_id?: string; user_key?: string };
  chat?: string;
  message: string;
}

/** from/to of a status, node or field change. */
export interface Change {
  kind?: 'status' | 'node' | 'field' | 'role' | 'comment' | 'subtask' | string;
  field?: string;
  nodeId?: string;
  from?: unknown;
  to?: unknown;
  [key: string]: unknown;
}

/**
 * Where a change came from (Feishu Project's operation records tell; a webhook alone often
 * does not): a person, one of Feishu Project's own automation rules, a plugin, this engine, or
 * the system (calculated fields, space relation rules, anything else Feishu does by itself).
 */
export type OriginKind = 'user' | 'automation' | 'plugin' | 'engine' | 'system' | 'unknown';

export const ORIGIN_KINDS: readonly OriginKind[] = [
  'user',
  'automation',
  'plugin',
  'engine',
  'system',
  'unknown',
];

export interface Origin {
  kind: OriginKind;
  /** user: the user_key; automation: the automation rule id; plugin: the plugin id; system: what kind (`calc_field`, `others`). */
  id?: string;
  /** The acting user_key where one is known beside the id (a plugin acting as a user). */
  user?: string;
  /** How it was learnt: `operator` (the engine's own user key), `op_record`, or `none` when nothing could tell. */
  via: 'operator' | 'op_record' | 'none';
}

export interface Causation {
  rootEventId: string;
  depth: number;
  /** Times along this chain a Feishu automation rule answered a write of ours. */
  automationCycles?: number;
  /**
   * Set when this event is such an answer: the automation rule that made it, and the rules of
   * ours whose write it answered.
   */
  automation?: { ruleId: string; answered: string[] };
}

export interface Event {
  /** Stable delivery identity (header.uuid, webhook-id, poll hash, rule+tick). Dedupe key. */
  id: string;
  source: EventSource;
  type: string;
  /** Epoch milliseconds. */
  occurredAt: number;
  projectKey?: string;
  /** The space's simple_name (URL slug) when the source gave it: rules may name a space either way. */
  projectName?: string;
  workItem?: WorkItemRef;
  /** user_key of whoever caused it. */
  operator?: string;
  change?: Change;
  command?: ChatCommand;
  card?: CardAction;
  /** The provider's payload, kept for rules and audit. */
  payload: unknown;
  causation?: Causation;
  /**
   * The identity of the change itself rather than of its delivery (src/events/change-id.ts):
   * a webhook and the operation record of the same change share it, and the event log stores
   * that change once whichever arrives first.
   */
  changeId?: string;
  /** Where the change came from, once known (operation records, or the engine's own user key). */
  origin?: Origin;
}
