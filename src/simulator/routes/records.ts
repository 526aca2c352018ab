/** Operation history (op_record/work_item/list) and compound-field row edits. */
import { randomUUID } from 'node:crypto';
import { optInt, optString, optStrings, reqIdList, reqInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import { parseFieldPairs, resolvePairs } from '../model/fields.ts';
import type { OpRecord } from '../model/types.ts';
import { assertWritable } from './common.ts';

const WEEK_MS = 7 * 24 * 3600_000;
/** The API keeps no history before this (work-item-op-records: 不支持查询2024年7月2日之前的历史记录). */
export const OP_RECORDS_SINCE = Date.UTC(2024, 6, 2);

function timestamp(ctx: Ctx, key: string): number | undefined {
  const value = optInt(ctx.body, key);
  if (value !== undefined && String(value).length !== 13)
    throw fail(20013, `${key} must be a 13-digit ms timestamp`);
  return value;
}

function listFilter(ctx: Ctx): (r: OpRecord) => boolean {
  const operators = optStrings(ctx.body, 'operator');
  const operatorTypes = optStrings(ctx.body, 'operator_type');
  const operationTypes = optStrings(ctx.body, 'operation_type');
  const sourceTypes = optStrings(ctx.body, 'source_type');
  const sources = optStrings(ctx.body, 'source');
  const modules = optStrings(ctx.body, 'op_record_module');
  const start = timestamp(ctx, 'start');
  const end = timestamp(ctx, 'end');
  if (start !== undefined && end !== undefined && (end < start || end - start > WEEK_MS)) {
    throw fail(20013, 'start/end must span at most 7 days');
  }
  const within = (list: string[] | undefined, v: string | undefined) =>
    list === undefined || (v !== undefined && list.includes(v));
  return (r) =>
    r.operation_time >= OP_RECORDS_SINCE &&
    within(operators, r.operator) &&
    within(sourceTypes, r.source_type) &&
    within(sources, r.source) &&
    within(operatorTypes, r.operator_type) &&
    within(operationTypes, r.operation_type) &&
    within(modules, r.op_record_module) &&
    (start === undefined || r.operation_time >= start) &&
    (end === undefined || r.operation_time <= end);
}

/**
 * Newest first; `start_from` is an opaque cursor (the next record's sequence number). Records of
 * deleted work items stay (history is kept); nothing before 2024-07-02 is served.
 */
function opRecords(ctx: Ctx) {
  const space = ctx.tenant.space(reqString(ctx.body, 'project_key'));
  const ids = reqIdList(ctx.body, 'work_item_ids');
  const pageSize = optInt(ctx.body, 'page_size') ?? 50;
  if (pageSize < 1 || pageSize > 200) throw fail(20006, 'page_size must be 1..200');
  const cursor = optString(ctx.body, 'start_from');
  if (cursor !== undefined && cursor !== '' && !/^\d+$/.test(cursor))
    throw fail(20006, 'start_from is not a cursor');
  const keep = listFilter(ctx);
  const all = ctx.tenant.data.op_records
    .filter((r) => r.project_key === space.project_key && ids.includes(r.work_item_id) && keep(r))
    .sort((a, b) => b.seq - a.seq);
  const from = cursor ? all.filter((r) => r.seq <= Number(cursor)) : all;
  const pageItems = from.slice(0, pageSize);
  const next = from[pageSize];
  return {
    data: {
      has_more: next !== undefined,
      start_from: next ? String(next.seq) : '',
      total: all.length,
      op_records: pageItems.map(({ seq: _seq, ...record }) => record),
    },
  };
}

interface Row {
  group_uuid: string;
  fields: unknown[];
}

function compoundField(ctx: Ctx) {
  const space = ctx.tenant.space(reqString(ctx.body, 'project_key'));
  const item = ctx.tenant.itemInSpace(space, reqInt(ctx.body, 'work_item_id'));
  const key = optString(ctx.body, 'field_key') ?? optString(ctx.body, 'field_alias');
  if (key === undefined) throw fail(20025);
  const action = reqString(ctx.body, 'action');
  if (!['add', 'update', 'delete'].includes(action))
    throw fail(20006, 'action must be add, update or delete');
  const def = ctx.tenant.field(space.project_key, item.work_item_type_key, key);
  if (!def) throw fail(30009, `field ${key} not found`);
  if (def.field_type_key !== 'compound_field')
    throw fail(20006, 'Invalid field, only support compound_field');
  assertWritable(item);
  const rows = (item.fields[def.field_key] as Row[] | undefined) ?? [];
  const groupUuid = action === 'add' ? undefined : reqString(ctx.body, 'group_uuid');
  const index = rows.findIndex((r) => r.group_uuid === groupUuid);
  if (groupUuid !== undefined && index < 0) throw fail(20006, `group_uuid ${groupUuid} not found`);
  const cells = (raw: unknown) => {
    const pairs = parseFieldPairs(raw, 'fields');
    return resolvePairs(ctx.tenant, space.project_key, item.work_item_type_key, pairs).map((p) => ({
      field_key: p.def.field_key,
      field_value: p.value,
    }));
  };
  const given = Array.isArray(ctx.body.fields) ? ctx.body.fields : [];
  if (action === 'add')
    rows.push(...given.map((row) => ({ group_uuid: randomUUID().slice(0, 8), fields: cells(row) })));
  if (action === 'update') rows[index] = { group_uuid: groupUuid as string, fields: cells(given[0]) };
  if (action === 'delete') rows.splice(index, 1);
  item.fields[def.field_key] = rows;
  ctx.changes.touch(item);
  return { data: {} };
}

export const recordRoutes: RouteDef[] = [
  { id: 'workItem.opRecords', method: 'POST', path: '/open_api/op_record/work_item/list', handle: opRecords },
  {
    id: 'workItem.updateCompoundField',
    method: 'POST',
    path: '/open_api/work_item/field_value/update_compound_field',
    write: true,
    handle: compoundField,
  },
];
