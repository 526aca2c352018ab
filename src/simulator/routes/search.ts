/** Reading work items: filter, filter_across_project, search/params, compositive search, search_by_relation, query, meta. */
import {
  optArray,
  optInts,
  optObject,
  optString,
  optStrings,
  page,
  paging,
  reqIdList,
  reqString,
} from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import { renderWorkItem, type Expand } from '../model/render.ts';
import { compileSearch } from '../model/search.ts';
import type { Space, WorkItem } from '../model/types.ts';
import { spaceOf, targetOf, timeInterval, typeOf } from './common.ts';

const SEARCH_LIMIT = { qps: 15, qpm: 450 };

function liveItems(ctx: Ctx, spaces: Space[], typeKeys: string[]): WorkItem[] {
  const keys = new Set(spaces.map((s) => s.project_key));
  return ctx.tenant.data.work_items
    .filter((w) => !w.deleted && keys.has(w.project_key) && typeKeys.includes(w.work_item_type_key))
    .sort((a, b) => a.id - b.id);
}

function participants(item: WorkItem): string[] {
  return [
    item.created_by,
    ...item.role_owners.flatMap((r) => r.owners),
    ...((item.fields.watchers as string[]) ?? []),
  ];
}

/** The filter conditions filter and filter_across_project share. */
function commonFilter(ctx: Ctx, maxIds: number): (item: WorkItem) => boolean {
  const { body } = ctx;
  const name = optString(body, 'work_item_name');
  const ids = optInts(body, 'work_item_ids');
  if (ids && ids.length > maxIds) throw fail(20028, `work_item_ids has ${ids.length} ids, at most ${maxIds}`);
  const created = timeInterval(body.created_at, 'created_at');
  const updated = timeInterval(body.updated_at, 'updated_at');
  const statuses = optArray(body, 'work_item_status')?.map((s) => (s as { state_key?: unknown })?.state_key);
  const priorities = optStrings(body, 'priorities');
  return (item) =>
    (name === undefined || item.name.includes(name)) &&
    (ids === undefined || ids.includes(item.id)) &&
    (created === undefined || (item.created_at >= created.start && item.created_at <= created.end)) &&
    (updated === undefined || (item.updated_at >= updated.start && item.updated_at <= updated.end)) &&
    (statuses === undefined || statuses.includes(item.status.state_key)) &&
    (priorities === undefined ||
      priorities.includes((item.fields.priority as { value?: string })?.value ?? ''));
}

function expandOf(ctx: Ctx): Expand {
  return (optObject(ctx.body, 'expand') ?? {}) as Expand;
}

function filter(ctx: Ctx) {
  const space = spaceOf(ctx);
  const typeKeys = optStrings(ctx.body, 'work_item_type_keys');
  if (!typeKeys || typeKeys.length === 0) throw fail(20003, 'work_item_type_keys is required');
  for (const key of typeKeys) ctx.tenant.type(space, key);
  const userKeys = optStrings(ctx.body, 'user_keys');
  if (userKeys && userKeys.length > 10) throw fail(20004, 'user_keys: at most 10');
  if (optString(ctx.body, 'search_id') !== undefined) throw fail(20005, 'searchid is invalid');
  const paged = paging(ctx.body, 50, 200);
  const matches = commonFilter(ctx, 200);
  const found = liveItems(ctx, [space], typeKeys).filter(
    (i) => matches(i) && (userKeys === undefined || participants(i).some((u) => userKeys.includes(u))),
  );
  const { items, pagination } = page(found, paged);
  return { data: items.map((i) => renderWorkItem(ctx.tenant, i, undefined, expandOf(ctx))), pagination };
}

function filterAcrossProject(ctx: Ctx) {
  const typeKey = reqString(ctx.body, 'work_item_type_key');
  const keys = [
    ...(optStrings(ctx.body, 'project_keys') ?? []),
    ...(optStrings(ctx.body, 'simple_names') ?? []),
  ];
  if (keys.length > 10) throw fail(20057, 'project_keys and simple_names: at most 10 together');
  const spaces =
    keys.length > 0
      ? keys.map((k) => ctx.tenant.findSpace(k)).filter((s) => s !== undefined)
      : ctx.tenant.data.spaces;
  const searchUser = optObject(ctx.body, 'search_user');
  if (searchUser?.role !== undefined && searchUser.field_key !== undefined)
    throw fail(20058, 'role and field_key together');
  const searchKeys = searchUser?.user_keys as string[] | undefined;
  if (searchUser && (!Array.isArray(searchKeys) || searchKeys.length === 0))
    throw fail(20059, 'search_user.user_keys must appear');
  const paged = paging(ctx.body, 50, 50);
  const matches = commonFilter(ctx, 50);
  const found = liveItems(ctx, spaces, [typeKey]).filter((i) => {
    if (!matches(i)) return false;
    if (!searchUser || !searchKeys) return true;
    const role = searchUser.role as string | undefined;
    const holders = role ? (i.role_owners.find((r) => r.role === role)?.owners ?? []) : participants(i);
    return holders.some((u) => searchKeys.includes(u));
  });
  const { items, pagination } = page(found, paged);
  return { data: items.map((i) => renderWorkItem(ctx.tenant, i, undefined, expandOf(ctx))), pagination };
}

function searchByParams(ctx: Ctx) {
  const space = spaceOf(ctx);
  const type = typeOf(ctx, space);
  if (ctx.body.search_group === undefined) throw fail(20005, 'search_group is required');
  const fields = optStrings(ctx.body, 'fields');
  const paged = paging(ctx.body, 50, 50);
  const search = compileSearch(ctx.tenant, space.project_key, type.type_key, ctx.body.search_group);
  const found = liveItems(ctx, [space], [type.type_key]).filter(
    (i) => (search.includesClosed || !i.aborted.is_aborted) && search.predicate(i),
  );
  const { items, pagination } = page(found, paged);
  return { data: items.map((i) => renderWorkItem(ctx.tenant, i, fields, expandOf(ctx))), pagination };
}

function compositiveSearch(ctx: Ctx) {
  const queryType = reqString(ctx.body, 'query_type');
  if (queryType !== 'workitem' && queryType !== 'view') throw fail(20081, `query_type ${queryType}`);
  const query = optString(ctx.body, 'query') ?? '';
  if (query.length === 0 || query.length >= 200) throw fail(20080);
  const subTypes = optStrings(ctx.body, 'query_sub_type');
  const keys = [
    ...(optStrings(ctx.body, 'project_keys') ?? []),
    ...(optStrings(ctx.body, 'simple_names') ?? []),
  ];
  const projectKeys = keys.map((k) => ctx.tenant.findSpace(k)?.project_key);
  const paged = paging(ctx.body, 50, 200);
  const found =
    queryType === 'view'
      ? []
      : ctx.tenant.data.work_items.filter(
          (w) =>
            !w.deleted &&
            w.name.includes(query) &&
            (subTypes === undefined || subTypes.includes(w.work_item_type_key)) &&
            (keys.length === 0 || projectKeys.includes(w.project_key)),
        );
  const { items, pagination } = page(found.slice(0, 200), paged);
  const data = items.map((w) => ({
    ID: String(w.id),
    name: w.name,
    WorkItemTypeKey: w.work_item_type_key,
    ProjectKey: w.project_key,
    CreatedBy: w.created_by,
    CreatedAt: w.created_at,
    SearchHit: ['name'],
  }));
  return { data, pagination };
}

function searchByRelation(ctx: Ctx) {
  const { space, item } = targetOf(ctx);
  const relatedType = reqString(ctx.body, 'relation_work_item_type_key');
  const relationKey = reqString(ctx.body, 'relation_key');
  const relationType = ctx.body.relation_type ?? 0;
  if (relationType !== 0 && relationType !== 1) throw fail(20062, 'relation_type must be 0 or 1');
  ctx.tenant.type(space, relatedType);
  const def = ctx.tenant.field(space.project_key, relatedType, relationKey);
  if (!def || !def.field_type_key.startsWith('work_item_related'))
    throw fail(30018, `relation_key ${relationKey}`);
  const paged = paging(ctx.body, 50, 50);
  const found = liveItems(ctx, [space], [relatedType]).filter((w) => {
    const value = w.fields[def.field_key];
    return Array.isArray(value) ? value.includes(item.id) : value === item.id;
  });
  const { items, pagination } = page(found, paged);
  return { data: items.map((i) => renderWorkItem(ctx.tenant, i)), pagination };
}

function query(ctx: Ctx) {
  const space = spaceOf(ctx);
  const type = typeOf(ctx, space);
  const ids = reqIdList(ctx.body, 'work_item_ids');
  const fields = optStrings(ctx.body, 'fields');
  const found = ids
    .map((id) => ctx.tenant.itemById(id))
    .filter(
      (w) => w !== undefined && w.project_key === space.project_key && w.work_item_type_key === type.type_key,
    ) as WorkItem[];
  if (found.length === 0) throw fail(30005, `work items ${ids.join(',')} not found`);
  return { data: found.map((i) => renderWorkItem(ctx.tenant, i, fields, expandOf(ctx))) };
}

function meta(ctx: Ctx) {
  const space = spaceOf(ctx);
  const type = typeOf(ctx, space);
  if (type.disabled) throw fail(20044);
  const template = ctx.tenant.template(type.template_ids[0] ?? 0);
  const statusOptions =
    template.flow === 'node'
      ? template.nodes.map((n) => ({ label: n.name, value: n.state_key }))
      : template.states.map((s) => ({ label: s.name, value: s.state_key }));
  const data = ctx.tenant.fieldsOf(space.project_key, type.type_key).map((f) => ({
    field_key: f.field_key,
    field_alias: f.field_alias,
    field_name: f.field_name,
    field_type_key: f.field_type_key,
    is_required: f.field_key === 'name' ? 1 : 2,
    is_validity: 1,
    is_visibility: 1,
    default_value: { default_appear: 1, value: null },
    ...(f.options ? { options: f.options.map((o) => ({ ...o, is_disabled: 2, is_visibility: 1 })) } : {}),
    ...(f.field_key === 'work_item_status' ? { options: statusOptions } : {}),
    ...(f.field_key === 'role_owners'
      ? {
          role_assign: type.roles.map((r) => ({
            role: r.id,
            name: r.name,
            default_appear: 1,
            deletable: 1,
            member_assign: 1,
            members: [],
          })),
        }
      : {}),
  }));
  return { data };
}

export const searchRoutes: RouteDef[] = [
  {
    id: 'workItem.filter',
    method: 'POST',
    path: '/open_api/:project_key/work_item/filter',
    limit: SEARCH_LIMIT,
    handle: filter,
  },
  {
    id: 'workItem.filterAcrossProject',
    method: 'POST',
    path: '/open_api/work_items/filter_across_project',
    limit: SEARCH_LIMIT,
    handle: filterAcrossProject,
  },
  {
    id: 'workItem.searchByParams',
    method: 'POST',
    path: '/open_api/:project_key/work_item/:work_item_type_key/search/params',
    limit: SEARCH_LIMIT,
    handle: searchByParams,
  },
  {
    id: 'workItem.compositiveSearch',
    method: 'POST',
    path: '/open_api/compositive_search',
    handle: compositiveSearch,
  },
  {
    id: 'workItem.searchByRelation',
    method: 'POST',
    path: '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id/search_by_relation',
    limit: { qps: 10 },
    handle: searchByRelation,
  },
  {
    id: 'workItem.query',
    method: 'POST',
    path: '/open_api/:project_key/work_item/:work_item_type_key/query',
    handle: query,
  },
  {
    id: 'workItem.meta',
    method: 'GET',
    path: '/open_api/:project_key/work_item/:work_item_type_key/meta',
    handle: meta,
  },
];
