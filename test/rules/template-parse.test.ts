import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { FORMATTER_NAMES, parsePath, parseTemplate, templatePaths } from '../../src/templates/parse.ts';

function refusal(text: string): { message: string; offset: unknown } {
  try {
    parseTemplate(text);
  } catch (error) {
    expect(isAutopilotError(error, 'AP_TEMPLATE_INVALID')).toBe(true);
    return {
      message: (error as Error).message,
      offset: (error as { details: { offset: unknown } }).details.offset,
    };
  }
  throw new Error(`template ${text} was accepted`);
}

describe('parseTemplate', () => {
  it('splits text and look-ups with their formatters', () => {
    expect(parseTemplate('P0 by {{event.operator}}: {{ work_item.name | default("none") | upper }}')).toEqual(
      [
        { kind: 'text', text: 'P0 by ' },
        { kind: 'expr', path: 'event.operator', formatters: [], raw: '{{event.operator}}' },
        { kind: 'text', text: ': ' },
        {
          kind: 'expr',
          path: 'work_item.name',
          formatters: [
            { name: 'default', args: ['none'] },
            { name: 'upper', args: [] },
          ],
          raw: '{{ work_item.name | default("none") | upper }}',
        },
      ],
    );
  });

  it('reads quoted, escaped and bare arguments', () => {
    const [part] = parseTemplate(`{{ now | date('YYYY-MM-DD', "Asia/Shanghai") }}`);
    expect(part).toMatchObject({ formatters: [{ name: 'date', args: ['YYYY-MM-DD', 'Asia/Shanghai'] }] });
    const [join] = parseTemplate('{{ work_item.fields.tags | join(", \\"x\\"") }}');
    expect(join).toMatchObject({ formatters: [{ name: 'join', args: [', "x"'] }] });
    const [fallback] = parseTemplate('{{ a.b | default(0) }}');
    expect(fallback).toMatchObject({ formatters: [{ name: 'default', args: ['0'] }] });
  });

  it('keeps plain text, escaped braces and lone closing braces as text', () => {
    expect(parseTemplate('no look-ups } }}')).toEqual([{ kind: 'text', text: 'no look-ups } }}' }]);
    expect(parseTemplate('literal \\{{x}}')).toEqual([{ kind: 'text', text: 'literal {{x}}' }]);
    expect(parseTemplate('')).toEqual([]);
  });

  it('lists the paths a template uses', () => {
    expect(templatePaths('{{steps.create_bug.id}} {{ work_item.current_nodes.0.id | json }}')).toEqual([
      'steps.create_bug.id',
      'work_item.current_nodes.0.id',
    ]);
    expect(templatePaths('{{ work_item.fields.优先级 }}')).toEqual(['work_item.fields.优先级']);
  });

  it.each([
    ['x {{a', /'\{\{' at offset 2 is never closed/, 2],
    ['{{ }}', /empty expression/, 0],
    ['ab {{ a.__proto__ }}', /reserved name '__proto__' at offset 3/, 3],
    ['{{ a.constructor }}', /reserved name 'constructor'/, 0],
    ['{{ a.prototype.x }}', /reserved name 'prototype'/, 0],
    ['{{ a..b }}', /empty segment/, 0],
    ['{{ a.b() }}', /invalid segment 'b\(\)'/, 0],
    ['{{ a | nope }}', /unknown formatter 'nope' at offset 7 \(known: default, join/, 7],
    ['{{ a | default }}', /'default' takes 1 argument\(s\), got 0/, 7],
    ['{{ a | upper("x") }}', /'upper' takes 0 argument\(s\), got 1/, 7],
    ['{{ a | join(", " }}', /expected ','/, 17],
    ['{{ a b }}', /expected '\|' but found 'b'/, 5],
    ['{{ a | default(x) }}', /expected a quoted string or a number/, 15],
    ['{{ a | }}', /expected a formatter name/, 7],
  ])('refuses %j with the offset', (text, message, offset) => {
    const error = refusal(text);
    expect(error.message).toMatch(message);
    expect(error.offset).toBe(offset);
  });

  it('splits text exactly as a character-by-character scan does (the old parser, as the model)', () => {
    const alphabet = fc.constantFrom('{', '}', '\\', 'a', '.', ' ', '|', 'é');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((chars) => chars.join('')),
        (text) => {
          let expected: unknown;
          let actual: unknown;
          try {
            expected = modelSplit(text);
          } catch {
            expected = 'refused';
          }
          try {
            actual = parseTemplate(text).map((p) => (p.kind === 'text' ? p : p.raw));
          } catch {
            actual = 'refused';
          }
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parses a template of 1 MiB of text around one look-up, and clips long values in errors', () => {
    const big = `${'x'.repeat(1024 * 1024)}{{rule.id}}${'y'.repeat(1024)}`;
    const parts = parseTemplate(big);
    expect(parts.map((p) => p.kind)).toEqual(['text', 'expr', 'text']);
    expect((parts[0] as { text: string }).text.length).toBe(1024 * 1024);
    const error = refusal(`{{ ${'z'.repeat(100_000)}.__proto__ }}`);
    expect(error.message.length).toBeLessThan(300);
  });

  it('exports the formatter names', () => {
    expect(FORMATTER_NAMES).toEqual([
      'default',
      'join',
      'date',
      'json',
      'upper',
      'lower',
      'name',
      'mention',
      'plus',
      'minus',
      'times',
      'add',
      'days_since',
      'size',
      'first',
      'last',
      'map',
    ]);
  });
});

describe('parsePath', () => {
  it('splits dotted paths and refuses reserved segments', () => {
    expect(parsePath('current_nodes.0.id')).toEqual(['current_nodes', '0', 'id']);
    expect(() => parsePath('fields.__proto__')).toThrow(/reserved name '__proto__'/);
    expect(() => parsePath('')).toThrow(/empty segment/);
  });
});

/**
 * The splitting the parser did before it sliced text out whole: one character at a time. Only
 * the split is modelled; each look-up's own parse is the real one.
 */
function modelSplit(text: string): Array<{ kind: 'text'; text: string } | string> {
  const parts: Array<{ kind: 'text'; text: string } | string> = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
    } else if (text.startsWith('{{', i)) {
      const end = text.indexOf('}}', i + 2);
      if (end < 0) throw new Error('never closed');
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      const raw = text.slice(i, end + 2);
      parseTemplate(raw);
      parts.push(raw);
      i = end + 2;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return parts;
}
