import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import type { Change } from '../../src/events/event.ts';
import { BUILTIN_OPERATORS, CUSTOM_OPERATORS } from '../../src/match/operator-names.ts';
import { createOperators } from '../../src/match/operators.ts';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

function op(name: string, change?: Change) {
  const fn = createOperators({ change, now: NOW }).get(name);
  if (fn === undefined) throw new Error(`no operator ${name}`);
  return fn;
}

function expectRuleError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(isAutopilotError(error, 'AP_RULE_INVALID')).toBe(true);
    return;
  }
  throw new Error('expected AP_RULE_INVALID');
}

describe('operator table', () => {
  it('implements exactly the shared operator names', () => {
    const names = [...createOperators({ change: undefined, now: NOW }).keys()].sort();
    expect(names).toEqual([...BUILTIN_OPERATORS, ...CUSTOM_OPERATORS].sort());
  });
});

describe('built-in operators', () => {
  it('keep json-rules-engine meanings', () => {
    expect(op('equal')('P0', 'P0')).toBe(true);
    expect(op('equal')(1, '1')).toBe(false);
    expect(op('notEqual')(1, '1')).toBe(true);
    expect(op('in')('a', ['a', 'b'])).toBe(true);
    expect(op('notIn')('c', ['a', 'b'])).toBe(true);
    expect(op('contains')(['a'], 'a')).toBe(true);
    expect(op('contains')('abc', 'a')).toBe(false);
    expect(op('doesNotContain')(['a'], 'b')).toBe(true);
    expect(op('lessThan')(1, 2)).toBe(true);
    expect(op('lessThanInclusive')(2, 2)).toBe(true);
    expect(op('greaterThan')('3', 2)).toBe(true);
    expect(op('greaterThanInclusive')('x', 0)).toBe(false);
    expect(op('greaterThan')(undefined, 0)).toBe(false);
  });

  it('report a non-list value of in / notIn as a rule error instead of a TypeError', () => {
    expectRuleError(() => op('in')('a', 5));
    expectRuleError(() => op('notIn')('a', null));
  });
});

describe('matches', () => {
  it('tests with a linear-time regex, compiled once per pattern', () => {
    expect(op('matches')('BUG-123 login', '^BUG-\\d+')).toBe(true);
    expect(op('matches')('story', '^BUG-\\d+')).toBe(false);
    expect(op('matches')('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', '(a+)+$')).toBe(false);
  });
  it('is false for non-string facts', () => {
    expect(op('matches')(42, '4')).toBe(false);
    expect(op('matches')(undefined, '.*')).toBe(false);
  });
  it('refuses a bad or unsupported pattern', () => {
    expectRuleError(() => op('matches')('x', '(unclosed'));
    expectRuleError(() => op('matches')('aa', '(a)\\1'));
    expectRuleError(() => op('matches')('x', 5));
  });
});

describe('startsWith / endsWith', () => {
  it('compare strings', () => {
    expect(op('startsWith')('feat: x', 'feat:')).toBe(true);
    expect(op('endsWith')('report.pdf', '.pdf')).toBe(true);
    expect(op('startsWith')('x', 'feat')).toBe(false);
    expect(op('endsWith')(['a.pdf'], '.pdf')).toBe(false);
  });
  it('need a string value', () => {
    expectRuleError(() => op('startsWith')('x', 1));
    expectRuleError(() => op('endsWith')('x', ['x']));
  });
});

describe('containsAny / containsAll', () => {
  it('work on lists and scalars', () => {
    expect(op('containsAny')(['ui', 'auth'], ['auth', 'db'])).toBe(true);
    expect(op('containsAny')(['ui'], ['db'])).toBe(false);
    expect(op('containsAny')('P0', ['P0', 'P1'])).toBe(true);
    expect(op('containsAny')(undefined, ['P0'])).toBe(false);
    expect(op('containsAll')(['ui', 'auth', 'db'], ['auth', 'ui'])).toBe(true);
    expect(op('containsAll')(['ui'], ['auth', 'ui'])).toBe(false);
    expect(op('containsAll')(['ui'], [])).toBe(true);
    expect(op('containsAll')('ui', ['ui'])).toBe(false);
  });
  it('need a list value', () => {
    expectRuleError(() => op('containsAny')(['a'], 'a'));
    expectRuleError(() => op('containsAll')(['a'], { a: 1 }));
  });
});

describe('isEmpty', () => {
  it('treats missing, null, empty string, list and object as empty', () => {
    for (const empty of [undefined, null, '', [], {}]) expect(op('isEmpty')(empty, true)).toBe(true);
    for (const full of ['x', [1], { a: 1 }, 0, false]) expect(op('isEmpty')(full, false)).toBe(true);
    expect(op('isEmpty')('x', true)).toBe(false);
  });
  it('needs true or false', () => {
    expectRuleError(() => op('isEmpty')('', 'yes'));
  });
});

describe('changedFrom / changedTo', () => {
  const statusChange: Change = { kind: 'status', from: { state_key: 'open' }, to: { state_key: 'done' } };
  const fieldChange: Change = {
    kind: 'field',
    field: 'priority',
    from: { value: '1', label: 'P1' },
    to: { value: '0' },
  };

  it('compare the event change with a plain value', () => {
    expect(op('changedFrom', statusChange)(undefined, 'open')).toBe(true);
    expect(op('changedTo', statusChange)(undefined, 'done')).toBe(true);
    expect(op('changedTo', statusChange)(undefined, 'open')).toBe(false);
    expect(op('changedTo', statusChange)(undefined, ['closed', 'done'])).toBe(true);
  });
  it('check the field when the value names one', () => {
    expect(op('changedTo', fieldChange)(undefined, { field: 'priority', value: '0' })).toBe(true);
    expect(op('changedFrom', fieldChange)(undefined, { field: 'priority', value: '1' })).toBe(true);
    expect(op('changedTo', fieldChange)(undefined, { field: 'severity', value: '0' })).toBe(false);
    expect(op('changedTo', statusChange)(undefined, { field: 'status', value: 'done' })).toBe(true);
  });
  it('are false when the event has no change', () => {
    expect(op('changedTo')(undefined, 'done')).toBe(false);
  });
  it('refuse a non-string field', () => {
    expectRuleError(() => op('changedTo', fieldChange)(undefined, { field: 3, value: '0' }));
  });
});

describe('olderThan / newerThan', () => {
  it('compare a timestamp with now', () => {
    expect(op('olderThan')(NOW - 4 * DAY, '3d')).toBe(true);
    expect(op('olderThan')(NOW - 2 * DAY, '3d')).toBe(false);
    expect(op('newerThan')(NOW - 2 * DAY, '3d')).toBe(true);
    expect(op('newerThan')(String(NOW - 60_000), '1h')).toBe(true);
  });
  it('are false for facts that are no timestamp', () => {
    expect(op('olderThan')(undefined, '3d')).toBe(false);
    expect(op('newerThan')('yesterday', '3d')).toBe(false);
  });
  it('refuse a bad duration', () => {
    expectRuleError(() => op('olderThan')(NOW, '3 days'));
    expectRuleError(() => op('newerThan')(NOW, 3));
  });
});
