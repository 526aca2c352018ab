/**
 * The demo tenant's configuration: users, two spaces, a node-flow `story` type, a state-flow
 * `issue` type, fields with options, templates, and a space relation rule.
 */
import { demoLarkDirectory } from './lark-seed.ts';
import type { FieldDef, Space, Template, TenantData, User, WorkItemType } from './types.ts';

export const DEMO = {
  pluginId: 'MII_SIM0000000000001',
  pluginSecret: 'sim-plugin-secret-0001',
  botUserKey: '7400000000000000001',
  projectKey: '66a1b2c3d4e5f60718293a4b',
  simpleName: 'demo',
  remoteProjectKey: '66a1b2c3d4e5f60718293a4c',
  remoteSimpleName: 'platform',
  larkAppId: 'cli_sim0000000001',
  larkAppSecret: 'sim-lark-secret-0001',
  relationRuleId: 'rule_demo_platform',
  storyTemplateId: 3001,
  issueTemplateId: 3002,
  platformTemplateId: 3003,
} as const;

export const USERS = {
  bot: DEMO.botUserKey,
  alice: '7400000000000000002',
  bob: '7400000000000000003',
  carol: '7400000000000000004',
  /** A Feishu Project user with no Lark identity (no out_id, no e-mail). */
  dave: '7400000000000000005',
} as const;

function user(key: string, name: string): User {
  return {
    user_key: key,
    username: name,
    name_cn: name,
    name_en: name,
    email: `${name}@example.com`,
    out_id: `on_${key}`,
    status: 'activated',
  };
}

/** Someone who uses Feishu Project without a Lark account: nothing to send a message to. */
function userWithoutLark(key: string, name: string): User {
  return { ...user(key, name), email: '', out_id: '' };
}

function space(project_key: string, simple_name: string, name: string): Space {
  return { project_key, simple_name, name, administrators: [USERS.alice] };
}

function field(
  project_key: string,
  field_key: string,
  field_type_key: string,
  scopes: string[],
  extra: Partial<FieldDef> = {},
): FieldDef {
  return {
    project_key,
    field_key,
    field_alias: extra.field_alias ?? '',
    field_name: extra.field_name ?? field_key,
    field_type_key,
    work_item_scopes: scopes,
    is_custom_field: field_key.startsWith('field_') || field_key.startsWith('_field'),
    ...extra,
  };
}

const priority = ['P0', 'P1', 'P2', 'P3'].map((p) => ({ value: p, label: p }));
const severity = ['critical', 'major', 'minor'].map((s) => ({ value: s, label: s }));

function spaceFields(pk: string, types: string[]): FieldDef[] {
  return [
    field(pk, 'name', 'text', types, { field_alias: 'name', field_name: 'Name' }),
    field(pk, 'description', 'multi_text', types, { field_alias: 'description', field_name: 'Description' }),
    field(pk, 'priority', 'select', types, {
      field_alias: 'priority',
      field_name: 'Priority',
      options: priority,
    }),
    field(pk, 'watchers', 'multi_user', types, { field_alias: 'watchers', field_name: 'Watchers' }),
    field(pk, 'role_owners', 'role_owners', types, { field_name: 'Roles and people' }),
    field(pk, 'aborted', 'aborted', types, { field_name: 'Terminated', read_only: true }),
    field(pk, 'owner', 'user', types, { field_alias: 'owner', field_name: 'Creator', read_only: true }),
    field(pk, 'template', 'work_item_template', types, { field_name: 'Template', read_only: true }),
    field(pk, 'work_item_status', 'work_item_status', types, { field_name: 'Status', read_only: true }),
  ];
}

function storyTemplate(template_id: number, project_key: string): Template {
  return {
    template_id,
    project_key,
    work_item_type_key: 'story',
    name: 'Standard story',
    version: 1,
    flow: 'node',
    nodes: [
      { state_key: 'start', name: 'Start', owner_roles: ['pm'], required_fields: [], pass_mode: 2 },
      {
        state_key: 'doing',
        name: 'Development',
        owner_roles: ['rd'],
        required_fields: ['field_test_plan'],
        pass_mode: 2,
      },
      { state_key: 'testing', name: 'Testing', owner_roles: ['qa'], required_fields: [], pass_mode: 2 },
      { state_key: 'end', name: 'Done', owner_roles: [], required_fields: [], pass_mode: 2, milestone: true },
    ],
    connections: [
      { source_state_key: 'start', target_state_key: 'doing' },
      { source_state_key: 'doing', target_state_key: 'testing' },
      { source_state_key: 'testing', target_state_key: 'end' },
    ],
    states: [],
    transitions: [],
  };
}

function issueTemplate(): Template {
  return {
    template_id: DEMO.issueTemplateId,
    project_key: DEMO.projectKey,
    work_item_type_key: 'issue',
    name: 'Bug',
    version: 1,
    flow: 'state',
    nodes: [],
    connections: [],
    states: [
      { state_key: 'open', name: 'Open', is_init: true, is_archived: false },
      { state_key: 'in_progress', name: 'In progress', is_init: false, is_archived: false },
      { state_key: 'resolved', name: 'Resolved', is_init: false, is_archived: true },
    ],
    transitions: [
      {
        transition_id: 7100001,
        source_state_key: 'open',
        target_state_key: 'in_progress',
        required_fields: [],
      },
      {
        transition_id: 7100002,
        source_state_key: 'in_progress',
        target_state_key: 'resolved',
        required_fields: ['field_resolution'],
      },
      {
        transition_id: 7100003,
        source_state_key: 'resolved',
        target_state_key: 'in_progress',
        required_fields: [],
      },
      {
        transition_id: 7100004,
        source_state_key: 'in_progress',
        target_state_key: 'open',
        required_fields: [],
      },
      {
        transition_id: 7100005,
        source_state_key: 'open',
        target_state_key: 'resolved',
        required_fields: ['field_resolution'],
      },
    ],
  };
}

const storyRoles = [
  { id: 'pm', name: 'Product manager' },
  { id: 'rd', name: 'Developer' },
  { id: 'qa', name: 'Tester' },
];

function types(): WorkItemType[] {
  return [
    {
      project_key: DEMO.projectKey,
      type_key: 'story',
      name: 'Story',
      flow_mode: 'workflow',
      template_ids: [DEMO.storyTemplateId],
      roles: storyRoles,
    },
    {
      project_key: DEMO.projectKey,
      type_key: 'issue',
      name: 'Bug',
      flow_mode: 'stateflow',
      template_ids: [DEMO.issueTemplateId],
      roles: [
        { id: 'reporter', name: 'Reporter' },
        { id: 'operator', name: 'Assignee' },
      ],
    },
    {
      project_key: DEMO.remoteProjectKey,
      type_key: 'story',
      name: 'Story',
      flow_mode: 'workflow',
      template_ids: [DEMO.platformTemplateId],
      roles: storyRoles,
    },
  ];
}

function fields(): FieldDef[] {
  const pk = DEMO.projectKey;
  return [
    ...spaceFields(pk, ['story', 'issue']),
    field(pk, 'field_test_plan', 'link', ['story'], { field_alias: 'test_plan', field_name: 'Test plan' }),
    field(pk, 'field_attachments', 'multi_file', ['story', 'issue'], {
      field_alias: 'attachments',
      field_name: 'Attachments',
    }),
    field(pk, 'field_estimate', 'number', ['story'], { field_alias: 'estimate', field_name: 'Estimate' }),
    field(pk, 'field_severity', 'select', ['issue'], {
      field_alias: 'severity',
      field_name: 'Severity',
      options: severity,
    }),
    field(pk, 'field_resolution', 'text', ['issue'], { field_alias: 'resolution', field_name: 'Resolution' }),
    field(pk, '_field_linked_story', 'work_item_related_select', ['issue'], {
      field_alias: 'linked_story',
      field_name: 'Linked story',
      relation_type_key: 'story',
    }),
    ...spaceFields(DEMO.remoteProjectKey, ['story']),
  ];
}

/** The configuration half of the demo tenant: no work items yet. */
export function demoConfig(): TenantData {
  return {
    plugin: { plugin_id: DEMO.pluginId, plugin_secret: DEMO.pluginSecret },
    lark: { app_id: DEMO.larkAppId, app_secret: DEMO.larkAppSecret, ...demoLarkDirectory() },
    bot_user_key: DEMO.botUserKey,
    users: [
      user(USERS.bot, 'autopilot-bot'),
      user(USERS.alice, 'alice'),
      user(USERS.bob, 'bob'),
      user(USERS.carol, 'carol'),
      userWithoutLark(USERS.dave, 'dave'),
    ],
    spaces: [
      space(DEMO.projectKey, DEMO.simpleName, 'Demo space'),
      space(DEMO.remoteProjectKey, DEMO.remoteSimpleName, 'Platform'),
    ],
    types: types(),
    fields: fields(),
    templates: [
      storyTemplate(DEMO.storyTemplateId, DEMO.projectKey),
      issueTemplate(),
      storyTemplate(DEMO.platformTemplateId, DEMO.remoteProjectKey),
    ],
    work_items: [],
    subtasks: [],
    comments: [],
    relation_rules: [
      {
        id: DEMO.relationRuleId,
        name: 'Story sync',
        project_key: DEMO.projectKey,
        remote_project_key: DEMO.remoteProjectKey,
        current_work_item_type_key: 'story',
        remote_work_item_type_key: 'story',
        work_item_relation_id: 'rel_story_sync',
        work_item_relation_name: 'Synced story',
        disabled: 0,
        chat_group_merge: 0,
      },
    ],
    bindings: [],
    op_records: [],
    counters: { work_item: 6437110000, subtask: 6432700000, comment: '7565422599569830000', op_record: 0 },
  };
}

/** A tenant with nothing in it but the plugin and the bot user (for `seed: 'empty'`). */
export function emptyTenant(): TenantData {
  const demo = demoConfig();
  return {
    ...demo,
    users: demo.users.slice(0, 1),
    spaces: [],
    types: [],
    fields: [],
    templates: [],
    relation_rules: [],
  };
}
