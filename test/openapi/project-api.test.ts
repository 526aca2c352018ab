/**
 * The request and response examples of the API reference's operations.md that the engine
 * relies on, answered verbatim by a MockAgent: the client sends the documented request and
 * parses the documented answer into our shapes (ids as strings).
 */
import { describe, expect, it } from 'vitest';
import { ProjectApi } from '../../src/openapi/project-api.ts';
import type { Result } from '../../src/openapi/api-types.ts';
import { TOKEN_1, mockTenant, tokenAnswer } from './support.ts';

const REF = { projectKey: '68382b399de4b0ec6c5axxxx', typeKey: 'story', id: '6437110001' };
const BASE = `/open_api/${REF.projectKey}/work_item/story/6437110001`;
const EMPTY_OK = '{ "err": {}, "err_code": 0, "err_msg": "" }';

interface Example {
  name: string;
  method: string;
  path: string;
  invoke: (api: ProjectApi) => Promise<Result<unknown>>;
  /** The documented request body (parsed), or the raw text when it holds 19-digit ids. */
  request?: unknown;
  response: string;
  data?: unknown;
}

const EXAMPLES: Example[] = [
  {
    name: 'workItem.filter',
    method: 'POST',
    path: '/open_api/648348096840xxxx/work_item/filter',
    invoke: (api) =>
      api.filterWorkItems('648348096840xxxx', {
        work_item_type_keys: ['story'],
        updated_at: { start: 1753933694372 },
        page_num: 1,
        page_size: 50,
      }),
    request: {
      work_item_type_keys: ['story'],
      updated_at: { start: 1753933694372 },
      page_num: 1,
      page_size: 50,
    },
    response: `{ "err_code": 0, "err_msg": "", "err": {},
  "data": [ { "id": 1, "name": "item1", "work_item_type_key": "story", "project_key": "60acd5610444ba031b503055",
              "simple_name": "test", "pattern": "Node", "work_item_status": {},
              "current_nodes": [ { "id": "state_1", "name": "node1", "owners": ["7012514555133820947"] } ],
              "created_by": "7009146719661228031", "updated_by": "7009146719661228031",
              "created_at": 1633776613033, "updated_at": 1633776613033,
              "fields": [ { "field_key": "aborted", "field_type_key": "aborted", "field_alias": "", "field_value": { "is_aborted": false, "reason": "" } } ] } ],
  "pagination": { "page_num": 1, "page_size": 50, "total": 1 } }`,
    data: [
      expect.objectContaining({
        id: '1',
        pattern: 'Node',
        current_nodes: [{ id: 'state_1', name: 'node1', owners: ['7012514555133820947'] }],
        updated_at: 1633776613033,
      }),
    ],
  },
  {
    name: 'workItem.query',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/work_item/story/query`,
    invoke: (api) =>
      api.queryWorkItems(REF.projectKey, 'story', ['6437110001'], ['name', 'role_owners', 'priority']),
    request: '{"work_item_ids":[6437110001],"fields":["name","role_owners","priority"]}',
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "id": 6437110001, "project_key": "68382b399de4b0ec6c5axxxx", "name": "测试需求", "work_item_type_key": "story",
              "pattern": "Node", "template_id": 3047075, "simple_name": "int8gp",
              "work_item_status": { "state_key": "doing", "is_init_state": false, "is_archived_state": false, "updated_at": 1761475143215, "updated_by": "7491126018028093443", "history": [] },
              "current_nodes": [ { "id": "doing", "name": "进行中", "owners": [], "milestone": false } ],
              "fields": [ { "field_key": "role_owners", "field_alias": "", "field_type_key": "role_owners",
                            "field_value": [ { "role": "role_7908a9", "owners": ["7491126018028093443"] } ] } ],
              "created_by": "7491126018028093443", "created_at": 1761475084469, "updated_at": 1761475143215 } ] }`,
    data: [
      expect.objectContaining({
        id: '6437110001',
        template_id: '3047075',
        work_item_status: expect.objectContaining({ state_key: 'doing' }),
      }),
    ],
  },
  {
    name: 'workItem.create',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/work_item/create`,
    invoke: (api) =>
      api.createWorkItem(REF.projectKey, {
        work_item_type_key: 'story',
        template_id: '123123',
        name: '2333',
        field_value_pairs: [{ field_key: 'description', field_value: '2333' }],
      }),
    request: {
      work_item_type_key: 'story',
      template_id: 123123,
      name: '2333',
      field_value_pairs: [{ field_key: 'description', field_value: '2333' }],
    },
    response: '{ "data": 19781, "err": {}, "err_msg": "", "err_code": 0 }',
    data: '19781',
  },
  {
    name: 'workItem.update',
    method: 'PUT',
    path: BASE,
    invoke: (api) => api.updateWorkItem(REF, [{ field_key: 'field_184c63', field_value: 1646409600000 }]),
    request: { update_fields: [{ field_key: 'field_184c63', field_value: 1646409600000 }] },
    response: '{ "err_code": 0, "err_msg": "", "err": {} }',
  },
  {
    name: 'workItem.abort',
    method: 'PUT',
    path: `${BASE}/abort`,
    invoke: (api) => api.abortWorkItem(REF, { is_aborted: true, reason: '测试', reason_option: 'test' }),
    request: { is_aborted: true, reason: '测试', reason_option: 'test' },
    response: '{ "data": {}, "err": {}, "err_msg": "", "err_code": 0 }',
    data: {},
  },
  {
    name: 'workflow.query (state flow)',
    method: 'POST',
    path: `${BASE}/workflow/query`,
    invoke: (api) => api.workflowQuery(REF, { flow_type: 1 }),
    request: { flow_type: 1 },
    response: `{ "err": {}, "err_code": 0, "err_msg": "", "data": { "state_flow_nodes": [ { "id": "open", "name": "待处理", "status": 3, "role_owners": [ { "role": "operator", "owners": ["u1"] } ],
                          "actual_begin_time": "2025-10-22T03:43:32.886Z", "actual_finish_time": "2025-10-22T03:50:00.000Z", "fields": [] } ],
  "connections": [ { "source_state_key": "open", "target_state_key": "in_progress", "transition_id": 12345 },
                   { "source_state_key": "in_progress", "target_state_key": "resolved", "transition_id": 9223372036854775807 } ],
  "template_id": 3047075, "version": 6 } }`,
    data: expect.objectContaining({
      connections: [
        { source_state_key: 'open', target_state_key: 'in_progress', transition_id: '12345' },
        {
          source_state_key: 'in_progress',
          target_state_key: 'resolved',
          transition_id: '9223372036854775807',
        },
      ],
      version: 6,
    }),
  },
  {
    name: 'workflow.nodeOperate',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/workflow/story/6437110001/node/doing/operate`,
    invoke: (api) =>
      api.operateNode(REF, 'doing', {
        action: 'confirm',
        fields: [{ field_key: 'field_658c22', field_value: '23333' }],
      }),
    request: { action: 'confirm', fields: [{ field_key: 'field_658c22', field_value: '23333' }] },
    response: '{ "data": {}, "err": {}, "err_msg": "", "err_code": 0 }',
    data: {},
  },
  {
    name: 'workflow.stateChange',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/workflow/story/6437110001/node/state_change`,
    invoke: (api) =>
      api.changeState(REF, {
        transition_id: '9223372036854775807',
        role_owners: [{ role: 'PM', owners: [] }],
      }),
    request: '{"transition_id":9223372036854775807,"role_owners":[{"role":"PM","owners":[]}]}',
    response: '{ "data": {}, "err": {}, "err_msg": "", "err_code": 0 }',
    data: {},
  },
  {
    name: 'workflow.transitionRequiredInfo',
    method: 'POST',
    path: '/open_api/work_item/transition_required_info/get',
    invoke: (api) => api.transitionRequiredInfo(REF, 'doing', 'unfinished'),
    request: {
      project_key: REF.projectKey,
      work_item_type_key: 'story',
      work_item_id: 6437110001,
      state_key: 'doing',
      mode: 'unfinished',
    },
    response: `{ "err": {}, "err_code": 0, "err_msg": "", "data": { "form_items": [ { "class": "field", "key": "priority", "field_type_key": "select", "finished": false } ],
  "tasks": [ { "task_id": 1259200002, "finished": false } ], "deliverables": [], "node_fields": [] } }`,
    data: {
      form_items: [{ class: 'field', key: 'priority', field_type_key: 'select', finished: false }],
      tasks: [{ task_id: '1259200002', finished: false }],
      deliverables: [],
      node_fields: [],
    },
  },
  {
    name: 'comment.create',
    method: 'POST',
    path: `${BASE}/comment/create`,
    invoke: (api) => api.createComment(REF, { content: '测试评论' }),
    request: { content: '测试评论' },
    response: '{ "err": {}, "err_code": 0, "err_msg": "", "data": 7565422599569830001 }',
    data: '7565422599569830001',
  },
  {
    name: 'comment.list',
    method: 'GET',
    path: `${BASE}/comments?page_num=1&page_size=200`,
    invoke: (api) => api.listComments(REF, { page_num: 1, page_size: 200 }),
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "id": 7565431108055490001, "work_item_id": 6215410001, "work_item_type_key": "story",
              "created_at": 1761464548000, "operator": "7491126018028093443", "content": "测试评论1" } ],
  "pagination": { "total": 1, "page_num": 1, "page_size": 200 } }`,
    data: [
      {
        id: '7565431108055490001',
        work_item_id: '6215410001',
        work_item_type_key: 'story',
        created_at: 1761464548000,
        operator: '7491126018028093443',
        content: '测试评论1',
      },
    ],
  },
  {
    name: 'subtask.create',
    method: 'POST',
    path: `${BASE}/workflow/task`,
    invoke: (api) =>
      api.createSubtask(REF, { node_id: 'doing', name: '写单测', assignee: ['7491126018028093443'] }),
    request: { node_id: 'doing', name: '写单测', assignee: ['7491126018028093443'] },
    response: '{ "data": 6432700001, "err": {}, "err_msg": "", "err_code": 0 }',
    data: '6432700001',
  },
  {
    name: 'subtask.modify',
    method: 'POST',
    path: `${BASE}/subtask/modify`,
    invoke: (api) => api.modifySubtask(REF, { node_id: 'doing', task_id: '6432700001', action: 'confirm' }),
    request: { node_id: 'doing', task_id: 6432700001, action: 'confirm' },
    response: '{ "err": {}, "err_msg": "", "err_code": 0 }',
  },
  {
    name: 'subtask.list',
    method: 'GET',
    path: `${BASE}/workflow/task?node_id=doing`,
    invoke: (api) => api.listSubtasks(REF, 'doing'),
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "id": "doing", "state_key": "doing", "node_name": "进行中", "template_id": 3047075, "version": 6,
              "sub_tasks": [ { "id": "6432700001", "name": "写单测", "passed": false, "assignee": ["7491126018028093443"], "owners": ["7491126018028093443"],
                               "actual_begin_time": "2025-10-22T03:43:32.886Z", "actual_finish_time": "" } ] } ] }`,
    data: [
      expect.objectContaining({
        template_id: '3047075',
        sub_tasks: [expect.objectContaining({ id: '6432700001', passed: false })],
      }),
    ],
  },
  {
    name: 'relation.rules',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/relation/rules`,
    invoke: (api) => api.relationRules(REF.projectKey, ['remote_space_key']),
    request: { remote_projects: ['remote_space_key'] },
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "remote_project_key": "remote_space_key", "remote_project_name": "远端空间",
              "rules": [ { "id": "rule_1", "name": "需求同步", "disabled": 0, "work_item_relation_id": "rel_1", "work_item_relation_name": "关联需求",
                           "current_work_item_type_key": "story", "current_work_item_type_name": "需求",
                           "remote_work_item_type_key": "story", "remote_work_item_type_name": "需求", "chat_group_merge": 0 } ] } ] }`,
    data: [
      expect.objectContaining({
        remote_project_key: 'remote_space_key',
        rules: [expect.objectContaining({ id: 'rule_1' })],
      }),
    ],
  },
  {
    name: 'relation.workItemList',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/relation/story/6437110001/work_item_list`,
    invoke: (api) => api.relationWorkItems(REF, 'rule_1'),
    request: { relation_rule_id: 'rule_1' },
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "relation_work_item_id": 6437110002, "relation_work_item_name": "远端需求", "relation_work_item_type_key": "story",
              "relation_work_item_type_name": "需求", "project_relation_rule_id": "rule_1", "project_relation_rule_name": "需求同步",
              "relation_project_key": "remote_space_key", "relation_project_name": "远端空间" } ] }`,
    data: [
      expect.objectContaining({ relation_work_item_id: '6437110002', project_relation_rule_id: 'rule_1' }),
    ],
  },
  {
    name: 'relation.batchBind',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/relation/story/6437110001/batch_bind`,
    invoke: (api) =>
      api.bindRelations(REF, 'rule_1', [
        {
          project_key: 'remote_space',
          work_item_type_key: 'story',
          work_item_id: '6437110002',
          chat_group_merge: 0,
        },
      ]),
    request: {
      relation_rule_id: 'rule_1',
      instances: [
        {
          project_key: 'remote_space',
          work_item_type_key: 'story',
          work_item_id: 6437110002,
          chat_group_merge: 0,
        },
      ],
    },
    response: EMPTY_OK,
  },
  {
    name: 'relation.unbind (DELETE with a body)',
    method: 'DELETE',
    path: `/open_api/${REF.projectKey}/relation/story/6437110001`,
    invoke: (api) => api.unbindRelation(REF, 'rule_1', '6437110002'),
    request: { relation_rule_id: 'rule_1', relation_work_item_id: 6437110002 },
    response: EMPTY_OK,
  },
  {
    name: 'config.fieldsAll',
    method: 'POST',
    path: `/open_api/${REF.projectKey}/field/all`,
    invoke: (api) => api.allFields(REF.projectKey, 'story'),
    request: { work_item_type_key: 'story' },
    response: `{ "err": {}, "err_code": 0, "err_msg": "", "data": [ { "field_key": "priority", "field_alias": "priority", "field_type_key": "select", "field_name": "优先级", "is_custom_field": false,
           "work_item_scopes": ["story"], "value_generate_mode": "Default", "relation_id": "",
           "options": [ { "label": "P0", "value": "0", "order": 0, "color": "", "is_visibility": 1, "is_disabled": 2, "work_item_type_key": "story" } ] } ] }`,
    data: [
      expect.objectContaining({
        field_key: 'priority',
        options: [expect.objectContaining({ label: 'P0', value: '0' })],
      }),
    ],
  },
  {
    name: 'config.allTypes',
    method: 'GET',
    path: `/open_api/${REF.projectKey}/work_item/all-types`,
    invoke: (api) => api.allTypes(REF.projectKey),
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "type_key": "story", "name": "需求", "is_disable": 2, "api_name": "story", "enable_model_resource_lib": false },
            { "type_key": "issue", "name": "缺陷", "is_disable": 2, "api_name": "issue", "enable_model_resource_lib": false } ] }`,
    data: [expect.objectContaining({ type_key: 'story' }), expect.objectContaining({ type_key: 'issue' })],
  },
  {
    name: 'workItem.meta',
    method: 'GET',
    path: `/open_api/${REF.projectKey}/work_item/story/meta`,
    invoke: (api) => api.workItemMeta(REF.projectKey, 'story'),
    response: `{ "err": {}, "err_code": 0, "err_msg": "", "data": [ { "field_key": "name", "field_alias": "name", "field_name": "名称", "field_type_key": "text",
    "is_required": 2, "is_validity": 1, "is_visibility": 1, "default_value": { "default_appear": 3, "value": null } } ] }`,
    data: [expect.objectContaining({ field_key: 'name', field_type_key: 'text', is_required: 2 })],
  },
  {
    name: 'workItem.opRecords',
    method: 'POST',
    path: '/open_api/op_record/work_item/list',
    invoke: (api) =>
      api.opRecords({ project_key: REF.projectKey, work_item_ids: ['6437110001'], page_size: 50 }),
    request: { project_key: REF.projectKey, work_item_ids: [6437110001], page_size: 50 },
    response: `{ "err": {}, "err_code": 0, "err_msg": "", "data": { "has_more": false, "start_from": "",
  "op_records": [ { "project_key": "68382b399de4b0ec6c5axxxx", "work_item_type_key": "story", "work_item_id": 6437110001,
                    "operation_time": 1761554393000, "operator_type": "user", "operator": "7491126018028093443",
                    "operation_type": "modify", "op_record_module": "field_mod",
                    "record_contents": [ { "object": { "object_type": "field", "object_value": "field_4b512b" },
                                           "old": [], "new": ["6436220001"], "add": [], "delete": [] } ] } ] } }`,
    data: expect.objectContaining({
      has_more: false,
      op_records: [expect.objectContaining({ work_item_id: '6437110001', operation_type: 'modify' })],
    }),
  },
  {
    name: 'user.query',
    method: 'POST',
    path: '/open_api/user/query',
    invoke: (api) => api.queryUsers({ user_keys: ['7012514555133xxxx'] }),
    request: { user_keys: ['7012514555133xxxx'] },
    response: `{ "err": {}, "err_code": 0, "err_msg": "",
  "data": [ { "user_id": 0, "user_key": "749112601802809xxxx", "username": "749112601802809xxxx", "name_cn": "用户1", "name_en": "user1",
              "name": { "default": "用户1", "zh_cn": "用户1", "en_us": "user1" }, "email": "user1@example.com",
              "out_id": "on_66444f9a15170e1a3609cdda0e6dxxxx", "avatar_url": "https://…", "status": "activated" } ] }`,
    data: [
      expect.objectContaining({ user_key: '749112601802809xxxx', user_id: '0', email: 'user1@example.com' }),
    ],
  },
];

describe('ProjectApi: the operations.md examples', () => {
  it.each(EXAMPLES)('$name', async (example) => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool
      .intercept({ path: example.path, method: example.method })
      .reply(200, (opts) => (t.record(opts), example.response), {
        headers: { 'content-type': 'application/json' },
      });

    const outcome = await example.invoke(new ProjectApi(t.client));

    expect(outcome.class).toBe('ok');
    expect(outcome.data).toEqual(example.data);
    const sent = t.seen[0];
    if (example.request === undefined) expect(sent?.body).toBe('');
    else if (typeof example.request === 'string') expect(sent?.body).toBe(example.request);
    else expect(JSON.parse(sent?.body ?? '')).toEqual(example.request);
  });

  it('covers a pagination answer', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    const comments = EXAMPLES.find((e) => e.name === 'comment.list');
    t.pool.intercept({ path: comments?.path ?? '', method: 'GET' }).reply(200, comments?.response ?? '');
    const outcome = await new ProjectApi(t.client).listComments(REF, { page_num: 1, page_size: 200 });
    expect(outcome.pagination).toEqual({ total: 1, page_num: 1, page_size: 200 });
  });

  it('repeats once after a refused token when asked to', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1))
      .times(2);
    t.pool
      .intercept({ path: `/open_api/${REF.projectKey}/work_item/all-types`, method: 'GET' })
      .reply(401, '{"err_code":10022,"err_msg":"Check Token Failed","err":{}}');
    t.pool
      .intercept({ path: `/open_api/${REF.projectKey}/work_item/all-types`, method: 'GET' })
      .reply(200, EMPTY_OK);
    expect((await new ProjectApi(t.client, { tokenRetry: true }).allTypes(REF.projectKey)).class).toBe('ok');
  });

  it('refuses an id that is not an integer before sending', () => {
    const t = mockTenant();
    const api = new ProjectApi(t.client);
    expect(() => api.unbindRelation(REF, 'rule_1', '12abc')).toThrow(/"12abc" is not an int64 id/);
  });
});
