/**
 * Response and request shapes of the operations the actions and polls use (API reference
 * data-structures.md). Ids are strings: the client parses every `id`, `*_id` and `*_ids` value
 * as a string. Only the fields the engine reads are typed; the API may add more at any time.
 */
import type { ApiOutcome } from './types.ts';

/** An outcome whose `data` has a known shape when `class` is `ok`. */
export type Result<T> = Omit<ApiOutcome, 'data'> & { data?: T };

export interface WorkItemRef {
  projectKey: string;
  typeKey: string;
  id: string;
}

export interface FieldValuePair {
  field_key?: string;
  field_alias?: string;
  field_type_key?: string;
  field_value: unknown;
}

export interface RoleOwner {
  role: string;
  owners: string[] | null;
}

export interface Schedule {
  estimate_start_date?: number;
  estimate_end_date?: number;
  points?: number;
  owners?: string[];
}

export interface WorkItemStatus {
  state_key: string;
  is_archived_state?: boolean;
  is_init_state?: boolean;
  updated_at?: number;
  updated_by?: string;
}

export interface WorkItemInfo {
  id: string;
  name: string;
  work_item_type_key: string;
  project_key: string;
  simple_name?: string;
  /** `Node` (node flow) or `State` (state flow). */
  pattern?: string;
  template_id?: string;
  work_item_status?: WorkItemStatus | Record<string, never>;
  current_nodes?: Array<{ id: string; name: string; owners?: string[]; milestone?: boolean }>;
  fields?: FieldValuePair[];
  created_by?: string;
  updated_by?: string;
  created_at?: number;
  updated_at?: number;
}

export interface Connection {
  source_state_key: string;
  target_state_key: string;
  /** State flows only; an int64 kept as a string. */
  transition_id?: string;
}

export interface WorkflowNode {
  id: string;
  state_key?: string;
  name: string;
  /** 1 not reached, 2 in progress, 3 completed. */
  status: number;
  owners?: string[];
  role_owners?: RoleOwner[];
  fields?: FieldValuePair[];
  actual_begin_time?: string;
  actual_finish_time?: string;
}

export interface NodesConnections {
  workflow_nodes?: WorkflowNode[];
  state_flow_nodes?: WorkflowNode[];
  connections: Connection[];
  template_id?: string;
  version?: number;
}

export interface Comment {
  id: string;
  work_item_id: string;
  work_item_type_key: string;
  created_at: number;
  operator: string;
  content: string;
}

export interface SubTask {
  id: string;
  name: string;
  passed?: boolean;
  owners?: string[];
  assignee?: string[];
}

export interface NodeTask {
  id: string;
  state_key: string;
  node_name: string;
  template_id?: string;
  version?: number;
  sub_tasks: SubTask[];
}

export interface TransRequiredInfo {
  form_items: Array<{ class: string; key: string; field_type_key?: string; finished: boolean }>;
  tasks: Array<{ task_id: string; finished: boolean }>;
  deliverables: unknown[];
  node_fields: unknown[];
}

export interface RelationInstance {
  relation_work_item_id: string;
  relation_work_item_name?: string;
  relation_work_item_type_key: string;
  project_relation_rule_id: string;
  relation_project_key: string;
}

export interface ProjectRelationRule {
  remote_project_key: string;
  remote_project_name?: string;
  rules: Array<{
    id: string;
    name: string;
    current_work_item_type_key: string;
    remote_work_item_type_key: string;
  }>;
}

export interface FieldConf {
  field_key: string;
  field_alias?: string;
  field_name?: string;
  field_type_key: string;
  is_required?: number;
}

export interface SimpleField {
  field_key: string;
  field_alias?: string;
  field_type_key: string;
  field_name: string;
  options?: Array<{ label: string; value: string }>;
}

export interface WorkItemKeyType {
  type_key: string;
  name: string;
  is_disable?: number;
  api_name?: string;
}

export interface OpRecordPage {
  has_more: boolean;
  start_from: string;
  total?: number;
  op_records: Array<{
    work_item_id: string;
    work_item_type_key: string;
    operation_time: number;
    operator_type: string;
    operator: string;
    operation_type: string;
    op_record_module: string;
  }>;
}

export interface UserInfo {
  user_key: string;
  name_cn?: string;
  name_en?: string;
  email?: string;
  out_id?: string;
  status?: string;
}

export interface SearchGroup {
  conjunction: 'AND' | 'OR';
  search_params: Array<{ param_key: string; value: unknown; operator: string }>;
  search_groups?: SearchGroup[];
}
