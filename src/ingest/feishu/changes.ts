/**
 * What changed, read from a webhook payload. Every reader is lenient: the payload keys are
 * third-party knowledge (webhooks.md §4), so several spellings are accepted and a missing key
 * leaves the corresponding property out instead of failing the event.
 */
import type { Change } from '../../events/event.ts';
import { readNodes } from './node-changes.ts';
import {
  asList,
  asNumber,
  asObject,
  asString,
  compact,
  pick,
  pickId,
  pickObject,
  pickPresent,
  pickString,
  type Obj,
} from './read.ts';

/**
 * A field value as rule authors compare it: select options by their option value, users by
 * user_key (WorkItemInfo conventions, data-structures.md §9). Lists keep their shape.
 */
export function plainFieldValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainFieldValue);
  const option = asObject(value);
  if (option && 'value' in option && ('label' in option || Object.keys(option).length === 1))
    return option.value;
  if (option && typeof option.user_key === 'string') return option.user_key;
  return value;
}

interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
}

const FIELD_KEY = ['field_key', 'key', 'field', 'field_alias'];
const FIELD_FROM = ['pre_field_value', 'old_field_value', 'old_value', 'before', 'pre_value', 'from', 'old'];
const FIELD_TO = [
  'cur_field_value',
  'new_field_value',
  'new_value',
  'after',
  'cur_value',
  'to',
  'new',
  'field_value',
  'value',
];

/** Current value of `key` in `payload.fields` (either `{field_key, field_value}` or `{key, value}`). */
function currentFieldValue(payload: Obj, key: string): { value: unknown } | undefined {
  for (const entry of asList(payload.fields)) {
    const field = asObject(entry);
    if (field && (field.field_key === key || field.key === key || field.field_alias === key)) {
      return pickPresent(field, 'field_value', 'value');
    }
  }
  return undefined;
}

function readFieldChange(entry: unknown, payload: Obj): FieldChange | undefined {
  const keyOnly = asString(entry);
  if (keyOnly) return { field: keyOnly, to: plainFieldValue(currentFieldValue(payload, keyOnly)?.value) };
  const item = asObject(entry);
  const field = pickString(item, ...FIELD_KEY);
  if (!item || !field) return undefined;
  const from = pickPresent(item, ...FIELD_FROM);
  const to = pickPresent(item, ...FIELD_TO) ?? currentFieldValue(payload, field);
  return compact({
    field,
    from: plainFieldValue(from?.value),
    to: plainFieldValue(to?.value),
  }) as FieldChange;
}

/**
 * `work_item.updated`: the first changed field is the change; every changed field is listed in
 * `fields` so a rule can look past the first one.
 */
export function fieldChange(payload: Obj): Change | undefined {
  const list = pick(payload, ['changed_fields', 'field_changes', 'changes', 'update_fields'], (v) =>
    Array.isArray(v) ? v : undefined,
  );
  const fields = (list ?? []).map((e) => readFieldChange(e, payload)).filter((f) => f !== undefined);
  const [first] = fields;
  if (!first) return undefined;
  return { kind: 'field', ...first, ...(fields.length > 1 ? { fields } : {}) };
}

interface StateRef {
  key?: string;
  name?: string;
}

function readState(value: unknown): StateRef | undefined {
  const key = asString(value);
  if (key) return { key };
  const state = asObject(value);
  const stateKey = pickString(state, 'state_key', 'key', 'id');
  return stateKey ? { key: stateKey, name: pickString(state, 'name', 'state_name') } : undefined;
}

/** `work_item.status_changed`: from/to are state keys, names kept beside them for messages. */
export function statusChange(payload: Obj, finished = false): Change | undefined {
  const from = pick(
    payload,
    ['pre_work_item_status', 'pre_status', 'old_status', 'from_status', 'pre_stage'],
    readState,
  );
  const to =
    pick(
      payload,
      ['cur_work_item_status', 'cur_status', 'new_status', 'to_status', 'cur_stage'],
      readState,
    ) ?? (finished ? readState(payload.work_item_status) : undefined);
  if (!from && !to && !finished) return undefined;
  return compact({
    kind: 'status',
    from: from?.key,
    to: to?.key,
    fromName: from?.name,
    toName: to?.name,
    finished: finished || undefined,
  });
}

export function commentChange(payload: Obj): Change | undefined {
  const comment = payload.comment;
  const nested = asObject(comment);
  const text =
    asString(comment) ??
    pickString(nested, 'content', 'text') ??
    pickString(payload, 'comment_content', 'content');
  const commentId = pickId(nested, 'id', 'comment_id') ?? pickId(payload, 'comment_id');
  if (text === undefined && commentId === undefined) return undefined;
  return compact({ kind: 'comment', text, commentId, action: pickString(payload, 'comment_action') });
}

export function abortChange(payload: Obj, aborted: boolean): Change {
  return compact({
    kind: 'aborted',
    from: !aborted,
    to: aborted,
    reason: pickString(payload, 'abort_reason', 'restore_reason', 'reason'),
    reasonOption: pickString(payload, 'reason_option'),
  });
}

/** RoleOwner[] (`[{role, owners}]`) or a map role → owners, as a map role → user_keys. */
function roleMap(value: unknown): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  const entries = Array.isArray(value)
    ? value.map((e) => [pickString(asObject(e), 'role', 'role_key'), asObject(e)?.owners] as const)
    : Object.entries(asObject(value) ?? {}).map(([k, v]) => [k, asObject(v)?.owners ?? v] as const);
  for (const [role, owners] of entries) {
    if (role) out[role] = asList(owners).filter((o) => typeof o === 'string');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * `work_item.roles_changed`: a role's owners, a node's owners (flat, or nested under `node`),
 * or the whole role map before and after.
 */
export function roleChange(payload: Obj, nodeOwner: boolean): Change {
  const node = pickObject(payload, 'node');
  const source = node ?? payload;
  const from = pickPresent(source, 'pre_owners', 'old_owners', 'before_owners');
  const to = pickPresent(source, 'cur_owners', 'new_owners', 'after_owners', 'owners');
  const nodeId = node || nodeOwner ? pickId(source, 'node_id', 'state_key', 'node_key', 'id') : undefined;
  const roles = roleMap(payload.role_owners);
  const previousRoles = roleMap(payload.pre_role_owners);
  const single = pickString(payload, 'role', 'role_key') ?? onlyChangedRole(roles, previousRoles);
  return compact({
    kind: 'role',
    role: single,
    nodeId,
    from: from ? asList(from.value) : single && previousRoles ? (previousRoles[single] ?? []) : undefined,
    to: to ? asList(to.value) : single && roles ? (roles[single] ?? []) : undefined,
    roles,
    previousRoles,
  });
}

/** With the maps before and after, the one role whose owners changed, when exactly one did. */
function onlyChangedRole(
  after: Record<string, string[]> | undefined,
  before: Record<string, string[]> | undefined,
): string | undefined {
  if (!after || !before) return undefined;
  const names = new Set([...Object.keys(after), ...Object.keys(before)]);
  const changed = [...names].filter((r) => (after[r] ?? []).join(',') !== (before[r] ?? []).join(','));
  return changed.length === 1 ? changed[0] : undefined;
}

export type SubtaskAction = 'created' | 'updated' | 'status' | 'deleted';

export function subtaskChange(payload: Obj, action: SubtaskAction): Change {
  const task = pickObject(payload, 'task', 'sub_task', 'subtask');
  const source = task ?? payload;
  return compact({
    kind: 'subtask',
    action,
    taskId: pickId(payload, 'task_id', 'sub_task_id') ?? pickId(task, 'id', 'task_id'),
    nodeId: pickId(payload, 'node_id', 'node_key', 'state_key') ?? pickId(task, 'node_id'),
    name: pickString(task, 'name', 'task_name') ?? pickString(payload, 'task_name'),
    from: pick(source, ['pre_status', 'old_status'], (v) => asNumber(v) ?? asString(v)),
    to: pick(source, ['cur_status', 'new_status', 'status'], (v) => asNumber(v) ?? asString(v)),
    passed: typeof source.passed === 'boolean' ? source.passed : undefined,
  });
}

export function scheduleChange(payload: Obj): Change {
  const source = pickObject(payload, 'node') ?? payload;
  return compact({
    kind: 'schedule',
    nodeId: pickId(source, 'node_id', 'state_key', 'node_key') ?? readNodes(payload)[0]?.id,
    from: pickObject(source, 'pre_schedule', 'old_schedule'),
    to: pickObject(source, 'node_schedule', 'schedule', 'cur_schedule', 'new_schedule'),
  });
}
