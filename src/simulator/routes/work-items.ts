/** Work item writes: create, update, delete, abort/restore, freeze, batch update, compound fields. */
import { randomUUID } from 'node:crypto';
import { optBool, optInt, optString, reqIdList, reqInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import type { FieldChange } from '../model/changes.ts';
import { parseFieldPairs, resolvePairs, type ResolvedPair } from '../model/fields.ts';
import type { RoleOwner, WorkItem } from '../model/types.ts';
import { newWorkItem } from '../model/work-item-factory.ts';
import { moveStatus } from '../model/workflow.ts';
import { assertWritable, sameValue, spaceOf, targetOf } from './common.ts';

function create(ctx: Ctx) {
  const space = spaceOf(ctx);
  const type = ctx.tenant.type(space, reqString(ctx.body, 'work_item_type_key'));
  const pairs = parseFieldPairs(ctx.body.field_value_pairs, 'field_value_pairs');
  if (pairs.some((p) => p.key === 'template_id' || p.key === 'template')) {
    throw fail(20006, 'template_id must not be set in field_value_pairs');
  }
  const topName = optString(ctx.body, 'name');
  const pairName = pairs.find((p) => p.key === 'name');
  if (topName !== undefined && pairName)
    throw fail(20006, 'name is set both in name and in field_value_pairs');
  const name = topName ?? (typeof pairName?.value === 'string' ? pairName.value : undefined);
  if (name === undefined || name === '') throw fail(20005, 'name is required');
  const resolved = resolvePairs(
    ctx.tenant,
    space.project_key,
    type.type_key,
    pairs.filter((p) => p.key !== 'name'),
  );
  const item = newWorkItem(ctx.tenant, {
    space,
    type,
    name,
    templateId: optInt(ctx.body, 'template_id'),
    pairs: resolved,
    operator: ctx.operator,
    now: ctx.now,
  });
  ctx.changes.created(item);
  return { data: item.id };
}

/** Apply resolved pairs to an item, returning what actually changed. */
export function applyPairs(item: WorkItem, pairs: ResolvedPair[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const { def, value } of pairs) {
    const key = def.field_key;
    const before = key === 'name' ? item.name : key === 'role_owners' ? item.role_owners : item.fields[key];
    if (sameValue(before, value)) continue;
    if (key === 'name') item.name = value as string;
    else if (key === 'role_owners') item.role_owners = value as RoleOwner[];
    else item.fields[key] = value;
    changes.push({ field_key: key, before: before ?? null, after: value });
  }
  return changes;
}

function update(ctx: Ctx) {
  const { space, item } = targetOf(ctx);
  if (ctx.body.update_fields === undefined) throw fail(20005, 'update_fields is required');
  const pairs = parseFieldPairs(ctx.body.update_fields, 'update_fields');
  if (pairs.length === 0) throw fail(20005, 'update_fields is empty');
  assertWritable(item);
  const resolved = resolvePairs(ctx.tenant, space.project_key, item.work_item_type_key, pairs);
  if (resolved.some((p) => p.def.field_key === 'name' && (typeof p.value !== 'string' || p.value === ''))) {
    throw fail(20006, 'name must be a non-empty string');
  }
  ctx.changes.updated(item, applyPairs(item, resolved));
}

function remove(ctx: Ctx) {
  const { item } = targetOf(ctx);
  item.deleted = true;
  ctx.changes.deleted(item);
  return { data: {} };
}

function abort(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const isAborted = optBool(ctx.body, 'is_aborted');
  if (isAborted === undefined) throw fail(20005, 'is_aborted is required');
  const reason = optString(ctx.body, 'reason') ?? '';
  const option = optString(ctx.body, 'reason_option');
  if (reason === '' && (option === undefined || option === 'other')) throw fail(20009, 'reason is required');
  if (isAborted && item.aborted.is_aborted) throw fail(20007);
  if (!isAborted && !item.aborted.is_aborted) throw fail(20008);
  const text = reason || (option ?? '');
  if (isAborted) {
    item.aborted = { is_aborted: true, reason: text, prior_state_key: item.status.state_key };
    moveStatus(item, 'closed', ctx.operator, ctx.now);
  } else {
    moveStatus(item, item.aborted.prior_state_key, ctx.operator, ctx.now);
    item.aborted = { is_aborted: false, reason: '', prior_state_key: '' };
  }
  ctx.changes.aborted(item, isAborted, text);
  return { data: {} };
}

function freeze(ctx: Ctx) {
  const space = ctx.tenant.space(reqString(ctx.body, 'project_key'));
  const item = ctx.tenant.itemInSpace(space, reqInt(ctx.body, 'work_item_id'));
  const frozen = optBool(ctx.body, 'is_frozen');
  if (frozen === undefined) throw fail(20005, 'is_frozen is required');
  item.frozen = frozen;
  ctx.changes.touch(item);
}

const UPDATE_MODES = ['APPEND', 'UPDATE', 'REPLACE'];

function batchUpdate(ctx: Ctx) {
  const space = ctx.tenant.space(reqString(ctx.body, 'project_key'));
  const type = ctx.tenant.type(space, reqString(ctx.body, 'work_item_type_key'));
  const ids = reqIdList(ctx.body, 'work_item_ids');
  const mode = reqString(ctx.body, 'update_mode');
  if (!UPDATE_MODES.includes(mode))
    throw fail(20006, `update_mode must be one of ${UPDATE_MODES.join(', ')}`);
  const fieldKey = reqString(ctx.body, 'field_key');
  if (!('after_field_value' in ctx.body)) throw fail(20005, 'after_field_value is required');
  const [pair] = resolvePairs(ctx.tenant, space.project_key, type.type_key, [
    { key: fieldKey, value: ctx.body.after_field_value },
  ]);
  const ok: string[] = [];
  const failed: string[] = [];
  const scenes = new Set<string>();
  for (const id of ids) {
    const item = ctx.tenant.itemById(id);
    if (!item || item.project_key !== space.project_key || item.work_item_type_key !== type.type_key) {
      failed.push(String(id));
      scenes.add('NoPermissionToModify');
    } else if (item.aborted.is_aborted) {
      failed.push(String(id));
      scenes.add('WorkItemTerminated');
    } else {
      ok.push(String(id));
      if (pair) ctx.changes.updated(item, applyPairs(item, [pair]));
    }
  }
  const taskId = `WORK_ITEM_BATCH_UPDATE-${randomUUID().replaceAll('-', '').slice(0, 19)}`;
  ctx.core.batchTasks.set(taskId, {
    task_id: taskId,
    task_status: failed.length === 0 ? 'SUCCESS' : 'FAILED',
    total: ids.length,
    success_total: ok.length,
    error_total: failed.length,
    success_sub_task_list: ok,
    fail_sub_task_list: failed,
    error_scenes: [...scenes],
  });
  return { data: { task_id: taskId } };
}

function taskResult(ctx: Ctx) {
  const taskId = typeof ctx.query.task_id === 'string' ? ctx.query.task_id : '';
  if (taskId === '') throw fail(20005, 'task_id is required');
  return { data: ctx.core.batchTasks.get(taskId) ?? { task_id: taskId, task_status: 'NOT_EXIST' } };
}

export const workItemRoutes: RouteDef[] = [
  {
    id: 'workItem.create',
    method: 'POST',
    path: '/open_api/:project_key/work_item/create',
    write: true,
    handle: create,
  },
  {
    id: 'workItem.abort',
    method: 'PUT',
    path: '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id/abort',
    write: true,
    handle: abort,
  },
  {
    id: 'workItem.update',
    method: 'PUT',
    path: '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id',
    write: true,
    handle: update,
  },
  {
    id: 'workItem.delete',
    method: 'DELETE',
    path: '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id',
    write: true,
    handle: remove,
  },
  {
    id: 'workItem.batchUpdate',
    method: 'POST',
    path: '/open_api/work_item/batch_update',
    write: true,
    limit: { qps: 1 },
    handle: batchUpdate,
  },
  {
    id: 'workItem.taskResult',
    method: 'GET',
    path: '/open_api/task_result',
    limit: { qps: 1 },
    handle: taskResult,
  },
  { id: 'workItem.freeze', method: 'PUT', path: '/open_api/work_item/freeze', write: true, handle: freeze },
];
