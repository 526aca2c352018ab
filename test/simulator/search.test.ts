import { afterEach, describe, expect, it } from 'vitest';
import {
  ISSUE_IN_PROGRESS,
  ISSUE_OPEN,
  STORY,
  STORY_AT_START,
  STORY_AT_TESTING,
  T0,
  startApi,
  type Api,
} from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

type Param = { param_key: string; operator: string; value?: unknown };
const search = (type: string, group: unknown, extra: Record<string, unknown> = {}) =>
  api.call('POST', `/open_api/demo/work_item/${type}/search/params`, { search_group: group, ...extra });
const and = (...search_params: Param[]) => ({ conjunction: 'AND', search_params });
const ids = (answer: { json: { data?: unknown } }) => (answer.json.data as { id: number }[]).map((i) => i.id);

describe('search/params', () => {
  it('evaluates =, !=, IN, NOT IN, HAS ANY OF, > and < on status, priority, owner and updated_at', async () => {
    api = await startApi();
    expect(
      ids(await search('story', and({ param_key: 'work_item_status', operator: '=', value: ['doing'] }))),
    ).toEqual([STORY]);
    expect(
      ids(await search('story', and({ param_key: 'work_item_status', operator: '!=', value: ['doing'] }))),
    ).toEqual([STORY_AT_START, STORY_AT_TESTING]);
    expect(
      ids(await search('story', and({ param_key: 'priority', operator: 'IN', value: ['P0', 'P2'] }))),
    ).toEqual([STORY_AT_START, STORY_AT_TESTING]);
    expect(
      ids(await search('story', and({ param_key: 'priority', operator: 'NOT IN', value: ['P0', 'P2'] }))),
    ).toEqual([STORY]);
    expect(
      ids(
        await search(
          'issue',
          and({ param_key: 'owner', operator: 'HAS ANY OF', value: ['7400000000000000002'] }),
        ),
      ),
    ).toEqual([ISSUE_OPEN, ISSUE_IN_PROGRESS]);
    api.clock.advance(1000);
    await api.call('PUT', `/open_api/demo/work_item/story/${STORY_AT_START}`, {
      update_fields: [{ field_key: 'name', field_value: 'Dark mode v2' }],
    });
    expect(ids(await search('story', and({ param_key: 'updated_at', operator: '>', value: T0 })))).toEqual([
      STORY_AT_START,
    ]);
    expect(
      ids(await search('story', and({ param_key: 'updated_at', operator: '<', value: T0 + 1 }))),
    ).toEqual([STORY, STORY_AT_TESTING]);
  });

  it('combines nested groups with OR and AND', async () => {
    api = await startApi();
    const group = {
      conjunction: 'OR',
      search_groups: [
        and({ param_key: 'priority', operator: '=', value: ['P0'] }),
        and(
          { param_key: 'current_nodes', operator: 'HAS ANY OF', value: ['start'] },
          { param_key: 'name', operator: '~', value: 'Dark' },
        ),
      ],
    };
    expect(ids(await search('story', group))).toEqual([STORY_AT_START, STORY_AT_TESTING]);
  });

  it('hides terminated items unless closed is asked for', async () => {
    api = await startApi();
    await api.call('PUT', `/open_api/demo/work_item/story/${STORY_AT_START}/abort`, {
      is_aborted: true,
      reason: 'dup',
    });
    expect(ids(await search('story', and()))).toEqual([STORY, STORY_AT_TESTING]);
    expect(
      ids(
        await search(
          'story',
          and({ param_key: 'work_item_status', operator: 'HAS ANY OF', value: ['closed'] }),
        ),
      ),
    ).toEqual([STORY_AT_START]);
  });

  it('rejects bad conjunctions (20072), params (20068), operators (20063), values (20069), big lists (20064)', async () => {
    api = await startApi();
    expect((await search('story', { conjunction: 'XOR', search_params: [] })).json.err_code).toBe(20072);
    expect(
      (await search('story', and({ param_key: 'nope', operator: '=', value: ['x'] }))).json.err_code,
    ).toBe(20068);
    const op = await search('story', and({ param_key: 'priority', operator: '>', value: ['P0'] }));
    expect(op.json).toMatchObject({
      err_code: 20063,
      err: { msg: 'Operator:{>} Is Not Support By Param {priority}' },
    });
    expect(
      (await search('story', and({ param_key: 'priority', operator: '=', value: 'P0' }))).json.err_code,
    ).toBe(20069);
    expect(
      (await search('story', and({ param_key: 'updated_at', operator: '>', value: 'yesterday' }))).json
        .err_code,
    ).toBe(20069);
    const many = Array.from({ length: 51 }, (_, i) => `P${i}`);
    expect(
      (await search('story', and({ param_key: 'priority', operator: 'IN', value: many }))).json.err_code,
    ).toBe(20064);
    expect((await api.call('POST', '/open_api/demo/work_item/story/search/params', {})).json.err_code).toBe(
      20005,
    );
    expect((await search('story', and(), { page_size: 51 })).json.err_code).toBe(20002);
  });

  it('selects fields with an include list or an exclude list, never both (20015)', async () => {
    api = await startApi();
    const only = await search('story', and({ param_key: 'priority', operator: '=', value: ['P1'] }), {
      fields: ['priority'],
    });
    expect(
      (only.json.data as { fields: { field_key: string }[] }[])[0]?.fields.map((f) => f.field_key),
    ).toEqual(['priority']);
    const without = await search('story', and({ param_key: 'priority', operator: '=', value: ['P1'] }), {
      fields: ['-priority'],
    });
    expect(
      (without.json.data as { fields: { field_key: string }[] }[])[0]?.fields.map((f) => f.field_key),
    ).not.toContain('priority');
    expect((await search('story', and(), { fields: ['name', '-priority'] })).json.err_code).toBe(20015);
  });
});

describe('filter', () => {
  it('pages and filters by updated_at, status and priority', async () => {
    api = await startApi();
    const page = await api.call('POST', '/open_api/demo/work_item/filter', {
      work_item_type_keys: ['story', 'issue'],
      page_size: 2,
      page_num: 2,
    });
    expect(page.json.pagination).toEqual({ page_num: 2, page_size: 2, total: 5 });
    expect(ids(page)).toEqual([STORY_AT_TESTING, ISSUE_OPEN]);
    const byStatus = await api.call('POST', '/open_api/demo/work_item/filter', {
      work_item_type_keys: ['issue'],
      work_item_status: [{ state_key: 'in_progress' }],
    });
    expect(ids(byStatus)).toEqual([ISSUE_IN_PROGRESS]);
    const recent = await api.call('POST', '/open_api/demo/work_item/filter', {
      work_item_type_keys: ['story'],
      updated_at: { start: T0 + 1 },
    });
    expect(ids(recent)).toEqual([]);
  });

  it('answers 20003 without types, 30014 for an unknown type, 20013 for bad times, 20004 for many users, 20002 for big pages', async () => {
    api = await startApi();
    const filter = (body: unknown) => api.call('POST', '/open_api/demo/work_item/filter', body);
    expect((await filter({})).json.err_code).toBe(20003);
    expect((await filter({ work_item_type_keys: ['epic'] })).json.err_code).toBe(30014);
    expect((await filter({ work_item_type_keys: ['story'], updated_at: { start: 17 } })).json.err_code).toBe(
      20013,
    );
    expect(
      (await filter({ work_item_type_keys: ['story'], user_keys: Array.from({ length: 11 }, String) })).json
        .err_code,
    ).toBe(20004);
    expect((await filter({ work_item_type_keys: ['story'], page_size: 201 })).json.err_code).toBe(20002);
  });

  it('filters across spaces with search_user, limiting ids to 50 (20028)', async () => {
    api = await startApi();
    const across = await api.call('POST', '/open_api/work_items/filter_across_project', {
      work_item_type_key: 'story',
      search_user: { role: 'rd', user_keys: ['7400000000000000003'] },
    });
    expect(ids(across)).toEqual([STORY, STORY_AT_START, STORY_AT_TESTING]);
    const tooMany = await api.call('POST', '/open_api/work_items/filter_across_project', {
      work_item_type_key: 'story',
      work_item_ids: Array.from({ length: 51 }, (_, i) => i + 1),
    });
    expect(tooMany.json.err_code).toBe(20028);
    const compositive = await api.call('POST', '/open_api/compositive_search', {
      query_type: 'workitem',
      query: 'Payments',
    });
    expect(compositive.json.data).toMatchObject([{ name: 'Payments API', WorkItemTypeKey: 'story' }]);
  });
});
