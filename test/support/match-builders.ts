/** Builders for rules and events in matcher, planner and action tests (no YAML involved). */
import type { Event } from '../../src/events/event.ts';
import type { ActionSpec, ConditionNode, Rule, Trigger } from '../../src/rules/rule.ts';

export function buildRule(overrides: Partial<Rule> & { id?: string } = {}): Rule {
  const id = overrides.id ?? 'test-rule';
  return {
    id,
    enabled: true,
    mode: 'live',
    on: { event: 'work_item.created' } satisfies Trigger,
    do: [],
    allow_self: false,
    version: 'v1',
    source: { file: `rules/${id}.yaml` },
    ...overrides,
  };
}

export function when(node: ConditionNode): { when: ConditionNode } {
  return { when: node };
}

export function action(
  type: string,
  params: Record<string, unknown>,
  extra: Partial<ActionSpec> = {},
): ActionSpec {
  return { type, params, ...extra };
}

export function buildEvent(overrides: Partial<Event> = {}): Event {
  return {
    id: 'evt-1',
    source: 'feishu',
    type: 'work_item.created',
    occurredAt: 1_700_000_000_000,
    projectKey: 'space1',
    workItem: { id: '6437110001', typeKey: 'story' },
    operator: 'user_a',
    payload: {},
    ...overrides,
  };
}

/** An Open API WorkItemInfo as `workItem.query` returns it. */
export function rawWorkItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 6437110001,
    name: 'Login fails',
    work_item_type_key: 'story',
    project_key: 'space1',
    pattern: 'State',
    work_item_status: { state_key: 'open' },
    current_nodes: [{ id: 'doing', name: 'Doing', owners: [], milestone: false }],
    created_by: 'user_a',
    updated_by: 'user_b',
    created_at: 1_699_000_000_000,
    updated_at: 1_699_500_000_000,
    fields: [
      {
        field_key: 'priority',
        field_alias: '',
        field_type_key: 'select',
        field_value: { label: 'P0', value: '0' },
      },
      {
        field_key: 'field_a1',
        field_alias: 'severity',
        field_type_key: 'select',
        field_value: { label: 'High', value: 'high' },
      },
      {
        field_key: 'field_tags',
        field_alias: 'tags',
        field_type_key: 'multi_select',
        field_value: [
          { label: 'UI', value: 'ui' },
          { label: 'Auth', value: 'auth' },
        ],
      },
      { field_key: 'field_owner', field_alias: 'tester', field_type_key: 'user', field_value: 'user_c' },
      {
        field_key: 'watchers',
        field_alias: '',
        field_type_key: 'multi_user',
        field_value: ['user_a', 'user_d'],
      },
      { field_key: 'field_due', field_alias: 'due', field_type_key: 'date', field_value: 1_700_100_000_000 },
      { field_key: 'field_pts', field_alias: 'points', field_type_key: 'number', field_value: 3.5 },
      { field_key: 'description', field_alias: '', field_type_key: 'multi_text', field_value: 'Steps\n' },
      {
        field_key: 'role_owners',
        field_alias: '',
        field_type_key: 'role_owners',
        field_value: [
          { role: 'PM', owners: ['user_pm'] },
          { role: 'rd', owners: ['user_r1', 'user_r2'] },
          { role: 'qa', owners: null },
        ],
      },
    ],
    ...overrides,
  };
}
