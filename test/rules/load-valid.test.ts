import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../src/rules/action-names.ts';
import { parseRuleText } from '../../src/rules/load-rules.ts';
import { problems, yaml } from './helpers.ts';

const EVERY_ACTION = yaml(
  '# yaml-language-server: $schema=../schema/rule.schema.json',
  'id: every-action',
  'description: Uses every action once',
  'on:',
  '  command: triage {id} {note}',
  '  chats: [oc_team]',
  'when:',
  '  all:',
  '    - { fact: command, path: args.id, operator: matches, value: "^[0-9]+$" }',
  '    - not: { fact: now, operator: greaterThan, value: 0 }',
  'do:',
  '  - name: created',
  '    create_work_item: { project: space1, type: issue, name: "Follow-up {{command.args.id}}", fields: { priority: P1 } }',
  '  - comment: { text: "Created {{steps.created.id}}", target: { id: "{{command.args.id}}" } }',
  '  - transition: { to: triage, fields: { reason: x }, roles: { qa: [u1] }, target: { id: "1" }, recheck: true }',
  '  - complete_node: { node: dev, owners: [u1], target: { id: "1" } }',
  '  - rollback_node: { node: test, reason: "{{command.args.note}}", target: { id: "1" } }',
  '  - update_fields: { fields: { priority: P0, tags: [a, b] }, target: { id: "1" } }',
  '  - assign: { role: developer, users: "{{command.sender}}", mode: add, target: { id: "1" } }',
  '  - bind: { relation_rule: rel_1, work_items: ["{{steps.created.id}}", { project: p, type: story, id: 5 }], target: { id: "1" } }',
  '  - unbind: { relation_rule: rel_1, work_item: "2", target: { id: "1" } }',
  '  - create_subtask: { node: dev, name: Write tests, assignees: [u1], note: n, target: { id: "1" } }',
  '  - complete_subtask: { node: dev, task_id: "77", target: { id: "1" } }',
  '  - abort: { reason: duplicate, reason_option: other, target: { id: "1" } }',
  '  - restore: { reason: reopened, target: { id: "1" } }',
  '  - reply: { text: "Done: {{ steps.created.id | default(\\"?\\") }}" }',
  '  - message: { to: [oc_team, "7400000000000000002"], text: "Triaged {{command.args.id}} for {{command.sender}}" }',
  '  - http: { url: "https://hooks.example.com/x", method: PUT, headers: { X-Rule: "{{rule.id}}" }, body: { id: "{{command.args.id}}" } }',
  '  - api: { operation: workItem.query, path: { project_key: space1 }, query: {}, body: { ids: [1] }, write: false }',
  'allow_self: true',
  'max_depth: 3',
  'retry: { max_attempts: 5, max_elapsed: 1h, base_delay: 500ms, max_delay: 30s }',
);

describe('valid rules', () => {
  it('load with every action, normalized to ActionSpec', () => {
    const { rule, diagnostics } = parseRuleText('rules/every-action.yaml', EVERY_ACTION);
    expect(diagnostics).toEqual([]);
    expect(rule?.do.map((a) => a.type)).toEqual([
      'create_work_item',
      // update_card applies only under on.card_action, reply only under on.command: not in one rule.
      ...ACTION_NAMES.filter((a) => a !== 'create_work_item' && a !== 'update_card'),
    ]);
    expect(rule?.do[0]).toEqual({
      type: 'create_work_item',
      name: 'created',
      params: {
        project: 'space1',
        type: 'issue',
        name: 'Follow-up {{command.args.id}}',
        fields: { priority: 'P1' },
      },
    });
    expect(rule?.do[2]).toMatchObject({ type: 'transition', recheck: true, params: { to: 'triage' } });
    expect(rule?.do[2]?.params).not.toHaveProperty('recheck');
    expect(rule).toMatchObject({
      allow_self: true,
      max_depth: 3,
      retry: { max_attempts: 5 },
      source: { file: 'rules/every-action.yaml' },
    });
  });

  it.each([
    [
      'a list of events',
      ['on:', '  event: [work_item.created, node.completed]', '  project: [p]', '  work_item_type: [story]'],
    ],
    [
      'a webhook event with a target',
      ['on: { event: webhook.ci }'],
      ['do:', '  - comment: { text: hi, target: { project: p, type: t, id: "{{event.payload.id}}" } }'],
    ],
    [
      'a poll',
      [
        'on:',
        '  poll: { every: 5m, search: { project: p, work_item_type: issue, page_size: 50 }, watch: [priority] }',
      ],
    ],
    [
      'a schedule over a search',
      [
        'on:',
        '  schedule: { cron: "0 9 * * 1-5", timezone: Asia/Shanghai, search: { project: p, work_item_type: issue } }',
      ],
    ],
    [
      'a schedule with seconds and a macro',
      ['on: { schedule: { cron: "@daily" } }'],
      ['do:', '  - http: { url: "https://x.example.com" }'],
    ],
    [
      'a command',
      ['on: { command: "move {id} to {state}", users: [u1] }'],
      ['do:', '  - reply: { text: "{{command.args.state}}" }'],
    ],
  ])('load with %s', (_name, on, steps = ['do:', '  - comment: { text: "hi {{work_item.name}}" }']) => {
    const text = yaml('id: r', ...on, ...steps);
    expect(problems(text)).toEqual([]);
  });

  it('get defaults: enabled, live, allow_self false', () => {
    const { rule } = parseRuleText(
      'r.yml',
      yaml('id: r', 'on: { event: work_item.created }', 'do: [{ comment: { text: hi } }]'),
    );
    expect(rule).toMatchObject({ enabled: true, mode: 'live', allow_self: false });
    expect(rule).not.toHaveProperty('when');
  });

  it('have a version stable across key order and formatting, changed by content', () => {
    const block = yaml(
      'id: r',
      'mode: live',
      'on:',
      '  event: work_item.created',
      'do:',
      '  - comment:',
      '      text: hi',
    );
    const flow = yaml(
      'do: [{ comment: { text: "hi" } }]',
      'on: { event: "work_item.created" }',
      'id: r  # same rule',
    );
    const changed = yaml('id: r', 'on: { event: work_item.created }', 'do: [{ comment: { text: hello } }]');
    const version = (text: string) => parseRuleText('r.yaml', text).rule?.version;
    expect(version(block)).toMatch(/^[0-9a-f]{16}$/);
    expect(version(flow)).toBe(version(block));
    expect(version(changed)).not.toBe(version(block));
  });
});
