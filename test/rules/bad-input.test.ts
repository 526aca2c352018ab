import { describe, expect, it } from 'vitest';
import { problems, yaml } from './helpers.ts';

const ON = 'on: { event: work_item.created }';
const DO = 'do: [{ comment: { text: hi } }]';
const SEARCH = 'search: { project: p, work_item_type: t }';

/** Each bad input with every `line:column: message` it gets (file rules/r.yaml, so the id is r). */
const CASES: [string, string, (string | RegExp)[]][] = [
  // YAML and safety
  [
    'malformed YAML',
    yaml('id: r', 'on: [event: x', DO),
    [/^3:1: YAML: Flow sequence in block collection must be sufficiently indented/],
  ],
  [
    'a duplicate key',
    yaml('id: r', ON, 'on: { event: node.reached }', DO),
    ["3:1: YAML: duplicate key 'on': each key may appear once in a map"],
  ],
  [
    'a __proto__ key',
    yaml('id: r', ON, DO, '__proto__: { polluted: true }'),
    ["4:1: the key '__proto__' is not allowed"],
  ],
  [
    'a constructor key',
    yaml('id: r', ON, 'do: [{ comment: { text: hi, constructor: x } }]'),
    ["3:29: the key 'constructor' is not allowed"],
  ],
  [
    'a prototype key deep inside',
    yaml('id: r', ON, 'when: { fact: event, path: x, operator: equal, value: { prototype: 1 } }', DO),
    ["3:57: the key 'prototype' is not allowed"],
  ],
  [
    'an alias bomb',
    yaml(
      'id: r',
      ON,
      DO,
      'x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]',
      'y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    ),
    ['5:12: more than 100 alias expansions (*name); refused as a possible alias bomb'],
  ],
  [
    'deep nesting',
    'id: r\nx: ' + '['.repeat(80) + ']'.repeat(80) + `\n${ON}\n${DO}\n`,
    ['2:68: nesting deeper than 64 levels is refused'],
  ],
  ['an empty file', '', ['1:1: the file has no rule (it is empty)']],
  [
    'a byte order mark and a duplicate key',
    '\uFEFF' + yaml('id: r', ON, DO, 'id: r'),
    ["4:1: YAML: duplicate key 'id': each key may appear once in a map"],
  ],
  ['a file of comments', '# nothing here\n', ['1:1: the file has no rule (it is empty)']],
  [
    'two documents',
    yaml('id: r', ON, DO, '---', 'id: s'),
    ['4:1: YAML: a rule file holds one document; remove the extra --- separator'],
  ],
  ['a list instead of a map', yaml('- a', '- b'), ['1:1: expected a map, got a list']],
  [
    'a code tag',
    yaml('id: !!js/function r', ON, DO),
    ['1:5: YAML: Unresolved tag: tag:yaml.org,2002:js/function'],
  ],
  [
    'an id too large to be exact',
    yaml('id: r', ON, 'do: [{ unbind: { relation_rule: x, work_item: 12345678901234567890 } }]'),
    ['3:47: the number 12345678901234567890 is too large to be exact; quote it ("12345678901234567890")'],
  ],
  // Schema
  [
    'wrong types',
    yaml('id: r', 'enabled: "yes"', ON, 'max_depth: 0', 'do: { comment: hi }'),
    [
      "2:10: expected a boolean, got a string 'yes'",
      '4:12: must be at least 1, got 0',
      '5:5: expected a list, got a map',
    ],
  ],
  [
    'a bad id',
    yaml('id: R!', ON, DO),
    [
      /^1:5: invalid value 'R!': rule id: lower-case letters/,
      "1:5: id 'R!' must equal the file name 'r' (rename the file or the id)",
    ],
  ],
  [
    'an id that is not the file name',
    yaml('id: other', ON, DO),
    ["1:5: id 'other' must equal the file name 'r' (rename the file or the id)"],
  ],
  [
    'an unknown operator',
    yaml('id: r', ON, 'when: { all: [ { fact: work_item, path: x, operator: like, value: P0 } ] }', DO),
    [/^3:54: unknown operator 'like' \(known operators: equal, notEqual, .*, newerThan\)$/],
  ],
  [
    'an unknown fact',
    yaml('id: r', ON, 'when: { fact: thing, path: x, operator: equal, value: P0 }', DO),
    [
      "3:15: unknown fact 'thing' (known facts: event, work_item, change, command, now, origin, vars, related, parent, steps, item, index)",
    ],
  ],
  [
    'a leaf without value',
    yaml('id: r', ON, 'when: { fact: work_item, path: x, operator: equal }', DO),
    ["3:7: 'fact' needs 'operator' and 'value' beside it"],
  ],
  [
    'an unknown action',
    yaml('id: r', ON, 'do:', '  - coment: { text: hi }'),
    [
      /^4:5: unknown action 'coment' \(known actions: comment, transition, .*, http, api; control steps: for_each, choose, wait, wait_until, lookup, set, increment, approve\)$/,
    ],
  ],
  [
    'unknown params',
    yaml('id: r', ON, 'do:', '  - comment: { text: hi, name: x, body: y }'),
    [
      "4:26: unknown param 'name' for action 'comment' (allowed: text, target, recheck); to name the step, write name: beside 'comment:'",
      "4:35: unknown param 'body' for action 'comment' (allowed: text, target, recheck)",
    ],
  ],
  [
    'two actions in one step',
    yaml('id: r', ON, 'do:', '  - comment: { text: hi }', '    transition: { to: x }'),
    [
      "4:5: 'comment' and 'transition' together: a step has exactly one action; split them into separate steps",
    ],
  ],
  [
    'a step without action',
    yaml('id: r', ON, 'do:', '  - name: x'),
    [/^4:5: missing an action \(comment, transition, /],
  ],
  [
    'a missing param',
    yaml('id: r', ON, 'do:', '  - transition: { fields: { a: 1 } }'),
    ["4:17: missing required key 'to'"],
  ],
  [
    'a number where user keys go',
    yaml('id: r', ON, 'do: [{ assign: { role: dev, users: [1] } }]'),
    ['3:37: expected a string, got a number 1'],
  ],
  [
    'a list where an id goes',
    yaml('id: r', ON, 'do: [{ unbind: { relation_rule: [1], work_item: "1" } }]'),
    [/^3:33: invalid value \[1\]: expected an id: a string \(may be a template\) or an integer/],
  ],
  [
    'a bad step name',
    yaml('id: r', ON, 'do:', '  - { name: Bad-Name, comment: { text: x } }'),
    [/^4:13: invalid value 'Bad-Name': step name: lower-case letters/],
  ],
  // Triggers
  [
    'no trigger',
    yaml('id: r', 'on: { project: [p] }', DO),
    ['2:5: missing one of event, poll, schedule, command, card_action, manual'],
  ],
  [
    'two triggers',
    yaml('id: r', 'on: { event: work_item.created, command: "x" }', DO),
    [
      "2:5: 'event' and 'command' together: use only one of event, poll, schedule, command, card_action, manual (manual: true may stand beside event only)",
    ],
  ],
  [
    'manual beside a poll',
    yaml('id: r', `on: { poll: { every: 5m, ${SEARCH} }, manual: true }`, DO),
    [
      "2:5: 'poll' and 'manual' together: use only one of event, poll, schedule, command, card_action, manual (manual: true may stand beside event only)",
    ],
  ],
  [
    'manual beside a command',
    yaml('id: r', 'on: { command: "x {id}", manual: true }', 'do: [{ reply: { text: hi } }]'),
    [
      "2:5: 'command' and 'manual' together: use only one of event, poll, schedule, command, card_action, manual (manual: true may stand beside event only)",
    ],
  ],
  [
    'manual beside event and a schedule',
    yaml('id: r', 'on: { event: work_item.created, schedule: { cron: "0 9 * * *" }, manual: true }', DO),
    [
      "2:5: 'event' and 'schedule' together: use only one of event, poll, schedule, command, card_action, manual (manual: true may stand beside event only)",
    ],
  ],
  [
    'manual: false',
    yaml('id: r', 'on: { manual: false }', DO),
    ["2:15: invalid value false: must be true; leave 'manual' out for a rule not run by hand"],
  ],
  [
    'manual as a string',
    yaml('id: r', 'on:', '  event: work_item.created', "  manual: 'yes'", DO),
    ["4:11: invalid value 'yes': must be true; leave 'manual' out for a rule not run by hand"],
  ],
  [
    'chats beside manual',
    yaml('id: r', 'on: { manual: true, chats: [c] }', DO),
    ["2:5: 'chats' needs 'command' beside it"],
  ],
  [
    'chats without a command',
    yaml('id: r', 'on: { event: work_item.created, chats: [c] }', DO),
    ["2:5: 'chats' needs 'command' beside it"],
  ],
  [
    'an unknown event type',
    yaml('id: r', 'on: { event: work_item.exploded }', DO),
    [
      /^2:14: invalid value 'work_item.exploded': expected an event type: one of the work item events, chat.command, card.action, schedule.fired, or webhook.<name>/,
    ],
  ],
  [
    'an unknown event type in a list',
    yaml('id: r', 'on: { event: [work_item.created, nope] }', DO),
    [/^2:34: invalid value 'nope': expected an event type/],
  ],
  [
    'a cron with 4 fields',
    yaml('id: r', `on: { schedule: { cron: "0 9 * *", ${SEARCH} } }`, DO),
    [
      "2:25: invalid cron '0 9 * *': expected 5 fields (minute hour day month weekday) or 6 with seconds, got 4",
    ],
  ],
  [
    'a cron out of range and an unknown time zone',
    yaml('id: r', `on: { schedule: { cron: "0 25 * * *", timezone: Nowhere/City, ${SEARCH} } }`, DO),
    [
      "2:25: invalid cron '0 25 * * *': Constraint error, got value 25 expected range 0-23",
      "2:49: unknown time zone 'Nowhere/City' (use an IANA name such as Asia/Shanghai)",
    ],
  ],
  [
    'a command grammar without a name',
    yaml('id: r', 'on: { command: "{id} move" }', 'do: [{ reply: { text: hi } }]'),
    ["2:16: invalid command grammar '{id} move': it must start with a literal word, the command name"],
  ],
  [
    'a command grammar with a repeated placeholder',
    yaml('id: r', 'on: { command: "move {id} {id}" }', 'do: [{ reply: { text: hi } }]'),
    ["2:16: invalid command grammar 'move {id} {id}': placeholder {id} appears twice"],
  ],
  // Conditions
  [
    'an invalid regex',
    yaml('id: r', ON, 'when: { fact: work_item, path: name, operator: matches, value: "[a-" }', DO),
    ['3:64: invalid regex /[a-/: missing closing ]: `[a-`'],
  ],
  [
    'a lookahead',
    yaml('id: r', ON, 'when: { fact: work_item, path: name, operator: matches, value: "a(?=b)" }', DO),
    ['3:64: invalid regex /a(?=b)/: lookaround is not supported (the regex engine runs in linear time)'],
  ],
  [
    'a regex that is not a string',
    yaml('id: r', ON, 'when: { fact: work_item, path: name, operator: matches, value: 5 }', DO),
    ["3:64: 'matches' needs a regex string as value"],
  ],
  [
    'in with a number',
    yaml('id: r', ON, 'when: { fact: work_item, path: x, operator: in, value: 5 }', DO),
    ["3:56: 'in' needs a list (or a string to search in) as value"],
  ],
  [
    'containsAny without a list',
    yaml('id: r', ON, 'when: { fact: work_item, path: x, operator: containsAny, value: P0 }', DO),
    ["3:65: 'containsAny' needs a list as value"],
  ],
  [
    'startsWith without a string',
    yaml('id: r', ON, 'when: { fact: work_item, path: x, operator: startsWith, value: [a] }', DO),
    ["3:64: 'startsWith' needs a string as value"],
  ],
  [
    'isEmpty without a boolean',
    yaml('id: r', ON, 'when: { fact: work_item, path: x, operator: isEmpty, value: yes please }', DO),
    ["3:61: 'isEmpty' needs true or false as value"],
  ],
  [
    'a path with an empty segment',
    yaml('id: r', ON, 'when: { fact: work_item, path: fields..x, operator: equal, value: P0 }', DO),
    ["3:32: invalid path: 'fields..x' has an empty segment"],
  ],
  [
    'a reserved path segment',
    yaml('id: r', ON, 'when: { fact: work_item, path: fields.__proto__, operator: equal, value: P0 }', DO),
    ["3:32: invalid path: 'fields.__proto__' uses the reserved name '__proto__'"],
  ],
  [
    'the command fact outside a command rule',
    yaml('id: r', ON, 'when: { fact: command, path: args.x, operator: equal, value: a }', DO),
    ["3:15: the 'command' fact exists only for rules triggered by on.command"],
  ],
  // Durations
  [
    'bad durations',
    yaml(
      'id: r',
      `on: { poll: { every: 5 minutes, ${SEARCH} } }`,
      'when: { fact: work_item, path: updated_at, operator: olderThan, value: 3days }',
      DO,
      'retry: { base_delay: 1.5s }',
    ),
    [
      /^2:22: invalid duration '5 minutes': unexpected '5 minutes'/,
      /^3:72: invalid duration '3days'/,
      /^5:22: invalid duration '1.5s'/,
    ],
  ],
  [
    'a poll every second',
    yaml('id: r', `on: { poll: { every: 1s, ${SEARCH} } }`, DO),
    ["2:22: poll interval '1s' is shorter than the minimum 10s"],
  ],
  [
    'a wait_until that is no time',
    yaml('id: r', ON, 'do: [{ wait_until: tomorrow }]'),
    ["3:20: wait_until: 'tomorrow' is neither a template nor epoch ms nor an ISO-8601 time"],
  ],
  [
    'a card_action rule on the approval buttons',
    yaml('id: r', 'on: { card_action: autopilot.approval }', DO),
    ["2:20: 'autopilot.approval' is the engine's own action (approval cards' buttons): name another"],
  ],
  // Templates
  [
    'an unknown template root',
    yaml('id: r', ON, 'do: [{ comment: { text: "{{ thing.name }}" } }]'),
    [
      /^3:26: invalid template: \{\{ thing.name \}\}: unknown root 'thing' \(known: event, work_item, change, command, now, origin, vars, steps, rule, item, index, secrets\)$/,
    ],
  ],
  [
    'an unknown formatter',
    yaml('id: r', ON, 'do: [{ comment: { text: "{{ work_item.name | shout }}" } }]'),
    [
      "3:46: invalid template: unknown formatter 'shout' at offset 20 (known: default, join, date, json, upper, lower, name, mention, plus, minus, times, add, days_since, size, first, last, map)",
    ],
  ],
  [
    'formatter arguments of the wrong type or count',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - comment: { text: "{{ work_item.fields.points | plus(\'x\') }}" }',
      '  - comment: { text: "{{ work_item.created_at | add(\'2 days\') }}" }',
      '  - comment: { text: "{{ work_item.roles.qa | map(\'__proto__\') }}" }',
      '  - comment: { text: "{{ work_item.roles.qa | size(1) }}" }',
      '  - comment: { text: "{{ work_item.fields.points | times }}" }',
      "  - comment: { text: \"{{ work_item.created_at | date('YYYY', 'Mars/Base') }}\" }",
    ),
    [
      "4:52: invalid template: formatter 'plus' takes a number, got 'x', at offset 29",
      `5:49: invalid template: formatter 'add' takes a duration such as "2d", "1h30m" or "-1h", got '2 days', at offset 26`,
      "6:47: invalid template: formatter 'map' takes a key path: '__proto__' uses the reserved name '__proto__', at offset 24",
      "7:47: invalid template: formatter 'size' takes 0 argument(s), got 1, at offset 24",
      "8:52: invalid template: formatter 'times' takes 1 argument(s), got 0, at offset 29",
      `9:49: invalid template: formatter 'date' takes an IANA time zone such as "Asia/Shanghai", got 'Mars/Base', at offset 26`,
    ],
  ],
  [
    'an unclosed look-up',
    yaml('id: r', ON, 'do: [{ comment: { text: "x {{ work_item.name" } }]'),
    ["3:28: invalid template: '{{' at offset 2 is never closed with '}}'"],
  ],
  [
    'a step referred to before it runs',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - comment: { text: "{{ steps.later.id }}" }',
      '  - name: later',
      '    create_work_item: { type: t, name: n }',
    ),
    [
      "4:23: invalid template: {{ steps.later.id }}: no earlier step is named 'later' (earlier named steps: none)",
    ],
  ],
  [
    'the command root outside a command rule',
    yaml('id: r', ON, 'do: [{ comment: { text: "{{ command.args.x }}" } }]'),
    ["3:26: invalid template: {{ command.args.x }}: 'command' exists only for rules triggered by on.command"],
  ],
  [
    'a template inside a nested field',
    yaml('id: r', ON, 'do: [{ update_fields: { fields: { tags: [ok, "{{ bad..path }}"] } } }]'),
    [/^3:47: invalid template: path 'bad..path' has an empty segment/],
  ],
  [
    'a template in a block scalar (located at the scalar)',
    yaml('id: r', ON, 'do:', '  - comment:', '      text: |', '        line one', '        {{ nope.x }}'),
    [/^5:13: invalid template: \{\{ nope.x \}\}: unknown root 'nope'/],
  ],
  [
    'a step name used twice',
    yaml(
      'id: r',
      ON,
      'do:',
      '  - { name: a, comment: { text: x } }',
      '  - { name: a, comment: { text: y } }',
    ),
    ["5:13: step name 'a' is used twice in this rule"],
  ],
  // Actions and triggers
  [
    'reply outside a command rule',
    yaml('id: r', ON, 'do: [{ reply: { text: hi } }]'),
    ["3:8: 'reply' answers a chat command; it applies only to rules with on.command"],
  ],
  [
    'update_card outside a card_action rule',
    yaml('id: r', ON, 'do: [{ update_card: { text: done } }]'),
    ["3:8: 'update_card' updates the clicked card; it applies only to rules with on.card_action"],
  ],
  [
    'a work item action on a webhook event',
    yaml('id: r', 'on: { event: [work_item.created, webhook.ci] }', DO),
    [
      "3:8: 'comment' acts on a work item, but webhook.ci events carry none: add target: { project, type, id }",
    ],
  ],
  [
    'a work item action on a command',
    yaml('id: r', 'on: { command: "close {id}" }', 'do: [{ abort: { reason: x } }]'),
    [
      "3:8: 'abort' acts on a work item, but chat.command events carry none: add target: { project, type, id }",
    ],
  ],
  [
    'a work item action on a schedule without search',
    yaml('id: r', 'on: { schedule: { cron: "0 9 * * *" } }', DO),
    [
      "3:8: 'comment' acts on a work item, but schedule.fired (without search) events carry none: add target: { project, type, id }",
    ],
  ],
];

describe('bad rule input', () => {
  it.each(CASES)('%s: a clear message at its line and column', (_name, text, expected) => {
    const found = problems(text);
    expect(found).toHaveLength(expected.length);
    expected.forEach((e, i) =>
      typeof e === 'string' ? expect(found[i]).toBe(e) : expect(found[i]).toMatch(e),
    );
  });

  it('refuses a file over 1 MiB before parsing it', () => {
    const huge = yaml('id: r', ON, DO) + `# ${'x'.repeat(1024 * 1024)}\n` + '[unbalanced';
    const found = problems(huge);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^1:1: file is \d+ bytes; rule files over 1048576 bytes \(1 MiB\) are refused$/);
  });

  it('leaves Object.prototype alone whatever the file says', () => {
    problems(
      yaml(
        'id: r',
        ON,
        DO,
        '__proto__: { polluted: true }',
        'x: { constructor: { prototype: { polluted: true } } }',
      ),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('accepts the same shapes when they are right (no false alarms)', () => {
    expect(
      problems(
        yaml(
          'id: r',
          'on: { event: webhook.ci }',
          'do: [{ comment: { text: hi, target: { id: "{{ event.payload.id }}" } } }]',
        ),
      ),
    ).toEqual([]);
    expect(problems(yaml('id: r', `on: { schedule: { cron: "0 9 * * *", ${SEARCH} } }`, DO))).toEqual([]);
    expect(
      problems(
        yaml(
          'id: r',
          ON,
          'when: { fact: work_item, path: x, operator: in, value: { fact: event, path: y } }',
          DO,
        ),
      ),
    ).toEqual([]);
  });
});
