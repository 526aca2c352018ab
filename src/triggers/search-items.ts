/**
 * Pages through a rule's work item search (Open API search/params, ordered by work item id,
 * at most 50 per page) through the engine's rate-limited reader, so polls and schedules spend
 * the same 450/min budget as every other search call. A short page is the last one.
 */
import { buildApiCall } from '../openapi/catalogue.ts';
import type { SearchSpec } from '../rules/rule.ts';
import type { ApiCall } from '../plan/run.ts';

/** The engine's limited read (src/engine/limited-read.ts): waits for the limiter, retries transients. */
export type ReadData = (call: ApiCall) => Promise<unknown>;

/** The parts of a WorkItemInfo the triggers read. */
export interface FoundItem {
  id: string;
  name?: string;
  project_key?: string;
  work_item_type_key?: string;
  created_at?: number;
  updated_at?: number;
  updated_by?: string;
  work_item_status?: { state_key?: string };
  fields?: Array<{ field_key?: string; field_alias?: string; field_value?: unknown }>;
  [key: string]: unknown;
}

const MAX_PAGE_SIZE = 50;
/** A runaway search stops here; 200 pages of 50 is 10 000 items per round. */
const MAX_PAGES = 200;

export interface SearchOptions {
  /** Only items updated at or after this time (epoch ms): the poll watermark. */
  updatedSince?: number;
}

export async function searchItems(
  read: ReadData,
  spec: SearchSpec,
  options: SearchOptions = {},
): Promise<FoundItem[]> {
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, spec.page_size ?? MAX_PAGE_SIZE));
  const searchGroup = withWatermark(spec.search_group, options.updatedSince);
  const found: FoundItem[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const call = buildApiCall('workItem.searchByParams', {
      path: { project_key: spec.project, work_item_type_key: spec.work_item_type },
      body: { search_group: searchGroup, page_num: page, page_size: pageSize },
    });
    const data = await read(call);
    const items = Array.isArray(data) ? (data as FoundItem[]) : [];
    found.push(...items.map((item) => ({ ...item, id: String(item.id) })));
    if (items.length < pageSize) break;
  }
  return found;
}

function withWatermark(group: unknown, since: number | undefined): unknown {
  const everything = { conjunction: 'AND', search_params: [] };
  if (since === undefined) return group ?? everything;
  const watermark = { param_key: 'updated_at', operator: '>=', value: since };
  return {
    conjunction: 'AND',
    search_params: [watermark],
    search_groups: group === undefined ? [] : [group],
  };
}
