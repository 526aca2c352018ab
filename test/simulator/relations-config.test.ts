import { afterEach, describe, expect, it } from 'vitest';
import { ISSUE_OPEN, REMOTE_STORY, STORY, STORY_AT_START, startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

describe('space relations', () => {
  it('lists rules and bindings, binds and unbinds', async () => {
    api = await startApi();
    const rules = await api.call('POST', '/open_api/demo/relation/rules', {});
    expect(rules.json.data).toMatchObject([
      { remote_project_key: '66a1b2c3d4e5f60718293a4c', rules: [{ id: 'rule_demo_platform' }] },
    ]);
    const list = await api.call('POST', `/open_api/demo/relation/story/${STORY}/work_item_list`, {
      relation_rule_id: 'rule_demo_platform',
    });
    expect(list.json.data).toMatchObject([
      { relation_work_item_id: REMOTE_STORY, relation_work_item_name: 'Payments API' },
    ]);
    const instance = {
      project_key: 'platform',
      work_item_type_key: 'story',
      work_item_id: REMOTE_STORY,
      chat_group_merge: 0,
    };
    const bind = await api.call('POST', `/open_api/demo/relation/story/${STORY_AT_START}/batch_bind`, {
      relation_rule_id: 'rule_demo_platform',
      instances: [instance],
    });
    expect(bind.json.err_code).toBe(0);
    expect(api.sim.state.bindings.filter((b) => b.work_item_id === STORY_AT_START)).toHaveLength(1);
    const unbind = await api.call('DELETE', `/open_api/demo/relation/story/${STORY_AT_START}`, {
      relation_rule_id: 'rule_demo_platform',
      relation_work_item_id: REMOTE_STORY,
    });
    expect(unbind.json.err_code).toBe(0);
    expect(api.sim.state.bindings.filter((b) => b.work_item_id === STORY_AT_START)).toHaveLength(0);
  });

  it('rejects unknown rules (20006), missing instances (20005), unknown remote items (30005)', async () => {
    api = await startApi();
    const path = `/open_api/demo/relation/story/${STORY}/batch_bind`;
    expect((await api.call('POST', path, { relation_rule_id: 'nope', instances: [] })).json.err_code).toBe(
      20006,
    );
    expect((await api.call('POST', path, { relation_rule_id: 'rule_demo_platform' })).json.err_code).toBe(
      20005,
    );
    const missing = { project_key: 'platform', work_item_type_key: 'story', work_item_id: 1 };
    expect(
      (await api.call('POST', path, { relation_rule_id: 'rule_demo_platform', instances: [missing] })).json
        .err_code,
    ).toBe(30005);
  });

  it('finds bugs linked to a story through search_by_relation', async () => {
    api = await startApi();
    const found = await api.call('POST', `/open_api/demo/work_item/story/${STORY}/search_by_relation`, {
      relation_work_item_type_key: 'issue',
      relation_key: 'linked_story',
      relation_type: 1,
    });
    expect((found.json.data as { id: number }[]).map((i) => i.id)).toEqual([ISSUE_OPEN]);
    const bad = await api.call('POST', `/open_api/demo/work_item/story/${STORY}/search_by_relation`, {
      relation_work_item_type_key: 'issue',
      relation_key: 'priority',
    });
    expect(bad.json.err_code).toBe(30018);
  });
});

describe('configuration reads', () => {
  it('serves types, fields with options, type info, templates, roles and meta', async () => {
    api = await startApi();
    const types = await api.call('GET', '/open_api/demo/work_item/all-types');
    expect((types.json.data as { type_key: string }[]).map((t) => t.type_key)).toEqual(['story', 'issue']);
    const fields = await api.call('POST', '/open_api/demo/field/all', { work_item_type_key: 'story' });
    const priority = (fields.json.data as { field_key: string; options: { value: string }[] }[]).find(
      (f) => f.field_key === 'priority',
    );
    expect(priority?.options.map((o) => o.value)).toEqual(['P0', 'P1', 'P2', 'P3']);
    expect((await api.call('GET', '/open_api/demo/work_item/type/issue')).json.data).toMatchObject({
      flow_mode: 'stateflow',
    });
    const templates = await api.call('GET', '/open_api/demo/template_list/story');
    expect(templates.json.data).toMatchObject([{ template_id: '3001' }]);
    const detail = await api.call('GET', '/open_api/demo/template_detail/3002');
    const connections = (detail.json.data as { connections: unknown[] }).connections;
    expect(connections[0]).toEqual({
      source_state_key: 'open',
      target_state_key: 'in_progress',
      transition_id: 7100001,
    });
    expect((await api.call('GET', '/open_api/demo/template_detail/1')).json.err_code).toBe(50006);
    const roles = await api.call('GET', '/open_api/demo/flow_roles/story');
    expect((roles.json.data as { id: string }[]).map((r) => r.id)).toEqual(['pm', 'rd', 'qa']);
    const meta = await api.call('GET', '/open_api/demo/work_item/story/meta');
    expect(
      (meta.json.data as { field_key: string; role_assign?: unknown[] }[]).find(
        (f) => f.field_key === 'role_owners',
      )?.role_assign,
    ).toHaveLength(3);
    expect((await api.call('GET', '/open_api/demo/work_item/epic/meta')).json.err_code).toBe(30014);
    expect((await api.call('GET', '/open_api/nope/work_item/all-types')).json.err_code).toBe(30001);
    expect((await api.call('GET', '/open_api/demo/work_item/relation')).json.data).toMatchObject([
      { relation_details: [{ work_item_type_key: 'story' }] },
    ]);
    expect((await api.call('GET', '/open_api/demo/business/all')).json.data).toEqual([]);
  });

  it('serves users and spaces', async () => {
    api = await startApi();
    const users = await api.call('POST', '/open_api/user/search', { query: 'ali' });
    expect(users.json.data).toMatchObject([{ user_key: '7400000000000000002', name: { en_us: 'alice' } }]);
    expect((await api.call('POST', '/open_api/user/query', { user_keys: ['1'] })).json.err_code).toBe(30006);
    const spaces = await api.call('POST', '/open_api/projects', { user_key: api.sim.credentials.userKey });
    expect(spaces.json.data).toEqual(['66a1b2c3d4e5f60718293a4b', '66a1b2c3d4e5f60718293a4c']);
    const detail = await api.call('POST', '/open_api/projects/detail', {
      user_key: api.sim.credentials.userKey,
      simple_names: ['demo'],
    });
    expect(detail.json.data).toMatchObject({ '66a1b2c3d4e5f60718293a4b': { simple_name: 'demo' } });
    const chat = await api.call('POST', `/open_api/demo/work_item/${STORY}/bot_join_chat`, {
      work_item_type_key: 'story',
      app_ids: [],
    });
    expect(chat.json.err_code).toBe(20020);
  });
});
