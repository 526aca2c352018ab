/** The reader asks only what one request may: ≤ 50 ids, ≤ 7-day windows, pages of ≤ 200 by start_from. */
import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import { MAX_WINDOW_MS } from '../../src/records/op-record.ts';
import { readOpRecords, windowsOf } from '../../src/records/read-op-records.ts';
import type { ApiCall } from '../../src/plan/run.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

interface Body {
  project_key: string;
  work_item_ids: number[];
  start: number;
  end: number;
  page_size: number;
  start_from?: string;
}

/** A fake op_record endpoint: one record per (item, day), served newest first by an opaque cursor. */
function fakeApi(items: number, days: number) {
  const calls: Body[] = [];
  const all = Array.from({ length: items * days }, (_, n) => ({
    work_item_id: 1000 + (n % items),
    operation_time: T0 + Math.floor(n / items) * DAY,
    op_record_module: 'field_mod',
  }));
  const read = async (call: ApiCall) => {
    const body = call.body as Body;
    calls.push(body);
    if (body.work_item_ids.length > 50 || typeof body.page_size !== 'number') throw new Error('over 50 ids');
    if (body.end - body.start > MAX_WINDOW_MS) throw new Error('window over 7 days');
    if (body.page_size > 200) throw new Error('page over 200');
    const ids = body.work_item_ids.map(Number);
    const hits = all.filter(
      (r) => ids.includes(r.work_item_id) && r.operation_time >= body.start && r.operation_time <= body.end,
    );
    const from = Number(body.start_from ?? 0);
    const page = hits.slice(from, from + body.page_size);
    const more = from + body.page_size < hits.length;
    return { has_more: more, start_from: more ? String(from + body.page_size) : '', op_records: page };
  };
  return { read, calls, all };
}

describe('readOpRecords', () => {
  it('splits 120 items over 10 days into ≤ 50 ids, ≤ 7-day windows and pages, and reads every record once', async () => {
    const api = fakeApi(120, 10);
    const ids = Array.from({ length: 120 }, (_, i) => String(1000 + i));
    const got = await readOpRecords(api.read, {
      projectKey: 'p',
      workItemIds: ids,
      start: T0,
      end: T0 + 9 * DAY,
      pageSize: 100,
    });
    expect(got.records).toHaveLength(api.all.length);
    expect(new Set(got.records).size).toBe(api.all.length);
    expect(got.requests).toBe(api.calls.length);
    expect(Math.max(...api.calls.map((c) => c.work_item_ids.length))).toBe(50);
    expect(api.calls.some((c) => c.start_from !== undefined)).toBe(true);
    // 3 id chunks × 2 windows, plus the extra pages.
    expect(new Set(api.calls.map((c) => `${c.work_item_ids[0]}:${c.start}`)).size).toBe(6);
  });

  it('covers a span with windows that touch but never overlap', () => {
    const windows = windowsOf(T0, T0 + 15 * DAY);
    expect(windows).toHaveLength(3);
    for (const w of windows) expect(w.end - w.start).toBeLessThanOrEqual(MAX_WINDOW_MS);
    for (let i = 1; i < windows.length; i++) expect(windows[i]?.start).toBe((windows[i - 1]?.end ?? 0) + 1);
    expect(windows.at(-1)?.end).toBe(T0 + 15 * DAY);
  });

  it('refuses a window before 2024-07-02, a page over 200 and an inverted window, with codes', async () => {
    const api = fakeApi(1, 1);
    const query = { projectKey: 'p', workItemIds: ['1000'], start: T0, end: T0 + DAY };
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: AutopilotError) => e.code,
      );
    expect(await code(readOpRecords(api.read, { ...query, start: Date.UTC(2024, 6, 1) }))).toBe(
      'AP_RECORD_TOO_OLD',
    );
    expect(await code(readOpRecords(api.read, { ...query, pageSize: 201 }))).toBe('AP_RECORD_WINDOW');
    expect(await code(readOpRecords(api.read, { ...query, end: T0 - 1 }))).toBe('AP_RECORD_WINDOW');
    expect(api.calls).toEqual([]);
  });

  it('turns the API refusing a window (20013) into AP_RECORD_WINDOW, and stops on a cursor that repeats', async () => {
    const refused = async () => {
      throw new AutopilotError('AP_API_PERMANENT', 'read failed: 20013 Invalid Time Interval', {
        outcome: { class: 'permanent', errCode: 20013 },
      });
    };
    const query = { projectKey: 'p', workItemIds: ['1'], start: T0, end: T0 + DAY };
    await expect(readOpRecords(refused, query)).rejects.toMatchObject({ code: 'AP_RECORD_WINDOW' });
    const looping = async () => ({ has_more: true, start_from: 'same', op_records: [] });
    await expect(readOpRecords(looping, query)).rejects.toMatchObject({ code: 'AP_RECORD_WINDOW' });
  });
});
