/** Node flow and state flow: workflow query, node update / operate, state_change, transition_required_info. */
import { optArray, optInt, optObject, optString, optStrings, reqInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import { parseFieldPairs, parseRoleOwners, resolvePairs, type ResolvedPair } from '../model/fields.ts';
import { renderWorkflow, type Expand } from '../model/render.ts';
import type { Schedule, Template, WorkItem } from '../model/types.ts';
import {
  confirmNode,
  missingFields,
  moveStatus,
  nodeDef,
  nodeFlowStateKey,
  nodeRun,
  rollbackNode,
  transitionFor,
} from '../model/workflow.ts';
import { assertWritable, targetOf } from './common.ts';
import { applyPairs } from './work-items.ts';

function flowOf(ctx: Ctx, item: WorkItem, want: 'node' | 'state'): Template {
  const template = ctx.tenant.template(item.template_id);
  if (template.flow !== want) throw fail(template.flow === 'state' ? 20026 : 20027);
  return template;
}

function query(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const flowType = optInt(ctx.body, 'flow_type') ?? 0;
  if (flowType !== 0 && flowType !== 1) throw fail(20006, 'flow_type must be 0 or 1');
  flowOf(ctx, item, flowType === 0 ? 'node' : 'state');
  return { data: renderWorkflow(ctx.tenant, item, (optObject(ctx.body, 'expand') ?? {}) as Expand) };
}

function pairsOf(ctx: Ctx, item: WorkItem, key: string): ResolvedPair[] {
  const pairs = parseFieldPairs(ctx.body[key], key);
  return resolvePairs(ctx.tenant, item.project_key, item.work_item_type_key, pairs);
}

function merged(item: WorkItem, pairs: ResolvedPair[]): Record<string, unknown> {
  return { ...item.fields, ...Object.fromEntries(pairs.map((p) => [p.def.field_key, p.value])) };
}

function owners(ctx: Ctx): string[] | undefined {
  const list = optStrings(ctx.body, 'node_owners');
  const unknown = list?.find((u) => !ctx.tenant.findUser(u));
  if (unknown) throw fail(20006, `node_owners: user ${unknown} not found`);
  return list;
}

function nodeUpdate(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const template = flowOf(ctx, item, 'node');
  const nodeId = ctx.params.node_id ?? '';
  nodeDef(template, nodeId);
  const run = nodeRun(item, nodeId);
  const nextOwners = owners(ctx);
  const schedule = optObject(ctx.body, 'node_schedule') as Schedule | undefined;
  optArray(ctx.body, 'schedules');
  if (ctx.body.role_assignee !== undefined) parseRoleOwners(ctx.body.role_assignee, 'role_assignee');
  const pairs = pairsOf(ctx, item, 'fields');
  assertWritable(item);
  if (nextOwners !== undefined) {
    const before = run.owners;
    run.owners = nextOwners;
    ctx.changes.nodeAssigned(item, nodeId, before, nextOwners);
  }
  if (schedule !== undefined) {
    run.schedule = schedule;
    ctx.changes.nodeScheduled(item, nodeId, schedule);
  }
  ctx.changes.updated(item, applyPairs(item, pairs));
  ctx.changes.touch(item);
  return { data: {} };
}

function nodeOperate(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const template = flowOf(ctx, item, 'node');
  const nodeId = ctx.params.node_id ?? '';
  const action = optString(ctx.body, 'action');
  if (action === undefined) throw fail(20005, 'action || rollBackReason is nil');
  if (action !== 'confirm' && action !== 'rollback')
    throw fail(20006, `action must be confirm or rollback, got ${action}`);
  const reason = optString(ctx.body, 'rollback_reason');
  if (action === 'rollback' && !reason) throw fail(20005, 'action || rollBackReason is nil');
  const nextOwners = owners(ctx);
  const pairs = pairsOf(ctx, item, 'fields');
  assertWritable(item);
  const before = item.status.state_key;
  const tasks = ctx.tenant.data.subtasks.filter((t) => t.work_item_id === item.id);
  const changes =
    action === 'confirm'
      ? confirmNode(template, item, nodeId, merged(item, pairs), tasks, ctx.now)
      : rollbackNode(template, item, nodeId, ctx.now);
  if (nextOwners !== undefined) nodeRun(item, nodeId).owners = nextOwners;
  ctx.changes.updated(item, applyPairs(item, pairs));
  ctx.changes.nodesChanged(
    item,
    changes,
    (key) => template.nodes.find((n) => n.state_key === key)?.name ?? key,
  );
  moveStatus(item, nodeFlowStateKey(item), ctx.operator, ctx.now);
  if (item.status.state_key !== before) ctx.changes.statusChanged(item, before, item.status.state_key);
  return { data: {} };
}

function stateChange(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const template = flowOf(ctx, item, 'state');
  const transitionId = optInt(ctx.body, 'transition_id');
  if (!transitionId) throw fail(20005, "transition_id can't be null or 0");
  const pairs = pairsOf(ctx, item, 'fields');
  const roles =
    ctx.body.role_owners === undefined ? undefined : parseRoleOwners(ctx.body.role_owners, 'role_owners');
  assertWritable(item);
  const transition = transitionFor(template, item, transitionId);
  const target = template.states.find((s) => s.state_key === transition.target_state_key);
  if (!target) throw fail(30012, `state ${transition.target_state_key} not found`);
  const missing = missingFields(target.name, transition.required_fields, merged(item, pairs));
  if (missing.length > 0) throw fail(20038, missing.join(', '));
  const from = item.status.state_key;
  const fieldChanges = applyPairs(item, pairs);
  if (roles) {
    const next = [...item.role_owners.filter((r) => !roles.some((n) => n.role === r.role)), ...roles];
    fieldChanges.push({ field_key: 'role_owners', before: item.role_owners, after: next });
    item.role_owners = next;
  }
  moveStatus(item, target.state_key, ctx.operator, ctx.now);
  ctx.changes.updated(item, fieldChanges);
  ctx.changes.statusChanged(item, from, target.state_key);
  return { data: {} };
}

function requiredInfo(ctx: Ctx) {
  const space = ctx.tenant.space(reqString(ctx.body, 'project_key'));
  const item = ctx.tenant.itemInSpace(space, reqInt(ctx.body, 'work_item_id'));
  const stateKey = reqString(ctx.body, 'state_key');
  const onlyUnfinished = optString(ctx.body, 'mode') === 'unfinished';
  const template = ctx.tenant.template(item.template_id);
  let required: string[];
  let tasks: { task_id: number; finished: boolean }[] = [];
  if (template.flow === 'node') {
    const def = template.nodes.find((n) => n.state_key === stateKey);
    if (!def) throw fail(50006, 'This node no longer exists');
    required = def.required_fields;
    tasks = ctx.tenant.data.subtasks
      .filter((t) => t.work_item_id === item.id && t.node_id === stateKey)
      .map((t) => ({ task_id: t.id, finished: t.passed }));
  } else {
    const transition = template.transitions.find(
      (t) => t.source_state_key === item.status.state_key && t.target_state_key === stateKey,
    );
    if (!transition) throw fail(50006, 'This node no longer exists');
    required = transition.required_fields;
  }
  const formItems = required.map((key) => ({
    class: 'field',
    key,
    field_type_key: ctx.tenant.field(item.project_key, item.work_item_type_key, key)?.field_type_key ?? '',
    finished: item.fields[key] !== undefined && item.fields[key] !== null && item.fields[key] !== '',
  }));
  return {
    data: {
      form_items: onlyUnfinished ? formItems.filter((f) => !f.finished) : formItems,
      tasks: onlyUnfinished ? tasks.filter((t) => !t.finished) : tasks,
      deliverables: [],
      node_fields: [],
    },
  };
}

const NODE = '/open_api/:project_key/workflow/:work_item_type_key/:work_item_id/node';

export const workflowRoutes: RouteDef[] = [
  {
    id: 'workflow.query',
    method: 'POST',
    path: '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id/workflow/query',
    handle: query,
  },
  {
    id: 'workflow.stateChange',
    method: 'POST',
    path: `${NODE}/state_change`,
    write: true,
    handle: stateChange,
  },
  { id: 'workflow.nodeUpdate', method: 'PUT', path: `${NODE}/:node_id`, write: true, handle: nodeUpdate },
  {
    id: 'workflow.nodeOperate',
    method: 'POST',
    path: `${NODE}/:node_id/operate`,
    write: true,
    handle: nodeOperate,
  },
  {
    id: 'workflow.transitionRequiredInfo',
    method: 'POST',
    path: '/open_api/work_item/transition_required_info/get',
    handle: requiredInfo,
  },
];
