import { afterEach, describe, expect, it } from 'vitest';
import { ISSUE_OPEN, PK, STORY, STORY_AT_START, startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const item = (id: number, type = 'story') => `/open_api/demo/work_item/${type}/${id}`;

describe('work item writes', () => {
  it('creates an item on its first node, by space id or simple_name, returning the bare id', async () => {
    api = await startApi();
    const created = await api.call('POST', `/open_api/${PK}/work_item/create`, {
      work_item_type_key: 'story',
      name: 'New story',
      field_value_pairs: [
        { field_alias: 'priority', field_value: { value: 'P0' } },
        { field_key: 'role_owners', field_value: [{ role: 'rd', owners: ['7400000000000000003'] }] },
      ],
    });
    expect(created.json).toMatchObject({ err_code: 0, err_msg: '', err: {} });
    const id = created.json.data as number;
    const query = await api.call('POST', '/open_api/demo/work_item/story/query', {
      work_item_ids: [id],
      fields: ['priority'],
    });
    const [info] = query.json.data as {
      name: string;
      work_item_status: { state_key: string };
      fields: unknown[];
    }[];
    expect(info?.name).toBe('New story');
    expect(info?.work_item_status.state_key).toBe('start');
    expect(info?.fields).toEqual([
      {
        field_key: 'priority',
        field_alias: 'priority',
        field_type_key: 'select',
        field_value: { label: 'P0', value: 'P0' },
      },
    ]);
  });

  it('validates create bodies with the documented codes', async () => {
    api = await startApi();
    const create = (body: unknown) => api.call('POST', '/open_api/demo/work_item/create', body);
    expect((await create({ name: 'x' })).json.err_code).toBe(20005);
    expect((await create({ work_item_type_key: 'epic', name: 'x' })).json.err_code).toBe(30014);
    expect((await create({ work_item_type_key: 'story' })).json.err_code).toBe(20005);
    expect((await create({ work_item_type_key: 'story', name: 5 })).json.err_code).toBe(20006);
    expect(
      (await create({ work_item_type_key: 'story', name: 'x', field_value_pairs: {} })).json.err_code,
    ).toBe(20006);
    const badOption = await create({
      work_item_type_key: 'story',
      name: 'x',
      field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P9' } }],
    });
    expect(badOption.json.err_code).toBe(20050);
    const noKey = await create({
      work_item_type_key: 'story',
      name: 'x',
      field_value_pairs: [{ field_value: 1 }],
    });
    expect(noKey.json.err_code).toBe(20025);
    const unknownField = await create({
      work_item_type_key: 'story',
      name: 'x',
      field_value_pairs: [{ field_key: 'nope', field_value: 1 }],
    });
    expect(unknownField.json.err_code).toBe(30009);
    const badLink = await create({
      work_item_type_key: 'issue',
      name: 'x',
      field_value_pairs: [{ field_key: '_field_linked_story', field_value: ISSUE_OPEN }],
    });
    expect(badLink.json.err_code).toBe(20051);
  });

  it('answers non-JSON bodies with 9999 and non-object bodies with 9999, never a 500', async () => {
    api = await startApi();
    const headers = {
      'content-type': 'application/json',
      'x-plugin-token': api.token,
      'x-user-key': api.sim.credentials.userKey,
    };
    const broken = await api.raw(
      'POST',
      '/open_api/demo/work_item/create',
      '{"work_item_type_key": ',
      headers,
    );
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ err_code: 9999, err_msg: 'Invalid Param' });
    const list = await api.raw('POST', '/open_api/demo/work_item/create', '[1,2]', headers);
    expect(list.json.err_code).toBe(9999);
    const text = await api.raw('PUT', item(STORY), 'hello', { ...headers, 'content-type': 'text/plain' });
    expect(text.json.err_code).toBe(9999);
  });

  it('updates fields (replacing values) and rejects unknown items, bad pairs and read-only fields', async () => {
    api = await startApi();
    const update = (id: number, body: unknown) => api.call('PUT', item(id), body);
    expect(
      (await update(STORY, { update_fields: [{ field_key: 'name', field_value: 'Renamed' }] })).json.err_code,
    ).toBe(0);
    expect(api.sim.tenant.itemById(STORY)?.name).toBe('Renamed');
    expect((await update(STORY, {})).json.err_code).toBe(20005);
    expect((await update(STORY, { update_fields: 'x' })).json.err_code).toBe(20006);
    expect(
      (await update(STORY, { update_fields: [{ field_key: 'aborted', field_value: true }] })).json.err_code,
    ).toBe(20033);
    expect(
      (await update(9999999999, { update_fields: [{ field_key: 'name', field_value: 'x' }] })).json.err_code,
    ).toBe(30005);
    const wrongType = await api.call('PUT', `/open_api/demo/work_item/issue/${STORY}`, {
      update_fields: [{ field_key: 'name', field_value: 'x' }],
    });
    expect(wrongType.json.err_code).toBe(30005);
    expect(
      (await api.call('PUT', '/open_api/demo/work_item/story/abc', { update_fields: [] })).json.err_code,
    ).toBe(20006);
  });

  it('aborts and restores with 20007, 20008, 20009, and refuses writes on an aborted item', async () => {
    api = await startApi();
    const abort = (body: unknown) => api.call('PUT', `${item(STORY_AT_START)}/abort`, body);
    expect((await abort({ is_aborted: true })).json.err_code).toBe(20009);
    expect((await abort({ is_aborted: false, reason: 'x' })).json.err_code).toBe(20008);
    expect(
      (await abort({ is_aborted: true, reason: 'duplicate', reason_option: 'repeat' })).json.err_code,
    ).toBe(0);
    expect(api.sim.tenant.itemById(STORY_AT_START)?.status.state_key).toBe('closed');
    expect((await abort({ is_aborted: true, reason: 'again' })).json.err_code).toBe(20007);
    const write = await api.call('PUT', item(STORY_AT_START), {
      update_fields: [{ field_key: 'name', field_value: 'x' }],
    });
    expect(write.json.err_code).toBe(20007);
    expect((await abort({ is_aborted: false, reason_option: 'restart' })).json.err_code).toBe(0);
    expect(api.sim.tenant.itemById(STORY_AT_START)?.status.state_key).toBe('start');
  });

  it('deletes: the item is gone (30005) afterwards', async () => {
    api = await startApi();
    expect((await api.call('DELETE', item(STORY_AT_START))).json).toEqual({
      err_code: 0,
      err_msg: '',
      err: {},
      data: {},
    });
    expect((await api.call('DELETE', item(STORY_AT_START))).json.err_code).toBe(30005);
    const query = await api.call('POST', '/open_api/demo/work_item/story/query', {
      work_item_ids: [STORY_AT_START],
    });
    expect(query.json.err_code).toBe(30005);
  });

  it('limits query to 50 ids (20028) and needs ids (20005)', async () => {
    api = await startApi();
    const ids = Array.from({ length: 51 }, (_, i) => STORY + i);
    expect(
      (await api.call('POST', '/open_api/demo/work_item/story/query', { work_item_ids: ids })).json.err_code,
    ).toBe(20028);
    expect((await api.call('POST', '/open_api/demo/work_item/story/query', {})).json.err_code).toBe(20005);
    expect(
      (await api.call('POST', '/open_api/demo/work_item/story/query', { work_item_ids: ['x'] })).json
        .err_code,
    ).toBe(20006);
  });

  it('batch-updates asynchronously and reports the task result', async () => {
    api = await startApi();
    const started = await api.call('POST', '/open_api/work_item/batch_update', {
      project_key: 'demo',
      work_item_type_key: 'story',
      work_item_ids: [STORY, STORY_AT_START],
      update_mode: 'UPDATE',
      field_key: 'priority',
      after_field_value: { value: 'P3' },
    });
    const taskId = (started.json.data as { task_id: string }).task_id;
    const result = await api.call('GET', `/open_api/task_result?task_id=${taskId}`);
    expect(result.json.data).toMatchObject({ task_status: 'SUCCESS', success_total: 2 });
  });

  it('keeps an operation record per change', async () => {
    api = await startApi();
    await api.call('PUT', item(STORY), {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P0' } }],
    });
    const records = await api.call('POST', '/open_api/op_record/work_item/list', {
      project_key: PK,
      work_item_ids: [STORY],
    });
    const data = records.json.data as {
      op_records: { operator: string; operation_type: string; op_record_module: string }[];
    };
    expect(data.op_records[0]).toMatchObject({
      operator: api.sim.credentials.userKey,
      operation_type: 'modify',
      op_record_module: 'field_mod',
    });
    const badWindow = await api.call('POST', '/open_api/op_record/work_item/list', {
      project_key: PK,
      work_item_ids: [STORY],
      start: 1,
      end: 2,
    });
    expect(badWindow.json.err_code).toBe(20013);
  });
});
