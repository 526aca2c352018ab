/**
 * Reads the operation records of many work items over any span, within what one request may
 * ask: at most 50 ids and a window of at most 7 days per request, paged with `start_from` (up
 * to 200 per page). Every request goes through the caller's reader (the engine's limited read,
 * or a budgeted one), so the API's limits hold.
 */
import { AutopilotError } from '../errors.ts';
import { apiErrCodeOf } from '../openapi/error-code.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import type { ReadData } from '../triggers/search-items.ts';
import { MAX_WINDOW_MS, OP_RECORDS_SINCE } from './op-record.ts';

/** op_record/work_item/list takes at most 50 ids (20028 beyond). */
export const MAX_IDS_PER_CALL = 50;
/** And at most 200 records per page. */
export const MAX_PAGE_SIZE = 200;
/** A cursor that never ends stops here: 500 pages of 200 records per (ids, window). */
const MAX_PAGES = 500;

export interface RecordQuery {
  /** project_key of the space. */
  projectKey: string;
  workItemIds: readonly string[];
  /** Epoch ms, inclusive. Earlier than 2024-07-02 is refused (`AP_RECORD_TOO_OLD`). */
  start: number;
  /** Epoch ms, inclusive. */
  end: number;
  /** @defaultValue 200 */
  pageSize?: number;
}

export interface RecordRead {
  /** Raw records as the API gave them, in the order read. */
  records: unknown[];
  /** Requests made. */
  requests: number;
}

/** The [start, end] spans of at most 7 days each that cover the query's window. */
export function windowsOf(start: number, end: number): Array<{ start: number; end: number }> {
  const windows: Array<{ start: number; end: number }> = [];
  for (let from = start; from <= end; from += MAX_WINDOW_MS + 1) {
    windows.push({ start: from, end: Math.min(end, from + MAX_WINDOW_MS) });
  }
  return windows;
}

export async function readOpRecords(read: ReadData, query: RecordQuery): Promise<RecordRead> {
  checkQuery(query);
  const pageSize = query.pageSize ?? MAX_PAGE_SIZE;
  const out: RecordRead = { records: [], requests: 0 };
  const ids = [...new Set(query.workItemIds)];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_CALL) {
    const chunk = ids.slice(i, i + MAX_IDS_PER_CALL);
    for (const window of windowsOf(query.start, query.end)) {
      await readPages(read, { ...query, workItemIds: chunk, ...window }, pageSize, out);
    }
  }
  return out;
}

function checkQuery(query: RecordQuery): void {
  const pageSize = query.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw new AutopilotError('AP_RECORD_WINDOW', `page size must be 1..${MAX_PAGE_SIZE}, got ${pageSize}`);
  if (!Number.isSafeInteger(query.start) || !Number.isSafeInteger(query.end) || query.end < query.start)
    throw new AutopilotError('AP_RECORD_WINDOW', `not a time window: ${query.start}..${query.end}`);
  if (query.start < OP_RECORDS_SINCE)
    throw new AutopilotError(
      'AP_RECORD_TOO_OLD',
      `operation records start on 2024-07-02; ${new Date(query.start).toISOString()} is earlier`,
      { start: query.start, since: OP_RECORDS_SINCE },
    );
}

async function readPages(
  read: ReadData,
  query: Required<Omit<RecordQuery, 'pageSize'>>,
  pageSize: number,
  out: RecordRead,
): Promise<void> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const call = projectCalls.opRecords({
      project_key: query.projectKey,
      work_item_ids: [...query.workItemIds],
      start: query.start,
      end: query.end,
      page_size: pageSize,
      ...(cursor ? { start_from: cursor } : {}),
    });
    out.requests++;
    const data = (await readWindow(read, call)) as
      { has_more?: unknown; start_from?: unknown; op_records?: unknown } | undefined;
    out.records.push(...(Array.isArray(data?.op_records) ? data.op_records : []));
    const next = typeof data?.start_from === 'string' ? data.start_from : '';
    if (data?.has_more !== true || next === '') return;
    // A cursor handed out twice would page forever: the records read so far are what there is.
    if (seen.has(next)) throw new AutopilotError('AP_RECORD_WINDOW', `start_from ${next} came back twice`);
    seen.add(next);
    cursor = next;
  }
  throw new AutopilotError('AP_RECORD_WINDOW', `more than ${MAX_PAGES} pages of records for one window`);
}

/** 20013 is the API saying the window is not one it serves: a coded error, not an API failure. */
async function readWindow(read: ReadData, call: ReturnType<typeof projectCalls.opRecords>): Promise<unknown> {
  try {
    return await read(call);
  } catch (error) {
    if (apiErrCodeOf(error) === 20013)
      throw new AutopilotError(
        'AP_RECORD_WINDOW',
        `the API refused the window (20013): ${(error as Error).message}`,
        { outcome: (error as AutopilotError).details?.outcome },
      );
    throw error;
  }
}
