/**
 * The tenant's records in the shapes the Open API returns (data-structures §4–§6).
 * Pure: state in, JSON-ready objects out.
 */
import { LosslessNumber } from 'lossless-json';
import { fail } from '../http/sim-error.ts';
import type { Tenant } from './tenant.ts';
import type { Comment, FieldDef, NodeRun, Subtask, Template, WorkItem } from './types.ts';
import { inProgress } from './workflow.ts';

export interface Expand {
  need_workflow?: boolean;
  need_user_detail?: boolean;
  need_parent_workitem?: boolean;
}

function iso(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '';
}

/** `fields` request lists: all names kept, or all `-`-prefixed names dropped; never mixed (20015). */
export function fieldSelector(
  selection: string[] | undefined,
): (def: { field_key: string; field_alias: string }) => boolean {
  if (!selection || selection.length === 0) return () => true;
  const excluded = selection.filter((f) => f.startsWith('-'));
  if (excluded.length > 0 && excluded.length < selection.length)
    throw fail(20015, 'fields mixes - and non -');
  const names = new Set(selection.map((f) => f.replace(/^-/, '')));
  const listed = (d: { field_key: string; field_alias: string }) =>
    names.has(d.field_key) || names.has(d.field_alias);
  return excluded.length > 0 ? (d) => !listed(d) : listed;
}

function fieldEntry(def: Pick<FieldDef, 'field_key' | 'field_alias' | 'field_type_key'>, value: unknown) {
  return {
    field_key: def.field_key,
    field_alias: def.field_alias,
    field_type_key: def.field_type_key,
    field_value: value,
  };
}

function systemFields(tenant: Tenant, item: WorkItem) {
  const template = tenant.data.templates.find((t) => t.template_id === item.template_id);
  return [
    fieldEntry(
      { field_key: 'role_owners', field_alias: '', field_type_key: 'role_owners' },
      item.role_owners,
    ),
    fieldEntry(
      { field_key: 'aborted', field_alias: '', field_type_key: 'aborted' },
      { is_aborted: item.aborted.is_aborted, reason: item.aborted.reason },
    ),
    fieldEntry({ field_key: 'owner', field_alias: 'owner', field_type_key: 'user' }, item.created_by),
    fieldEntry(
      { field_key: 'template', field_alias: '', field_type_key: 'work_item_template' },
      { id: item.template_id, version: template?.version ?? 1 },
    ),
  ];
}

export function isArchived(tenant: Tenant, item: WorkItem): boolean {
  const template = tenant.template(item.template_id);
  if (template.flow === 'node') return inProgress(item).length === 0;
  return template.states.find((s) => s.state_key === item.status.state_key)?.is_archived ?? false;
}

function workItemStatus(tenant: Tenant, item: WorkItem, template: Template) {
  const init =
    template.flow === 'node'
      ? item.status.state_key === template.nodes[0]?.state_key
      : (template.states.find((s) => s.state_key === item.status.state_key)?.is_init ?? false);
  return {
    state_key: item.status.state_key,
    is_init_state: init,
    is_archived_state: isArchived(tenant, item),
    updated_at: item.status.updated_at,
    updated_by: item.status.updated_by,
    history: item.history.map((h) => ({ ...h, is_init_state: false, is_archived_state: false })),
  };
}

function nodeName(template: Template, key: string): string {
  return template.nodes.find((n) => n.state_key === key)?.name ?? key;
}

/** WorkItemInfo as filter / search / query return it. */
export function renderWorkItem(tenant: Tenant, item: WorkItem, fields?: string[], expand: Expand = {}) {
  const template = tenant.template(item.template_id);
  const space = tenant.space(item.project_key);
  const keep = fieldSelector(fields);
  const custom = tenant
    .fieldsOf(item.project_key, item.work_item_type_key)
    .filter((def) => item.fields[def.field_key] !== undefined)
    .map((def) => fieldEntry(def, item.fields[def.field_key]));
  const info: Record<string, unknown> = {
    id: item.id,
    name: item.name,
    work_item_type_key: item.work_item_type_key,
    project_key: item.project_key,
    simple_name: space.simple_name,
    pattern: template.flow === 'node' ? 'Node' : 'State',
    template_id: item.template_id,
    template_type: `${item.project_key}_template_${item.template_id}`,
    sub_stage: '',
    work_item_status: workItemStatus(tenant, item, template),
    current_nodes:
      template.flow === 'node'
        ? inProgress(item).map((n) => ({
            id: n.state_key,
            name: nodeName(template, n.state_key),
            owners: n.owners,
            milestone: false,
          }))
        : [],
    state_times: stateTimesOf(template, item),
    created_by: item.created_by,
    updated_by: item.updated_by,
    deleted_by: '',
    created_at: item.created_at,
    updated_at: item.updated_at,
    deleted_at: 0,
    fields: [...custom, ...systemFields(tenant, item)].filter(keep),
  };
  if (expand.need_workflow) {
    if (template.flow !== 'node') throw fail(20003, 'need_workflow is only supported for node flow items');
    info.workflow_infos = renderWorkflow(tenant, item, {});
  }
  if (expand.need_user_detail) info.user_details = userDetails(tenant, [item.created_by, item.updated_by]);
  if (expand.need_parent_workitem) {
    // [sdk] v2 WorkItemInfo.parent_work_item; relation_uuid names the work item relation.
    info.parent_work_item = item.parent
      ? [
          {
            relation_uuid: item.parent.relation_id,
            parent_work_item_id: item.parent.work_item_id,
            parent_node_key: '',
          },
        ]
      : [];
  }
  return info;
}

/**
 * "Time spent per node/state": a state flow's status moves; in a node flow every node reached
 * (parallel ones too) with its begin and finish [inferred: the doc's example lists one node],
 * plus the statuses that are no node (`closed` while aborted).
 */
function stateTimesOf(template: Template, item: WorkItem) {
  if (template.flow !== 'node')
    return item.state_times.map((t) => ({ ...t, name: stateName(template, t.state_key) }));
  const nodeKeys = new Set(template.nodes.map((n) => n.state_key));
  const nodes = item.nodes
    .filter((run) => run.begin > 0)
    .map((run) => ({
      state_key: run.state_key,
      name: nodeName(template, run.state_key),
      start_time: run.begin,
      end_time: run.status === 2 ? 0 : run.finish,
    }));
  const others = item.state_times
    .filter((t) => !nodeKeys.has(t.state_key))
    .map((t) => ({ ...t, name: t.state_key }));
  return [...nodes, ...others];
}

function stateName(template: Template, key: string): string {
  return template.states.find((s) => s.state_key === key)?.name ?? key;
}

export function userDetails(tenant: Tenant, keys: string[]) {
  return [...new Set(keys)]
    .map((k) => tenant.findUser(k))
    .filter((u) => u !== undefined)
    .map((u) => ({
      user_key: u.user_key,
      username: u.username,
      email: u.email,
      name_cn: u.name_cn,
      name_en: u.name_en,
    }));
}

export function renderSubtask(task: Subtask) {
  return {
    id: String(task.id),
    name: task.name,
    passed: task.passed,
    owners: task.assignee,
    assignee: task.assignee,
    role_assignee: task.role_assignee,
    owner_roles: task.role_assignee.map((r) => r.role),
    owner_usage_mode: task.role_assignee.length > 0 ? 2 : 1,
    schedules: task.schedule ? [task.schedule] : [],
    order: 0,
    details: '',
    note: task.note,
    actual_begin_time: iso(task.begin),
    actual_finish_time: iso(task.finish),
    deliverable: [],
    fields: [],
  };
}

function renderNode(template: Template, run: NodeRun, tasks: Subtask[]) {
  const def = template.nodes.find((n) => n.state_key === run.state_key);
  return {
    id: run.state_key,
    state_key: run.state_key,
    name: def?.name ?? run.state_key,
    status: run.status,
    owners: run.owners,
    owner_roles: def?.owner_roles ?? [],
    role_assignee: [],
    owner_usage_mode: 1,
    node_schedule: run.schedule ?? {},
    schedules: [],
    different_schedule: false,
    milestone: def?.milestone ?? false,
    actual_begin_time: iso(run.begin),
    actual_finish_time: iso(run.finish),
    fields: [],
    sub_tasks: tasks.filter((t) => t.node_id === run.state_key).map(renderSubtask),
  };
}

/** NodesConnections: workflow_nodes for node flow, state_flow_nodes with transition ids for state flow. */
export function renderWorkflow(tenant: Tenant, item: WorkItem, expand: Expand) {
  const template = tenant.template(item.template_id);
  const tasks = tenant.data.subtasks.filter((t) => t.work_item_id === item.id);
  const common = { template_id: template.template_id, version: template.version };
  const users = expand.need_user_detail ? { user_details: userDetails(tenant, [item.created_by]) } : {};
  if (template.flow === 'node') {
    return {
      workflow_nodes: item.nodes.map((run) => renderNode(template, run, tasks)),
      connections: template.connections.map((c) => ({ ...c })),
      ...common,
      ...users,
    };
  }
  return {
    state_flow_nodes: template.states.map((s) => {
      const times = item.state_times.filter((t) => t.state_key === s.state_key).at(-1);
      const current = item.status.state_key === s.state_key;
      return {
        id: s.state_key,
        name: s.name,
        status: current ? 2 : times ? 3 : 1,
        role_owners: item.role_owners,
        actual_begin_time: iso(times?.start_time ?? 0),
        actual_finish_time: current ? '' : iso(times?.end_time ?? 0),
        fields: [],
      };
    }),
    connections: template.transitions.map((t) => ({
      source_state_key: t.source_state_key,
      target_state_key: t.target_state_key,
      transition_id: t.transition_id,
    })),
    ...common,
    ...users,
  };
}

/** Comment ids go out as unquoted 19-digit numbers, as the real API sends them. */
export function renderComment(comment: Comment) {
  return {
    id: new LosslessNumber(comment.id),
    work_item_id: comment.work_item_id,
    work_item_type_key: comment.work_item_type_key,
    created_at: comment.created_at,
    operator: comment.operator,
    content: comment.content,
  };
}
