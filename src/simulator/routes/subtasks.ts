/** Sub-tasks on nodes: search, list, create, update, modify (confirm / rollback), delete. */
import { optInt, optObject, optString, optStrings, page, paging, reqInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import { parseRoleOwners } from '../model/fields.ts';
import { renderSubtask } from '../model/render.ts';
import type { RoleOwner, Schedule, Subtask, WorkItem } from '../model/types.ts';
import { nodeDef } from '../model/workflow.ts';
import { assertWritable, parseId, targetOf, timeInterval } from './common.ts';

function nodeFlowTarget(ctx: Ctx): WorkItem {
  const { item } = targetOf(ctx);
  if (ctx.tenant.template(item.template_id).flow !== 'node') throw fail(20026);
  return item;
}

function assignees(ctx: Ctx): { assignee?: string[]; role_assignee?: RoleOwner[] } {
  const assignee = optStrings(ctx.body, 'assignee');
  const roles =
    ctx.body.role_assignee === undefined
      ? undefined
      : parseRoleOwners(ctx.body.role_assignee, 'role_assignee');
  if (assignee !== undefined && roles !== undefined) throw fail(20047);
  return { assignee, role_assignee: roles };
}

function taskOf(ctx: Ctx, item: WorkItem, rawId: unknown): Subtask {
  const id = typeof rawId === 'number' ? rawId : parseId(String(rawId ?? ''), 'task_id');
  const task = ctx.tenant.data.subtasks.find((t) => t.id === id && t.work_item_id === item.id);
  if (!task) throw fail(20046, `task ${id} is not in the workflow of ${item.id}`);
  return task;
}

function search(ctx: Ctx) {
  const keys = [
    ...(optStrings(ctx.body, 'project_keys') ?? []),
    ...(optStrings(ctx.body, 'simple_names') ?? []),
  ];
  const projectKeys = keys.map((k) => ctx.tenant.findSpace(k)?.project_key);
  const name = optString(ctx.body, 'name');
  const users = optStrings(ctx.body, 'user_keys');
  const status = optInt(ctx.body, 'status');
  const created = timeInterval(ctx.body.created_at, 'created_at');
  const paged = paging(ctx.body, 50, 50);
  const found = ctx.tenant.data.subtasks.filter(
    (t) =>
      (keys.length === 0 || projectKeys.includes(t.project_key)) &&
      (name === undefined || t.name.includes(name)) &&
      (users === undefined || t.assignee.some((u) => users.includes(u))) &&
      (status === undefined || (status === 1) === t.passed) &&
      (created === undefined || (t.created_at >= created.start && t.created_at <= created.end)) &&
      ctx.tenant.itemById(t.work_item_id) !== undefined,
  );
  const { items, pagination } = page(found, paged);
  const data = items.map((t) => ({
    work_item_id: t.work_item_id,
    work_item_name: ctx.tenant.itemById(t.work_item_id)?.name ?? '',
    node_id: t.node_id,
    sub_task: renderSubtask(t),
  }));
  return { data, pagination };
}

function list(ctx: Ctx) {
  const item = nodeFlowTarget(ctx);
  const template = ctx.tenant.template(item.template_id);
  const only = typeof ctx.query.node_id === 'string' ? ctx.query.node_id : undefined;
  const tasks = ctx.tenant.data.subtasks.filter((t) => t.work_item_id === item.id);
  const data = template.nodes
    .filter((n) => only === undefined || n.state_key === only)
    .map((n) => ({
      id: n.state_key,
      state_key: n.state_key,
      node_name: n.name,
      template_id: template.template_id,
      version: template.version,
      sub_tasks: tasks.filter((t) => t.node_id === n.state_key).map(renderSubtask),
    }));
  return { data };
}

function create(ctx: Ctx) {
  const item = nodeFlowTarget(ctx);
  const nodeId = reqString(ctx.body, 'node_id');
  const name = reqString(ctx.body, 'name');
  nodeDef(ctx.tenant.template(item.template_id), nodeId);
  const who = assignees(ctx);
  const schedule = optObject(ctx.body, 'schedule') as Schedule | undefined;
  const note = optString(ctx.body, 'note') ?? '';
  assertWritable(item);
  const task: Subtask = {
    id: ctx.tenant.nextSubtaskId(),
    project_key: item.project_key,
    work_item_id: item.id,
    node_id: nodeId,
    name,
    passed: false,
    assignee: who.assignee ?? [],
    role_assignee: who.role_assignee ?? [],
    schedule,
    note,
    created_at: ctx.now,
    begin: ctx.now,
    finish: 0,
  };
  ctx.tenant.data.subtasks.push(task);
  ctx.changes.task(item, task, 'TaskCreateEvent');
  return { data: task.id };
}

function update(ctx: Ctx) {
  const item = nodeFlowTarget(ctx);
  const task = taskOf(ctx, item, ctx.params.task_id);
  if (task.node_id !== ctx.params.node_id)
    throw fail(20046, `task ${task.id} is not on node ${ctx.params.node_id}`);
  const name = optString(ctx.body, 'name');
  const who = assignees(ctx);
  const schedule = optObject(ctx.body, 'schedule') as Schedule | undefined;
  const note = optString(ctx.body, 'note');
  assertWritable(item);
  if (name !== undefined) task.name = name;
  if (who.assignee) task.assignee = who.assignee;
  if (who.role_assignee) task.role_assignee = who.role_assignee;
  if (schedule) task.schedule = schedule;
  if (note !== undefined) task.note = note;
  ctx.changes.task(item, task, 'TaskUpdateEvent');
}

function modify(ctx: Ctx) {
  const item = nodeFlowTarget(ctx);
  reqString(ctx.body, 'node_id');
  const task = taskOf(ctx, item, reqInt(ctx.body, 'task_id'));
  const action = reqString(ctx.body, 'action');
  if (action !== 'confirm' && action !== 'rollback') throw fail(20082, `action ${action}`);
  const who = assignees(ctx);
  assertWritable(item);
  if (who.assignee) task.assignee = who.assignee;
  task.passed = action === 'confirm';
  task.finish = task.passed ? ctx.now : 0;
  ctx.changes.task(item, task, 'TaskStatusEvent');
}

function remove(ctx: Ctx) {
  const item = nodeFlowTarget(ctx);
  const task = taskOf(ctx, item, ctx.params.task_id);
  assertWritable(item);
  ctx.tenant.data.subtasks = ctx.tenant.data.subtasks.filter((t) => t !== task);
  ctx.changes.task(item, task, 'TaskDeleteEvent');
}

const ITEM = '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id';

export const subtaskRoutes: RouteDef[] = [
  {
    id: 'subtask.search',
    method: 'POST',
    path: '/open_api/work_item/subtask/search',
    limit: { qps: 15, qpm: 450 },
    handle: search,
  },
  { id: 'subtask.list', method: 'GET', path: `${ITEM}/workflow/task`, handle: list },
  { id: 'subtask.create', method: 'POST', path: `${ITEM}/workflow/task`, write: true, handle: create },
  {
    id: 'subtask.update',
    method: 'POST',
    path: `${ITEM}/workflow/:node_id/task/:task_id`,
    write: true,
    handle: update,
  },
  { id: 'subtask.modify', method: 'POST', path: `${ITEM}/subtask/modify`, write: true, handle: modify },
  { id: 'subtask.delete', method: 'DELETE', path: `${ITEM}/task/:task_id`, write: true, handle: remove },
];
