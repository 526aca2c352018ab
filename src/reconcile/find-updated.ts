/**
 * The work items of one space updated at or after a time: work_item/filter by `updated_at`,
 * 200 per page (its maximum), through the caller's reader. Lists every type the space has when
 * the scope names none (config.allTypes).
 */
import { projectCalls } from '../openapi/project-calls.ts';
import type { ReadData } from '../triggers/search-items.ts';
import type { SpaceScope } from './reconcile-scope.ts';

const PAGE_SIZE = 200;
/** 1,000 pages of 200 is the search engine's 200,000-hit ceiling. */
const MAX_PAGES = 1000;

export interface UpdatedItem {
  id: string;
  projectKey: string;
  /** The space's simple_name, which rules may name it by. */
  simpleName?: string;
  typeKey: string;
  updatedAt: number;
  /** The WorkItemInfo as the filter returned it (the item as it is now). */
  raw: Record<string, unknown>;
}

export async function typesOf(read: ReadData, scope: SpaceScope): Promise<string[]> {
  if (scope.types) return scope.types;
  const data = await read(projectCalls.allTypes(scope.space));
  const list = Array.isArray(data) ? (data as Array<{ type_key?: unknown; is_disable?: unknown }>) : [];
  return list
    .filter((t) => typeof t.type_key === 'string' && t.is_disable !== 1)
    .map((t) => t.type_key as string)
    .sort();
}

export async function findUpdated(read: ReadData, scope: SpaceScope, since: number): Promise<UpdatedItem[]> {
  const types = await typesOf(read, scope);
  if (types.length === 0) return [];
  const found: UpdatedItem[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const data = await read(
      projectCalls.filterWorkItems(scope.space, {
        work_item_type_keys: types,
        updated_at: { start: since },
        page_num: page,
        page_size: PAGE_SIZE,
      }),
    );
    const items = Array.isArray(data) ? (data as Array<Record<string, unknown>>) : [];
    for (const item of items) {
      found.push({
        id: String(item.id),
        projectKey: String(item.project_key ?? scope.space),
        ...(typeof item.simple_name === 'string' && item.simple_name !== ''
          ? { simpleName: item.simple_name }
          : {}),
        typeKey: String(item.work_item_type_key ?? ''),
        updatedAt: Number(item.updated_at ?? 0),
        raw: item,
      });
    }
    if (items.length < PAGE_SIZE) break;
  }
  return found;
}
