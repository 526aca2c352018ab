/**
 * The simulated tenant as plain data, so it snapshots to a file and back unchanged.
 * Names follow the Open API's JSON keys where a value is served as is.
 */
export interface User {
  user_key: string;
  username: string;
  name_cn: string;
  name_en: string;
  email: string;
  out_id: string;
  status: string;
}

export interface Space {
  project_key: string;
  simple_name: string;
  name: string;
  administrators: string[];
}

export interface RoleDef {
  id: string;
  name: string;
}

export interface WorkItemType {
  project_key: string;
  type_key: string;
  name: string;
  flow_mode: 'workflow' | 'stateflow';
  template_ids: number[];
  roles: RoleDef[];
  disabled?: boolean;
}

export interface FieldOption {
  value: string;
  label: string;
}

export interface FieldDef {
  project_key: string;
  field_key: string;
  field_alias: string;
  field_name: string;
  field_type_key: string;
  work_item_scopes: string[];
  is_custom_field: boolean;
  options?: FieldOption[];
  /** For related-work-item fields: the type the value points at. */
  relation_type_key?: string;
  /** System fields the update API refuses (aborted, template, owner...). */
  read_only?: boolean;
}

export interface NodeDef {
  state_key: string;
  name: string;
  owner_roles: string[];
  /** Field keys that must be filled before the node can be confirmed (20038). */
  required_fields: string[];
  pass_mode: 1 | 2 | 3;
  milestone?: boolean;
}

export interface StateDef {
  state_key: string;
  name: string;
  is_init: boolean;
  is_archived: boolean;
}

export interface TransitionDef {
  transition_id: number;
  source_state_key: string;
  target_state_key: string;
  /** Field keys that must be filled before this transition (20038). */
  required_fields: string[];
}

export interface Template {
  template_id: number;
  project_key: string;
  work_item_type_key: string;
  name: string;
  version: number;
  flow: 'node' | 'state';
  nodes: NodeDef[];
  connections: { source_state_key: string; target_state_key: string }[];
  states: StateDef[];
  transitions: TransitionDef[];
}

export interface RoleOwner {
  role: string;
  owners: string[];
}

export interface Schedule {
  estimate_start_date?: number;
  estimate_end_date?: number;
  points?: number;
  owners?: string[];
  actual_work_time?: number;
}

/** Node status: 1 not reached, 2 in progress, 3 completed. */
export type NodeStatus = 1 | 2 | 3;

export interface NodeRun {
  state_key: string;
  status: NodeStatus;
  owners: string[];
  begin: number;
  finish: number;
  schedule?: Schedule;
}

export interface StatusChange {
  state_key: string;
  updated_at: number;
  updated_by: string;
}

export interface WorkItem {
  id: number;
  project_key: string;
  work_item_type_key: string;
  template_id: number;
  name: string;
  /** field_key → value in the API's read format. */
  fields: Record<string, unknown>;
  role_owners: RoleOwner[];
  status: StatusChange;
  history: StatusChange[];
  nodes: NodeRun[];
  state_times: { state_key: string; start_time: number; end_time: number }[];
  aborted: { is_aborted: boolean; reason: string; prior_state_key: string };
  frozen: boolean;
  deleted: boolean;
  created_by: string;
  created_at: number;
  updated_by: string;
  updated_at: number;
  /** The parent work item (a parent-child work item relation), served with `expand.need_parent_workitem`. */
  parent?: { relation_id: string; work_item_id: number };
}

/**
 * A parent-child work item relation (`GET work_item/relation`, `relation_type` 1): items of
 * `work_item_type_key` have a parent of `parent_type_key` in `parent_project_key`.
 */
export interface ParentRelation {
  id: string;
  name: string;
  project_key: string;
  work_item_type_key: string;
  parent_project_key: string;
  parent_type_key: string;
}

export interface Subtask {
  id: number;
  project_key: string;
  work_item_id: number;
  node_id: string;
  name: string;
  passed: boolean;
  assignee: string[];
  role_assignee: RoleOwner[];
  schedule?: Schedule;
  note: string;
  created_at: number;
  begin: number;
  finish: number;
}

export interface Comment {
  /** 19 digits: above 2^53, so kept as a string and served as an unquoted number. */
  id: string;
  project_key: string;
  work_item_id: number;
  work_item_type_key: string;
  operator: string;
  content: string;
  created_at: number;
}

export interface RelationRule {
  id: string;
  name: string;
  project_key: string;
  remote_project_key: string;
  current_work_item_type_key: string;
  remote_work_item_type_key: string;
  work_item_relation_id: string;
  work_item_relation_name: string;
  disabled: number;
  chat_group_merge: number;
}

export interface RelationBinding {
  rule_id: string;
  work_item_id: number;
  remote_project_key: string;
  remote_work_item_type_key: string;
  remote_work_item_id: number;
  chat_group_merge: number;
}

export interface OpRecord {
  seq: number;
  project_key: string;
  work_item_type_key: string;
  work_item_id: number;
  operation_time: number;
  operator: string;
  operator_type: string;
  /** `plugin` (with the plugin id) or `auto` (with the automation rule id); absent for users. */
  source_type?: string;
  source?: string;
  operation_type: string;
  op_record_module: string;
  record_contents: {
    object: { object_type: string; object_value: string };
    old: string[];
    new: string[];
    add: string[];
    delete: string[];
    /** What the object belongs to (a sub-task's node). */
    belong_object?: { object_type: string; object_value: string }[];
  }[];
}

/** A person on the Lark side: `union_id` is what Feishu Project's `user/query` answers as `out_id`. */
export interface LarkUser {
  open_id: string;
  union_id: string;
  user_id: string;
  name: string;
  email: string;
}

/** A group chat; the app's bot can send to it only when `bot_member`. */
export interface LarkChat {
  chat_id: string;
  name: string;
  /** open_ids of the people in it. */
  members: string[];
  bot_member: boolean;
}

export interface LarkTenant {
  app_id: string;
  app_secret: string;
  /** Absent in snapshots written before the Lark side existed: the demo directory is used. */
  users?: LarkUser[];
  chats?: LarkChat[];
}

export interface TenantData {
  plugin: { plugin_id: string; plugin_secret: string };
  /** The Lark app standing in for a chat bot, and the Lark side of the tenant (people and chats). */
  lark: LarkTenant;
  /** The user the engine acts as (X-USER-KEY), printed by `autopilot sim`. */
  bot_user_key: string;
  users: User[];
  spaces: Space[];
  types: WorkItemType[];
  fields: FieldDef[];
  templates: Template[];
  work_items: WorkItem[];
  subtasks: Subtask[];
  comments: Comment[];
  relation_rules: RelationRule[];
  bindings: RelationBinding[];
  /** Parent-child relations; absent in older snapshots and seeds (none). */
  parent_relations?: ParentRelation[];
  op_records: OpRecord[];
  counters: { work_item: number; subtask: number; comment: string; op_record: number };
}
