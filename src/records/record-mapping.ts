/**
 * Which operation record means which engine event: the one table to correct when Feishu
 * Project's records turn out to say something else. The documented parts are the module and
 * operation_type value lists (work-item-op-records: op_record_module, operation_type); which
 * object_type each kind of change carries is not documented, and neither is where comments
 * are recorded: those rows are marked `inferred` and follow what our simulator writes.
 *
 * Keys are `module/operation_type/object_type`; `*` stands for any operation_type. A module that
 * is not in the table, or an object type a listed module does not have, is skipped with
 * `AP_RECORD_UNKNOWN` (recorded in the audit), never guessed at.
 *
 * Other assumptions the translation rests on, kept here with the table:
 * - A webhook's `payload.updated_at` equals its record's `operation_time` (change ids match on it).
 * - The webhook of an automation rule's change names the rule id as `header.operator`, like the
 *   record's `operator`.
 * - Record values are strings (an option's value, a number as text, a user_key); they are
 *   typed again with the field's type where the field metadata is at hand.
 */

/** What a record (or one of its contents) becomes. */
export type RecordKind =
  | 'created'
  | 'deleted'
  | 'status'
  | 'aborted'
  | 'restored'
  | 'comment'
  | 'field'
  | 'node'
  | 'node_completed'
  | 'node_rolled_back'
  | 'schedule'
  | 'role'
  | 'node_owner'
  | 'subtask'
  /** A known record with no engine event (relations, baselines, nodes added to an instance). */
  | 'none';

export interface RecordMapping {
  kind: RecordKind;
  /** `doc`: stated by Feishu's documentation; `inferred`: our reading, to check against a real tenant. */
  confidence: 'doc' | 'inferred';
  /** For sub-task records: the webhook family's action. */
  action?: 'created' | 'updated' | 'status' | 'deleted';
}

const inferred = (kind: RecordKind, action?: RecordMapping['action']): RecordMapping => ({
  kind,
  confidence: 'inferred',
  ...(action ? { action } : {}),
});

export const RECORD_MAPPINGS: Readonly<Record<string, RecordMapping>> = {
  'work_item_mod/create/work_item': inferred('created'),
  'work_item_mod/delete/work_item': inferred('deleted'),
  'work_item_mod/modify/work_item_status': inferred('status'),
  'work_item_mod/terminate/*': { kind: 'aborted', confidence: 'doc' },
  'work_item_mod/restore/*': { kind: 'restored', confidence: 'doc' },
  // "修改评论" is listed under modify; no module is named for comments.
  'work_item_mod/create/comment': inferred('comment'),
  'work_item_mod/modify/comment': inferred('comment'),
  'work_item_mod/delete/comment': inferred('comment'),
  'work_item_mod/*/relation': inferred('none'),
  'field_mod/modify/field': inferred('field'),
  'node_mod/complete/node': { kind: 'node_completed', confidence: 'doc' },
  'node_mod/rollback/node': { kind: 'node_rolled_back', confidence: 'doc' },
  // A node reached is a modify of its status (old 1, new 2).
  'node_mod/modify/node': inferred('node'),
  'node_mod/modify/node_schedule': inferred('schedule'),
  'node_mod/add/*': { kind: 'none', confidence: 'doc' },
  'node_mod/remove/*': { kind: 'none', confidence: 'doc' },
  'role_and_user_mod/modify/role': inferred('role'),
  'role_and_user_mod/modify/node_owner': inferred('node_owner'),
  'sub_task_mod/create/sub_task': inferred('subtask', 'created'),
  'sub_task_mod/modify/sub_task': inferred('subtask', 'updated'),
  'sub_task_mod/complete/sub_task': { ...inferred('subtask', 'status'), confidence: 'doc' },
  'sub_task_mod/rollback/sub_task': { ...inferred('subtask', 'status'), confidence: 'doc' },
  'sub_task_mod/delete/sub_task': inferred('subtask', 'deleted'),
  'baseline_mod/*/*': { kind: 'none', confidence: 'doc' },
};

/** The modules the API documents; anything else is unknown. */
export const KNOWN_MODULES = new Set([
  'work_item_mod',
  'node_mod',
  'sub_task_mod',
  'field_mod',
  'role_and_user_mod',
  'baseline_mod',
]);

/** The mapping of one record content, or undefined when the table does not know it. */
export function mappingOf(module: string, operation: string, objectType: string): RecordMapping | undefined {
  return (
    RECORD_MAPPINGS[`${module}/${operation}/${objectType}`] ??
    RECORD_MAPPINGS[`${module}/*/${objectType}`] ??
    RECORD_MAPPINGS[`${module}/${operation}/*`] ??
    RECORD_MAPPINGS[`${module}/*/*`]
  );
}
