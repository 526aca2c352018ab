/** Workflow actions: transition (state flow), complete_node / rollback_node (node flow), sub-tasks. */
import { AutopilotError } from '../errors.ts';
import { buildApiCall } from '../openapi/catalogue.ts';
import { int64 } from '../openapi/json.ts';
import type { ApiCall } from '../plan/run.ts';
import {
  optionalMap,
  optionalString,
  requiredString,
  resolveTarget,
  userList,
  type ActionContext,
  type ActionTarget,
  type BuildResult,
  type Params,
  type ReadApi,
} from './action-context.ts';
import { roleOwners, toFieldValuePairs } from './field-values.ts';

function nodePath(target: ActionTarget, node: string) {
  return {
    project_key: target.project,
    work_item_type_key: target.type,
    work_item_id: target.id,
    node_id: node,
  };
}

function itemPath(target: ActionTarget) {
  return { project_key: target.project, work_item_type_key: target.type, work_item_id: target.id };
}

/** The transition id comes from the item's workflow, read at execution time. */
export function transition(params: Params, ctx: ActionContext): BuildResult {
  resolveTarget('transition', params, ctx);
  requiredString('transition', params, 'to');
  return { deferred: 'transition needs the transition_id from the current state, read from workflow.query' };
}

function workflowQuery(target: ActionTarget): ApiCall {
  return buildApiCall('workflow.query', { path: itemPath(target), body: { flow_type: 1 } });
}

export async function resolveTransition(
  params: Params,
  ctx: ActionContext,
  read: ReadApi,
): Promise<ApiCall[]> {
  const target = resolveTarget('transition', params, ctx);
  const to = requiredString('transition', params, 'to');
  const workflow = (await read(workflowQuery(target))) as Record<string, unknown> | undefined;
  const from = currentState(workflow, ctx);
  // Already there: nothing to write (a retried run must not fail on its own earlier success).
  if (from === to) return [];
  const connections = Array.isArray(workflow?.connections)
    ? (workflow.connections as Record<string, unknown>[])
    : [];
  const edge = connections.find((c) => c.source_state_key === from && c.target_state_key === to);
  if (edge === undefined || edge.transition_id === undefined || edge.transition_id === null) {
    throw new AutopilotError(
      'AP_API_PERMANENT',
      `transition: no transition from '${from}' to '${to}' in the workflow`,
      {
        from,
        to,
      },
    );
  }
  const body: Record<string, unknown> = { transition_id: int64(String(edge.transition_id)) };
  const fields = optionalMap('transition', params, 'fields');
  if (fields !== undefined) body.fields = toFieldValuePairs(fields, ctx.fieldMeta);
  const roles = optionalMap('transition', params, 'roles');
  if (roles !== undefined) body.role_owners = roleOwners(roles);
  return [buildApiCall('workflow.stateChange', { path: itemPath(target), body })];
}

/** The state in progress per the workflow (status 2), else the work item's state. */
function currentState(workflow: Record<string, unknown> | undefined, ctx: ActionContext): string | undefined {
  const nodes = Array.isArray(workflow?.state_flow_nodes)
    ? (workflow.state_flow_nodes as Record<string, unknown>[])
    : [];
  const current = nodes.find((n) => n.status === 2);
  return typeof current?.id === 'string' ? current.id : ctx.workItem?.state;
}

export function completeNode(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('complete_node', params, ctx);
  const node = requiredString('complete_node', params, 'node');
  const body: Record<string, unknown> = { action: 'confirm' };
  const fields = optionalMap('complete_node', params, 'fields');
  if (fields !== undefined) body.fields = toFieldValuePairs(fields, ctx.fieldMeta);
  const owners = userList('complete_node', params, 'owners', false);
  if (owners !== undefined) body.node_owners = owners;
  return { calls: [buildApiCall('workflow.nodeOperate', { path: nodePath(target, node), body })] };
}

export function rollbackNode(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('rollback_node', params, ctx);
  const node = requiredString('rollback_node', params, 'node');
  const body = { action: 'rollback', rollback_reason: requiredString('rollback_node', params, 'reason') };
  return { calls: [buildApiCall('workflow.nodeOperate', { path: nodePath(target, node), body })] };
}

export function createSubtask(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('create_subtask', params, ctx);
  const body: Record<string, unknown> = {
    node_id: requiredString('create_subtask', params, 'node'),
    name: requiredString('create_subtask', params, 'name'),
  };
  const assignee = userList('create_subtask', params, 'assignees', false);
  if (assignee !== undefined) body.assignee = assignee;
  const note = optionalString('create_subtask', params, 'note');
  if (note !== undefined) body.note = note;
  return { calls: [buildApiCall('subtask.create', { path: itemPath(target), body })] };
}

export function completeSubtask(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('complete_subtask', params, ctx);
  const body = {
    node_id: requiredString('complete_subtask', params, 'node'),
    task_id: int64(requiredString('complete_subtask', params, 'task_id')),
    action: 'confirm',
  };
  return { calls: [buildApiCall('subtask.modify', { path: itemPath(target), body })] };
}
