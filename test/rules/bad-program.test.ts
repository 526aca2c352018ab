/** Bad control steps, branches and scopes: each with every `line:column: message` it gets. */
import { describe, expect, it } from 'vitest';
import { problems, yaml } from './helpers.ts';

const ON = 'on: { event: work_item.created }';
const HI = '[{ comment: { text: hi } }]';

const CASES: [string, string, string[]][] = [
  [
    'item outside a for_each',
    yaml('id: r', ON, 'do: [{ comment: { text: "{{item.id}}" } }]'),
    ["3:26: invalid template: {{item.id}}: 'item' exists only inside a for_each"],
  ],
  [
    'the steps fact in the rule’s when',
    yaml('id: r', ON, 'when: { fact: steps, path: a.count, operator: equal, value: 1 }', `do: ${HI}`),
    [
      "3:15: the 'steps' fact exists only in a step's condition (when, a choose pair, recheck), not in the rule's when",
    ],
  ],
  [
    'a for_each without a list',
    yaml('id: r', ON, 'do:', `  - for_each: { do: ${HI} }`),
    ['4:15: missing one of items, subtasks, related'],
  ],
  [
    'a for_each with two lists',
    yaml('id: r', ON, 'do:', `  - for_each: { items: "{{event.payload.ids}}", subtasks: true, do: ${HI} }`),
    ["4:15: 'items' and 'subtasks' together: use only one of items, subtasks, related"],
  ],
  [
    'max_items over 1,000',
    yaml('id: r', ON, 'do:', `  - for_each: { subtasks: true, max_items: 5000, do: ${HI} }`),
    ['4:44: must be at most 1000, got 5000'],
  ],
  [
    'a for_each without do',
    yaml('id: r', ON, 'do:', '  - for_each: { subtasks: true }'),
    ["4:15: missing required key 'do'"],
  ],
  [
    'when beside choose',
    yaml(
      'id: r',
      ON,
      'do:',
      `  - choose: [{ when: { fact: now, operator: greaterThan, value: 1 }, do: ${HI} }]`,
      '    when: { fact: now, operator: greaterThan, value: 1 }',
    ),
    ["5:5: 'choose' takes its conditions in its pairs: move this 'when' into one"],
  ],
  [
    'a step name used again inside a loop',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - name: a',
      '    comment: { text: hi }',
      '  - for_each: { subtasks: true, do: [{ name: a, comment: { text: hi } }] }',
    ),
    ["6:46: step name 'a' is used twice in this rule"],
  ],
  [
    'a loop’s step read after the loop',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - for_each: { subtasks: true, do: [{ name: inner, comment: { text: hi } }] }',
      '  - comment: { text: "{{steps.inner.id}}" }',
    ),
    [
      "5:23: invalid template: {{steps.inner.id}}: no earlier step is named 'inner' (earlier named steps: none)",
    ],
  ],
  [
    'a wait over a year',
    yaml('id: r', ON, 'do:', '  - wait: 400d'),
    ['4:11: wait: 400d is longer than 365d'],
  ],
  [
    'a wait that is no duration',
    yaml('id: r', ON, 'do:', '  - wait: soon'),
    [
      "4:11: invalid duration 'soon': unexpected 'soon' (use whole numbers with units w, d, h, m, s, ms), e.g. 3d, 90s, 1h30m",
    ],
  ],
  [
    'a secret in a comment',
    yaml('id: r', ON, 'do: [{ comment: { text: "{{secrets.TOKEN}}" } }]'),
    [
      '3:26: invalid template: {{secrets.TOKEN}}: secrets may be read only in http headers and body and in api body',
    ],
  ],
  [
    'a secret in an http URL',
    yaml('id: r', ON, 'do: [{ http: { url: "https://x.example/{{secrets.TOKEN}}" } }]'),
    [
      '3:40: invalid template: {{secrets.TOKEN}}: secrets may be read only in http headers and body and in api body',
    ],
  ],
  [
    'a secret named in mixed case, a whole secrets map, a path below a secret',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - http: { url: "https://x.example", headers: { a: "{{secrets.Api_Key}}", b: "{{secrets}}", c: "{{secrets.K.v}}" } }',
    ),
    [
      "4:54: invalid template: {{secrets.Api_Key}}: 'Api_Key' is not a secret name: upper-case letters, digits and _ as in AUTOPILOT_SECRET_<NAME>, or all in lower case",
      '4:80: invalid template: {{secrets}}: name one secret: {{secrets.NAME}}',
      "4:98: invalid template: {{secrets.K.v}}: a secret is text: write {{secrets.K}}, without '.v'",
    ],
  ],
  [
    'a lookup with neither search nor filter',
    yaml('id: r', ON, 'do:', '  - name: l', '    lookup: { max_items: 5 }'),
    ['5:13: missing one of search, filter'],
  ],
  [
    'else: item outside a loop, and an unknown action inside',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - comment: { text: hi }',
      '    when: { fact: item, operator: equal, value: 1 }',
      '    else: [{ coment: { text: x } }]',
    ),
    [
      "5:19: the 'item' fact exists only in conditions inside a for_each",
      "6:14: unknown action 'coment' (known actions: comment, transition, complete_node, rollback_node, update_fields, assign, bind, unbind, create_work_item, create_subtask, complete_subtask, abort, restore, reply, message, update_card, http, api; control steps: for_each, choose, wait, wait_until, lookup, set, increment, approve)",
    ],
  ],
];

describe('bad run programs', () => {
  it.each(CASES)('%s: a clear message at its line and column', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('accepts secrets in http headers and body and api body, item and index inside loops', () => {
    const ok = yaml(
      'id: r',
      ON,
      'do:',
      '  - http: { url: "https://x.example", headers: { authorization: "Bearer {{secrets.TOKEN}}" }, body: { k: "{{secrets.K}}" } }',
      '  - api: { operation: workItem.update, body: { token: "{{secrets.K}}" } }',
      '  - for_each:',
      '      subtasks: true',
      '      do:',
      '        - comment: { text: "{{index}}: {{item.name}}" }',
      '          when: { fact: item, path: passed, operator: equal, value: false }',
    );
    expect(problems(ok)).toEqual([]);
  });
});
