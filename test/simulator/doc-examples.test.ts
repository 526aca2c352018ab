/**
 * The simulator answers the operations.md examples the engine relies on in the documented
 * shape (the responses below are the reference's examples, ids adapted to the demo tenant).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapeMismatches } from './doc-shape.ts';
import { ISSUE_IN_PROGRESS, ISSUE_OPEN, PK, STORY, STORY_AT_START, startApi, type Api } from './helpers.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi({ rateLimits: false });
});
afterAll(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const ok = { err_code: 0, err_msg: '', err: {} };
const workItemInfo = {
  id: 1,
  name: 'item1',
  work_item_type_key: 'story',
  project_key: 'x',
  simple_name: 'test',
  pattern: 'Node',
  template_id: 3047075,
  work_item_status: {
    state_key: 'doing',
    is_init_state: false,
    is_archived_state: false,
    updated_at: 1,
    updated_by: 'u',
    history: [],
  },
  current_nodes: [{ id: 'doing', name: '进行中', owners: ['u'], milestone: false }],
  state_times: [{ state_key: 'started', name: '开始', start_time: 1, end_time: 1 }],
  created_by: 'u',
  updated_by: 'u',
  created_at: 1,
  updated_at: 1,
  fields: [
    {
      field_key: 'aborted',
      field_type_key: 'aborted',
      field_alias: '',
      field_value: { is_aborted: false, reason: '' },
    },
  ],
};
const story = `/open_api/${PK}/work_item/story/${STORY}`;

interface Case {
  name: string;
  method: string;
  path: string | (() => string);
  body?: unknown;
  documented: unknown;
}

const CASES: Case[] = [
  {
    name: 'auth.pluginToken',
    method: 'POST',
    path: '/open_api/authen/plugin_token',
    body: { plugin_id: 'MII_SIM0000000000001', plugin_secret: 'sim-plugin-secret-0001', type: 0 },
    documented: { data: { expire_time: 7200, token: 'p-' }, error: { code: 0, msg: 'success' } },
  },
  {
    name: 'workItem.filter',
    method: 'POST',
    path: `/open_api/${PK}/work_item/filter`,
    body: {
      work_item_type_keys: ['story'],
      updated_at: { start: 1753933694372 },
      page_num: 1,
      page_size: 50,
    },
    documented: { ...ok, data: [workItemInfo], pagination: { page_num: 1, page_size: 50, total: 1 } },
  },
  {
    name: 'workItem.searchByParams',
    method: 'POST',
    path: `/open_api/${PK}/work_item/story/search/params`,
    body: {
      search_group: {
        conjunction: 'AND',
        search_params: [{ param_key: 'updated_at', value: 1753933694372, operator: '>' }],
        search_groups: [],
      },
      page_num: 1,
      page_size: 50,
      fields: ['name', 'work_item_status', 'updated_at'],
    },
    documented: {
      ...ok,
      data: [{ ...workItemInfo, fields: [] }],
      pagination: { page_num: 1, page_size: 50, total: 1 },
    },
  },
  {
    name: 'workItem.query',
    method: 'POST',
    path: `/open_api/${PK}/work_item/story/query`,
    body: { work_item_ids: [STORY], fields: ['name', 'role_owners', 'priority'] },
    documented: {
      ...ok,
      data: [
        {
          ...workItemInfo,
          fields: [
            {
              field_key: 'role_owners',
              field_alias: '',
              field_type_key: 'role_owners',
              field_value: [{ role: 'r', owners: ['u'] }],
            },
          ],
        },
      ],
    },
  },
  {
    name: 'workItem.meta',
    method: 'GET',
    path: `/open_api/${PK}/work_item/story/meta`,
    documented: {
      ...ok,
      data: [
        {
          field_key: 'name',
          field_alias: 'name',
          field_name: '名称',
          field_type_key: 'text',
          is_required: 2,
          is_validity: 1,
          is_visibility: 1,
          default_value: { default_appear: 3, value: null },
        },
      ],
    },
  },
  {
    name: 'workItem.create',
    method: 'POST',
    path: `/open_api/${PK}/work_item/create`,
    body: {
      work_item_type_key: 'story',
      template_id: 3001,
      name: '2333',
      field_value_pairs: [
        { field_key: 'description', field_value: '2333' },
        { field_key: 'priority', field_value: { value: 'P0' } },
        { field_key: 'role_owners', field_value: [{ role: 'rd', owners: ['7400000000000000003'] }] },
      ],
    },
    documented: { data: 19781, err: {}, err_msg: '', err_code: 0 },
  },
  {
    name: 'workItem.update',
    method: 'PUT',
    path: story,
    body: {
      update_fields: [
        { field_key: 'role_owners', field_value: [{ role: 'rd', owners: ['7400000000000000003'] }] },
      ],
    },
    documented: ok,
  },
  {
    name: 'workflow.query (node flow)',
    method: 'POST',
    path: `${story}/workflow/query`,
    body: {},
    documented: {
      ...ok,
      data: {
        workflow_nodes: [
          {
            id: 'start',
            state_key: 'start',
            name: '开始',
            status: 3,
            owners: ['u'],
            actual_begin_time: '',
            actual_finish_time: '',
            sub_tasks: [],
          },
        ],
        connections: [{ source_state_key: 'start', target_state_key: 'doing' }],
        template_id: 3047075,
        version: 6,
      },
    },
  },
  {
    name: 'workflow.query (state flow)',
    method: 'POST',
    path: `/open_api/${PK}/work_item/issue/${ISSUE_OPEN}/workflow/query`,
    body: { flow_type: 1 },
    documented: {
      ...ok,
      data: {
        state_flow_nodes: [
          {
            id: 'open',
            name: '待处理',
            status: 3,
            role_owners: [{ role: 'operator', owners: ['u1'] }],
            actual_begin_time: '',
            actual_finish_time: '',
            fields: [],
          },
        ],
        connections: [{ source_state_key: 'open', target_state_key: 'in_progress', transition_id: 12345 }],
        template_id: 3047075,
        version: 6,
      },
    },
  },
  {
    name: 'workflow.nodeOperate',
    method: 'POST',
    path: `/open_api/${PK}/workflow/story/${STORY_AT_START}/node/start/operate`,
    body: { action: 'confirm', fields: [{ field_key: 'description', field_value: '23333' }] },
    documented: { data: {}, err: {}, err_msg: '', err_code: 0 },
  },
  {
    name: 'workflow.stateChange',
    method: 'POST',
    path: `/open_api/${PK}/workflow/issue/${ISSUE_OPEN}/node/state_change`,
    body: {
      transition_id: 7100001,
      role_owners: [{ role: 'operator', owners: [] }],
      fields: [{ field_key: 'description', field_value: '23333' }],
    },
    documented: { data: {}, err: {}, err_msg: '', err_code: 0 },
  },
  {
    name: 'workflow.transitionRequiredInfo',
    method: 'POST',
    path: '/open_api/work_item/transition_required_info/get',
    body: {
      project_key: PK,
      work_item_type_key: 'issue',
      work_item_id: ISSUE_IN_PROGRESS,
      state_key: 'resolved',
      mode: 'unfinished',
    },
    documented: {
      ...ok,
      data: {
        form_items: [{ class: 'field', key: 'priority', field_type_key: 'select', finished: false }],
        tasks: [],
        deliverables: [],
        node_fields: [],
      },
    },
  },
  {
    name: 'comment.create',
    method: 'POST',
    path: `${story}/comment/create`,
    body: { content: '测试评论' },
    documented: { ...ok, data: 1 }, // the doc shows a 19-digit number; only its JSON type is compared here
  },
  {
    name: 'comment.list',
    method: 'GET',
    path: `${story}/comments?page_num=1&page_size=200`,
    documented: {
      ...ok,
      data: [
        {
          id: 1,
          work_item_id: 6215410001,
          work_item_type_key: 'story',
          created_at: 1,
          operator: 'u',
          content: '测试评论1',
        },
      ],
      pagination: { total: 1, page_num: 1, page_size: 200 },
    },
  },
  {
    name: 'subtask.create',
    method: 'POST',
    path: `${story}/workflow/task`,
    body: {
      node_id: 'doing',
      name: '写单测',
      assignee: ['7400000000000000003'],
      schedule: { estimate_start_date: 1724169600000, estimate_end_date: 1724428799999, points: 1 },
    },
    documented: { data: 6432700001, err: {}, err_msg: '', err_code: 0 },
  },
  {
    name: 'subtask.list',
    method: 'GET',
    path: `${story}/workflow/task?node_id=doing`,
    documented: {
      ...ok,
      data: [
        {
          id: 'doing',
          state_key: 'doing',
          node_name: '进行中',
          template_id: 1,
          version: 6,
          sub_tasks: [
            {
              id: '1',
              name: '写单测',
              passed: false,
              assignee: ['u'],
              owners: ['u'],
              actual_begin_time: '',
              actual_finish_time: '',
            },
          ],
        },
      ],
    },
  },
  {
    name: 'relation.rules',
    method: 'POST',
    path: `/open_api/${PK}/relation/rules`,
    body: {},
    documented: {
      ...ok,
      data: [
        {
          remote_project_key: 'r',
          remote_project_name: 'n',
          rules: [
            {
              id: 'rule_1',
              name: 'x',
              disabled: 0,
              work_item_relation_id: 'rel_1',
              work_item_relation_name: 'x',
              current_work_item_type_key: 'story',
              current_work_item_type_name: 'x',
              remote_work_item_type_key: 'story',
              remote_work_item_type_name: 'x',
              chat_group_merge: 0,
            },
          ],
        },
      ],
    },
  },
  {
    name: 'relation.workItemList',
    method: 'POST',
    path: `/open_api/${PK}/relation/story/${STORY}/work_item_list`,
    body: { relation_rule_id: 'rule_demo_platform' },
    documented: {
      ...ok,
      data: [
        {
          relation_work_item_id: 1,
          relation_work_item_name: 'x',
          relation_work_item_type_key: 'story',
          relation_work_item_type_name: 'x',
          project_relation_rule_id: 'r',
          project_relation_rule_name: 'x',
          relation_project_key: 'p',
          relation_project_name: 'x',
        },
      ],
    },
  },
  {
    name: 'config.fieldsAll',
    method: 'POST',
    path: `/open_api/${PK}/field/all`,
    body: { work_item_type_key: 'story' },
    documented: {
      ...ok,
      data: [
        {
          field_key: 'priority',
          field_alias: 'priority',
          field_type_key: 'select',
          field_name: '优先级',
          is_custom_field: false,
          work_item_scopes: ['story'],
          value_generate_mode: 'Default',
          relation_id: '',
          options: [],
        },
      ],
    },
  },
  {
    name: 'config.allTypes',
    method: 'GET',
    path: `/open_api/${PK}/work_item/all-types`,
    documented: {
      ...ok,
      data: [
        {
          type_key: 'story',
          name: '需求',
          is_disable: 2,
          api_name: 'story',
          enable_model_resource_lib: false,
        },
      ],
    },
  },
  {
    name: 'workItem.opRecords',
    method: 'POST',
    path: '/open_api/op_record/work_item/list',
    body: { project_key: PK, work_item_ids: [STORY], page_size: 50 },
    documented: {
      ...ok,
      data: {
        has_more: false,
        start_from: '',
        op_records: [
          {
            project_key: 'p',
            work_item_type_key: 'story',
            work_item_id: 1,
            operation_time: 1,
            operator_type: 'user',
            operator: 'u',
            operation_type: 'modify',
            op_record_module: 'field_mod',
            record_contents: [
              {
                object: { object_type: 'field', object_value: 'f' },
                old: [],
                new: ['1'],
                add: [],
                delete: [],
              },
            ],
          },
        ],
      },
    },
  },
  {
    name: 'user.query',
    method: 'POST',
    path: '/open_api/user/query',
    body: { user_keys: ['7400000000000000002'] },
    documented: {
      ...ok,
      data: [
        {
          user_id: 0,
          user_key: 'u',
          username: 'u',
          name_cn: '用户1',
          name_en: 'user1',
          name: { default: 'x', zh_cn: 'x', en_us: 'x' },
          email: 'e',
          out_id: 'o',
          avatar_url: 'a',
          status: 'activated',
        },
      ],
    },
  },
  {
    name: 'workItem.abort',
    method: 'PUT',
    path: `${story}/abort`,
    body: { is_aborted: true, reason: '测试', reason_option: 'test' },
    documented: { data: {}, err: {}, err_msg: '', err_code: 0 },
  },
];

describe('operations.md examples, answered by the simulator', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const path = typeof c.path === 'string' ? c.path : c.path();
    const answer = await api.call(c.method, path, c.body);
    expect(answer.status, answer.text).toBe(200);
    expect(shapeMismatches(answer.json, c.documented)).toEqual([]);
  });

  it('keeps comment ids unquoted and beyond 2^53 as documented', async () => {
    const answer = await api.call('GET', `${story}/comments`);
    expect(answer.text).toMatch(/"id":\d{19},/);
  });
});
