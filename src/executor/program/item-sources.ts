/**
 * What a `for_each` iterates over and what a `lookup` finds: a list template, the work item's
 * sub-tasks, its related work items (by space relation rule, or the items whose relation field
 * points at it), or a search. Every read goes through the step's `read` (the executor's limiter
 * and retry policy); searches are paged until a short page or `limit` items.
 */
import { AutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import { normalizeWorkItem, subtaskViews, idString } from '../../match/work-item.ts';
import { buildApiCall } from '../../openapi/catalogue.ts';
import { projectCalls } from '../../openapi/project-calls.ts';
import type { ApiCall } from '../../plan/run.ts';
import type { ReadFn } from '../ports.ts';

/** The event's work item, which sub-tasks and relations are read from. */
export function itemRef(event: Event, step: string): { projectKey: string; typeKey: string; id: string } {
  if (!event.projectKey || !event.workItem) {
    throw new AutopilotError('AP_RULE_INVALID', `${step}: the event carries no work item to read it from`);
  }
  return { projectKey: event.projectKey, typeKey: event.workItem.typeKey, id: event.workItem.id };
}

/** `subtasks: true` or `{node, passed}`: the work item's sub-tasks as `{id, name, node_id, passed}`. */
export async function subtasksOf(event: Event, filter: unknown, read: ReadFn): Promise<unknown[]> {
  const ref = itemRef(event, 'for_each subtasks');
  const only =
    filter !== null && typeof filter === 'object' ? (filter as { node?: unknown; passed?: unknown }) : {};
  const node = typeof only.node === 'string' ? only.node : undefined;
  const { subtasks } = subtaskViews(await read(projectCalls.listSubtasks(ref, node)));
  return subtasks.filter(
    (task) =>
      (node === undefined || task.node_id === node) &&
      (typeof only.passed !== 'boolean' || task.passed === only.passed),
  );
}

/**
 * `related: {relation_rule}`: the space relation's items (`{id, name, type, project}`);
 * `related: {type, field}`: the items of `type` whose relation field `field` points at the work
 * item, as the `work_item` fact shows them.
 */
export async function relatedOf(
  event: Event,
  spec: unknown,
  read: ReadFn,
  limit: number,
): Promise<unknown[]> {
  const ref = itemRef(event, 'for_each related');
  const given = (spec ?? {}) as { relation_rule?: unknown; type?: unknown; field?: unknown };
  if (typeof given.relation_rule === 'string') {
    const data = await read(projectCalls.relationWorkItems(ref, given.relation_rule));
    return (Array.isArray(data) ? data : []).map((entry) => {
      const r = entry as Record<string, unknown>;
      return {
        id: idString(r.relation_work_item_id),
        name: r.relation_work_item_name,
        type: r.relation_work_item_type_key,
        project: r.relation_project_key,
        relation_rule: given.relation_rule,
      };
    });
  }
  const type = String(given.type);
  const field = String(given.field);
  return pages(read, limit, 50, (page, size) =>
    buildApiCall('workItem.searchByRelation', {
      path: { project_key: ref.projectKey, work_item_type_key: ref.typeKey, work_item_id: ref.id },
      body: {
        relation_work_item_type_key: type,
        relation_key: field,
        relation_type: 0,
        page_num: page,
        page_size: size,
      },
    }),
  );
}

/**
 * `lookup: {search}` (search/params, at most 50 a page) or `lookup: {filter}` (work_item/filter,
 * at most 200 a page), every page read until a short one or `limit` items.
 */
export async function lookUp(
  params: Record<string, unknown>,
  read: ReadFn,
  limit: number,
): Promise<unknown[]> {
  if (params.search !== undefined) {
    const { project, work_item_type, page_size: _size, ...body } = params.search as Record<string, unknown>;
    return pages(read, limit, 50, (page, size) =>
      buildApiCall('workItem.searchByParams', {
        path: { project_key: String(project), work_item_type_key: String(work_item_type) },
        body: { ...body, page_num: page, page_size: size },
      }),
    );
  }
  const { project, page_size: _size, ...filter } = params.filter as Record<string, unknown>;
  return pages(read, limit, 200, (page, size) =>
    projectCalls.filterWorkItems(String(project), {
      ...(filter as { work_item_type_keys: string[] }),
      page_num: page,
      page_size: size,
    }),
  );
}

/** Reads pages of work items until a short page or `limit + 1` items (one more tells "too many"). */
async function pages(
  read: ReadFn,
  limit: number,
  maxPageSize: number,
  call: (page: number, size: number) => ApiCall,
): Promise<unknown[]> {
  const size = Math.min(maxPageSize, limit + 1);
  const found: unknown[] = [];
  for (let page = 1; found.length <= limit; page++) {
    const data = await read(call(page, size));
    const items = Array.isArray(data) ? data : [];
    for (const raw of items) found.push(workItemView(raw));
    if (items.length < size) break;
  }
  return found;
}

/** A found work item as the `work_item` fact shows it, without the raw field list (runs keep it). */
function workItemView(raw: unknown): unknown {
  const { raw_fields: _raw, ...item } = normalizeWorkItem(raw);
  return item;
}
