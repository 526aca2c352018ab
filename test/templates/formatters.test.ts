import { describe, expect, it } from 'vitest';
import { FORMATTERS, toText } from '../../src/templates/formatters.ts';
import { FORMATTER_NAMES } from '../../src/templates/parse.ts';

describe('formatters', () => {
  it('implement every formatter the parser accepts', () => {
    expect(Object.keys(FORMATTERS).sort()).toEqual([...FORMATTER_NAMES].sort());
  });

  it('leave values of another kind alone', () => {
    expect(FORMATTERS.join('solo', [])).toBe('solo');
    expect(FORMATTERS.upper(42, [])).toBe(42);
    expect(FORMATTERS.lower(['A', 1], [])).toEqual(['a', 1]);
    expect(FORMATTERS.default('', ['x'])).toBe('x');
    expect(FORMATTERS.default([], ['x'])).toBe('x');
    expect(FORMATTERS.default(' ', ['x'])).toBe(' ');
    expect(FORMATTERS.default(0, ['x'])).toBe(0);
  });

  it('read epoch milliseconds given as digits', () => {
    expect(FORMATTERS.date(String(Date.UTC(2026, 4, 1)), ['DD/MM/YYYY'])).toBe('01/05/2026');
  });

  it('write values into text readably', () => {
    expect(toText('a')).toBe('a');
    expect(toText(3)).toBe('3');
    expect(toText(['a', 2, true])).toBe('a, 2, true');
    expect(toText([{ a: 1 }])).toBe('[{"a":1}]');
    expect(toText({ a: [1] })).toBe('{"a":[1]}');
  });
});
