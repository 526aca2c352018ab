/** Every action a rule's `do:` may use (schema/rule.schema.json defines their params). */
export const ACTION_NAMES = [
  'comment',
  'transition',
  'complete_node',
  'rollback_node',
  'update_fields',
  'assign',
  'bind',
  'unbind',
  'create_work_item',
  'create_subtask',
  'complete_subtask',
  'abort',
  'restore',
  'reply',
  'http',
  'api',
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];

/** Actions that act on a work item: the event's, or the one their `target` names. */
export const WORK_ITEM_ACTIONS: ReadonlySet<string> = new Set([
  'comment',
  'transition',
  'complete_node',
  'rollback_node',
  'update_fields',
  'assign',
  'bind',
  'unbind',
  'create_subtask',
  'complete_subtask',
  'abort',
  'restore',
]);

/** Keys a step may carry beside its action key. */
export const STEP_KEYS: ReadonlySet<string> = new Set(['name', 'recheck']);
