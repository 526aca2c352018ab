/**
 * Which Feishu event names mean what. Feishu's new `event_type`s are categories (one
 * `WorkFlowNodeStatusEvent` for reached / completed / rolled back), legacy `eventType`s are one
 * per event and carry the work item type as a suffix (`EventCreate-issue`). Both are mapped onto
 * a `FeishuKind`, which decides the engine's event type and how the change is read.
 */

export type FeishuKind =
  | 'created'
  | 'updated'
  | 'status'
  | 'finished'
  | 'node' // sub-kind read from the payload (status_change_type or node status codes)
  | 'node_reached'
  | 'node_completed'
  | 'node_rolled_back'
  | 'node_owner'
  | 'schedule'
  | 'commented'
  | 'aborted'
  | 'restored'
  | 'roles'
  | 'task_created'
  | 'task_updated'
  | 'task_status'
  | 'task_deleted'
  | 'deleted';

/** New-format `header.event_type` → kind. */
export const NEW_EVENT_KINDS: Readonly<Record<string, FeishuKind>> = {
  WorkitemCreateEvent: 'created',
  WorkitemUpdateEvent: 'updated',
  WorkitemStatusEvent: 'status',
  WorkitemFinishEvent: 'finished',
  WorkFlowNodeStatusEvent: 'node',
  WorkFlowNodeScheduleEvent: 'schedule',
  WorkitemCommentEvent: 'commented',
  WorkitemAbortedEvent: 'aborted',
  WorkitemRestoreEvent: 'restored',
  WorkitemPersonAssignedEvent: 'roles',
  TaskCreateEvent: 'task_created',
  TaskUpdateEvent: 'task_updated',
  TaskStatusEvent: 'task_status',
  // Not in the official excerpt; pushed by our simulator for sub-task deletion.
  TaskDeleteEvent: 'task_deleted',
  WorkitemDeleteEvent: 'deleted',
};

/** Legacy story-only names (stories had dedicated `Story*` events). */
const LEGACY_STORY_KINDS: Readonly<Record<string, FeishuKind>> = {
  StoryCreated: 'created',
  StoryValueChanged: 'updated',
  StoryStageChanged: 'status',
  StoryAborted: 'aborted',
  StoryRoleAssigned: 'roles',
};

/** Legacy `<prefix>-<work_item_type_key>` names; WF* names also come without a suffix (= story). */
const LEGACY_PREFIX_KINDS: Readonly<Record<string, FeishuKind>> = {
  EventCreate: 'created',
  EventUpdate: 'updated',
  EventUpdateStatus: 'status',
  EventAborted: 'aborted',
  EventRoleAssigned: 'roles',
  WFNodeOwnerChanged: 'node_owner',
  WFNodeChecked: 'node_completed',
  WFNodeReached: 'node_reached',
  WFNodeRollbacked: 'node_rolled_back',
  WFNodeScheduleChanged: 'schedule',
};

/** Sub-task events of the legacy format use the literal type key `task`. */
const LEGACY_TASK_KINDS: Readonly<Record<string, FeishuKind>> = {
  EventCreate: 'task_created',
  EventUpdate: 'task_updated',
  EventUpdateStatus: 'task_status',
};

export interface LegacyKind {
  kind: FeishuKind;
  /** Type key named by the event (`EventCreate-issue` → issue, `StoryCreated` → story). */
  typeKey: string | undefined;
}

export function legacyKind(eventType: string): LegacyKind | undefined {
  const story = LEGACY_STORY_KINDS[eventType];
  if (story) return { kind: story, typeKey: 'story' };
  // The comment rows of the official table are truncated (`StoryCommentAdd…`): accept the family.
  if (eventType.startsWith('StoryComment')) return { kind: 'commented', typeKey: 'story' };
  const dash = eventType.indexOf('-');
  const prefix = dash < 0 ? eventType : eventType.slice(0, dash);
  const suffix = dash < 0 ? undefined : eventType.slice(dash + 1) || undefined;
  if (prefix.startsWith('EventComment')) return { kind: 'commented', typeKey: suffix };
  if (suffix === 'task' && LEGACY_TASK_KINDS[prefix])
    return { kind: LEGACY_TASK_KINDS[prefix], typeKey: undefined };
  const kind = LEGACY_PREFIX_KINDS[prefix];
  if (!kind) return undefined;
  return { kind, typeKey: suffix ?? (prefix.startsWith('WF') ? 'story' : undefined) };
}

/** Engine event type per kind (`node` is resolved from the payload before this is used). */
export const ENGINE_TYPE_OF_KIND: Readonly<Record<Exclude<FeishuKind, 'node'>, string>> = {
  created: 'work_item.created',
  updated: 'work_item.updated',
  status: 'work_item.status_changed',
  // A finished item has moved to its final state: the nearest engine type is a status change.
  finished: 'work_item.status_changed',
  node_reached: 'node.reached',
  node_completed: 'node.completed',
  node_rolled_back: 'node.rolled_back',
  node_owner: 'work_item.roles_changed',
  // A node's schedule is part of the item's data; rules see it as an update of kind `schedule`.
  schedule: 'work_item.updated',
  commented: 'work_item.commented',
  aborted: 'work_item.aborted',
  restored: 'work_item.restored',
  roles: 'work_item.roles_changed',
  task_created: 'subtask.changed',
  task_updated: 'subtask.changed',
  task_status: 'subtask.changed',
  task_deleted: 'subtask.changed',
  deleted: 'work_item.deleted',
};
