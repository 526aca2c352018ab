/** Bad `set` / `increment` steps and `vars` look-ups: each with every `line:column: message` it gets. */
import { describe, expect, it } from 'vitest';
import { problems, yaml } from './helpers.ts';

const ON = 'on: { event: work_item.status_changed }';
const HOOK = 'on: { event: webhook.deploy }';

const CASES: [string, string, string[]][] = [
  [
    'an increment without var',
    yaml('id: r', ON, 'do:', '  - increment: { by: 2 }'),
    ["4:16: missing required key 'var'"],
  ],
  [
    'a name that is no name',
    yaml('id: r', ON, 'do:', "  - increment: { var: 'two words' }"),
    [
      "4:23: invalid value 'two words': a variable's name: letters, digits, _ and -, starting with a letter or _ (at most 64); conditions and templates read it as vars.<scope>.<name>.",
    ],
  ],
  [
    'an unknown scope',
    yaml('id: r', ON, 'do:', '  - increment: { var: n, scope: team }'),
    ["4:33: invalid value 'team': must be one of work_item, rule, space"],
  ],
  [
    'a key increment does not take',
    yaml('id: r', ON, 'do:', '  - increment: { var: n, amount: 2 }'),
    ["4:26: unknown param 'amount' for action 'increment' (allowed: var, by, scope)"],
  ],
  [
    'a by that is no number',
    yaml('id: r', ON, 'do:', '  - increment: { var: n, by: true }'),
    [
      '4:30: invalid value true: expected how much to add (negative counts down); a number, or a template giving one.',
    ],
  ],
  [
    'a by in text that is no number',
    yaml('id: r', ON, 'do:', "  - increment: { var: n, by: 'two' }"),
    ["4:30: increment by 'two' is not a number (nor a template giving one)"],
  ],
  [
    'a set without value',
    yaml('id: r', ON, 'do:', '  - set: { var: n }'),
    ["4:10: missing required key 'value'"],
  ],
  [
    'a work item variable on events without one',
    yaml('id: r', HOOK, 'do:', '  - increment: { var: n }'),
    [
      "4:5: 'increment' keeps the variable on a work item, but webhook.deploy events carry none: use scope: rule",
    ],
  ],
  [
    'a space variable on events without one',
    yaml('id: r', HOOK, 'do:', '  - set: { var: n, value: 1, scope: space }'),
    ["4:37: 'set' keeps the variable on a space, but webhook.deploy events carry none: use scope: rule"],
  ],
  [
    'vars read without a scope',
    yaml(
      'id: r',
      ON,
      'when: { fact: vars, path: reopened, operator: greaterThan, value: 2 }',
      'do: [{ comment: { text: hi } }]',
    ),
    [
      "3:27: 'reopened' names no variable: vars are read as <scope>.<name>, scope one of work_item, rule, space (e.g. work_item.reopened)",
    ],
  ],
  [
    'a template reading vars without a name',
    yaml('id: r', ON, 'do: [{ comment: { text: "{{vars.rule}}" } }]'),
    [
      "3:26: invalid template: {{vars.rule}}: 'rule' names no variable: vars are read as <scope>.<name>, scope one of work_item, rule, space (e.g. work_item.reopened)",
    ],
  ],
  [
    'a bad template in a set value',
    yaml('id: r', ON, 'do:', '  - set: { var: n, value: "{{item.id}}" }'),
    ["4:28: invalid template: {{item.id}}: 'item' exists only inside a for_each"],
  ],
];

describe('bad variables', () => {
  it.each(CASES)('%s: a clear message at its line and column', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('accepts every scope, templates in value and by, and vars in conditions and templates', () => {
    const ok = yaml(
      'id: r',
      ON,
      'when: { fact: vars, path: work_item.reopened, operator: greaterThanInclusive, value: 3 }',
      'do:',
      '  - name: n',
      '    increment: { var: reopened }',
      '  - increment: { var: total, by: -1.5, scope: rule }',
      '  - increment: { var: per_space, by: "{{event.payload.n}}", scope: space }',
      '  - set: { var: last, value: { who: "{{event.operator}}", n: "{{steps.n.value}}" }, scope: rule }',
      '  - comment: { text: "{{vars.work_item.reopened}} / {{vars.rule.last.who}}" }',
      '    when: { fact: vars, path: space.per_space, operator: greaterThan, value: 0 }',
      '  - set: { var: rule-scoped_1, value: [1, 2], scope: rule }',
    );
    expect(problems(ok)).toEqual([]);
    expect(problems(yaml('id: r', HOOK, 'do:', '  - increment: { var: deploys, scope: rule }'))).toEqual([]);
  });
});
