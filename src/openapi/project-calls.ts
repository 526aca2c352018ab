/**
 * Builders of exact calls for the operations the actions and polls use. Pure: they return an
 * ApiCall (for planning and for ProjectApi). Ids are taken as strings and sent as JSON integers
 * where the API wants int64.
 */
import type { ApiCall } from '../plan/run.ts';
import type { FieldValuePair, RoleOwner, Schedule, SearchGroup, WorkItemRef } from './api-types.ts';
import { buildApiCall } from './catalogue.ts';
import { int64 } from './json.ts';

const item = (ref: WorkItemRef) => ({
  project_key: ref.projectKey,
  work_item_type_key: ref.typeKey,
  work_item_id: ref.id,
});
const ids = (list: readonly string[]) => list.map((id) => int64(id));

type Expand = Record<string, boolean>;

export interface FilterBody {
  work_item_type_keys: string[];
  work_item_ids?: string[];
  updated_at?: { start: number; end?: number };
  created_at?: { start: number; end?: number };
  work_item_name?: string;
  user_keys?: string[];
  work_item_status?: Array<{ state_key: string }>;
  page_num?: number;
  page_size?: number;
  expand?: Expand;
}

export const projectCalls = {
  queryWorkItems(
    projectKey: string,
    typeKey: string,
    workItemIds: readonly string[],
    fields?: string[],
    expand?: Expand,
  ): ApiCall {
    const body = { work_item_ids: ids(workItemIds), ...(fields && { fields }), ...(expand && { expand }) };
    return buildApiCall('workItem.query', {
      path: { project_key: projectKey, work_item_type_key: typeKey },
      body,
    });
  },

  filterWorkItems(projectKey: string, filter: FilterBody): ApiCall {
    const body = { ...filter, ...(filter.work_item_ids && { work_item_ids: ids(filter.work_item_ids) }) };
    return buildApiCall('workItem.filter', { path: { project_key: projectKey }, body });
  },

  searchByParams(
    projectKey: string,
    typeKey: string,
    body: {
      search_group: SearchGroup;
      page_num?: number;
      page_size?: number;
      fields?: string[];
      expand?: Expand;
    },
  ): ApiCall {
    return buildApiCall('workItem.searchByParams', {
      path: { project_key: projectKey, work_item_type_key: typeKey },
      body,
    });
  },

  workItemMeta(projectKey: string, typeKey: string): ApiCall {
    return buildApiCall('workItem.meta', { path: { project_key: projectKey, work_item_type_key: typeKey } });
  },

  createWorkItem(
    projectKey: string,
    body: {
      work_item_type_key: string;
      name?: string;
      template_id?: string;
      field_value_pairs?: FieldValuePair[];
    },
  ): ApiCall {
    const sent = { ...body, ...(body.template_id !== undefined && { template_id: int64(body.template_id) }) };
    return buildApiCall('workItem.create', { path: { project_key: projectKey }, body: sent });
  },

  updateWorkItem(ref: WorkItemRef, updateFields: FieldValuePair[]): ApiCall {
    return buildApiCall('workItem.update', { path: item(ref), body: { update_fields: updateFields } });
  },

  /** `aborted: true` terminates, `false` restores. */
  abortWorkItem(
    ref: WorkItemRef,
    body: { is_aborted: boolean; reason: string; reason_option?: string },
  ): ApiCall {
    return buildApiCall('workItem.abort', { path: item(ref), body });
  },

  workflowQuery(
    ref: WorkItemRef,
    body: { flow_type?: 0 | 1; fields?: string[]; expand?: Expand } = { flow_type: 0 },
  ): ApiCall {
    return buildApiCall('workflow.query', { path: item(ref), body });
  },

  operateNode(
    ref: WorkItemRef,
    nodeId: string,
    body: {
      action: 'confirm' | 'rollback';
      rollback_reason?: string;
      fields?: FieldValuePair[];
      node_owners?: string[];
      node_schedule?: Schedule;
      role_assignee?: RoleOwner[];
    },
  ): ApiCall {
    return buildApiCall('workflow.nodeOperate', { path: { ...item(ref), node_id: nodeId }, body });
  },

  changeState(
    ref: WorkItemRef,
    body: { transition_id: string; fields?: FieldValuePair[]; role_owners?: RoleOwner[] },
  ): ApiCall {
    return buildApiCall('workflow.stateChange', {
      path: item(ref),
      body: { ...body, transition_id: int64(body.transition_id) },
    });
  },

  transitionRequiredInfo(ref: WorkItemRef, stateKey: string, mode?: 'unfinished'): ApiCall {
    const body = {
      project_key: ref.projectKey,
      work_item_type_key: ref.typeKey,
      work_item_id: int64(ref.id),
      state_key: stateKey,
      ...(mode && { mode }),
    };
    return buildApiCall('workflow.transitionRequiredInfo', { body });
  },

  createComment(ref: WorkItemRef, body: { content: string } | { rich_text: unknown[] }): ApiCall {
    return buildApiCall('comment.create', { path: item(ref), body });
  },

  listComments(ref: WorkItemRef, page: { page_num?: number; page_size?: number } = {}): ApiCall {
    const query = Object.fromEntries(Object.entries(page).map(([k, v]) => [k, String(v)]));
    return buildApiCall('comment.list', { path: item(ref), query });
  },

  createSubtask(
    ref: WorkItemRef,
    body: {
      node_id: string;
      name: string;
      assignee?: string[];
      role_assignee?: RoleOwner[];
      schedule?: Schedule;
      note?: string;
    },
  ): ApiCall {
    return buildApiCall('subtask.create', { path: item(ref), body });
  },

  modifySubtask(
    ref: WorkItemRef,
    body: {
      node_id: string;
      task_id: string;
      action: 'confirm' | 'rollback';
      assignee?: string[];
      note?: string;
    },
  ): ApiCall {
    return buildApiCall('subtask.modify', {
      path: item(ref),
      body: { ...body, task_id: int64(body.task_id) },
    });
  },

  listSubtasks(ref: WorkItemRef, nodeId?: string): ApiCall {
    return buildApiCall('subtask.list', {
      path: item(ref),
      ...(nodeId !== undefined && { query: { node_id: nodeId } }),
    });
  },

  relationRules(projectKey: string, remoteProjects?: string[]): ApiCall {
    const body = remoteProjects === undefined ? {} : { remote_projects: remoteProjects };
    return buildApiCall('relation.rules', { path: { project_key: projectKey }, body });
  },

  relationWorkItems(ref: WorkItemRef, relationRuleId: string): ApiCall {
    return buildApiCall('relation.workItemList', {
      path: item(ref),
      body: { relation_rule_id: relationRuleId },
    });
  },

  bindRelations(
    ref: WorkItemRef,
    relationRuleId: string,
    instances: ReadonlyArray<{
      project_key: string;
      work_item_type_key: string;
      work_item_id: string;
      chat_group_merge?: 0 | 1;
    }>,
  ): ApiCall {
    const sent = instances.map((i) => ({ chat_group_merge: 0, ...i, work_item_id: int64(i.work_item_id) }));
    return buildApiCall('relation.batchBind', {
      path: item(ref),
      body: { relation_rule_id: relationRuleId, instances: sent },
    });
  },

  unbindRelation(ref: WorkItemRef, relationRuleId: string, relationWorkItemId: string): ApiCall {
    const body = { relation_rule_id: relationRuleId, relation_work_item_id: int64(relationWorkItemId) };
    return buildApiCall('relation.unbind', { path: item(ref), body });
  },

  allFields(projectKey: string, typeKey?: string): ApiCall {
    const body = typeKey === undefined ? {} : { work_item_type_key: typeKey };
    return buildApiCall('config.fieldsAll', { path: { project_key: projectKey }, body });
  },

  allTypes(projectKey: string): ApiCall {
    return buildApiCall('config.allTypes', { path: { project_key: projectKey } });
  },

  opRecords(body: {
    project_key: string;
    work_item_ids: string[];
    start_from?: string;
    operator_type?: string[];
    operation_type?: string[];
    start?: number;
    end?: number;
    page_size?: number;
  }): ApiCall {
    return buildApiCall('workItem.opRecords', { body: { ...body, work_item_ids: ids(body.work_item_ids) } });
  },

  queryUsers(body: { user_keys?: string[]; out_ids?: string[]; emails?: string[] }): ApiCall {
    return buildApiCall('user.query', { body });
  },
};
