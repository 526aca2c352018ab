import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isAutopilotError } from '../../src/errors.ts';
import { parseDuration } from '../../src/rules/duration.ts';
import { parseRuleText } from '../../src/rules/load-rules.ts';
import { parseTemplate } from '../../src/templates/parse.ts';

describe('robustness on arbitrary input', () => {
  it('parseRuleText never throws, and answers with a rule or located diagnostics', () => {
    const texts = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
      fc
        .record({
          id: fc.constantFrom('r', 'x'),
          on: fc.jsonValue({ maxDepth: 2 }),
          do: fc.jsonValue({ maxDepth: 3 }),
        })
        .map((v) => stringify(v)),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const { rule, diagnostics } = parseRuleText('rules/r.yaml', text);
        expect(rule !== undefined || diagnostics.length > 0).toBe(true);
        for (const d of diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.column).toBeGreaterThanOrEqual(1);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parseTemplate either parses, keeping every character, or throws AP_TEMPLATE_INVALID', () => {
    const pieces = fc.array(
      fc.constantFrom('{{', '}}', ' ', 'a', '.', '|', 'upper', 'default("x")', '(', '"', 'b_1'),
      {
        maxLength: 12,
      },
    );
    fc.assert(
      fc.property(pieces, (list) => {
        const text = list.join('');
        try {
          const parts = parseTemplate(text);
          expect(parts.map((p) => (p.kind === 'text' ? p.text : p.raw)).join('')).toBe(text);
        } catch (error) {
          expect(isAutopilotError(error, 'AP_TEMPLATE_INVALID')).toBe(true);
        }
      }),
    );
  });

  it('parseDuration reads back what it is given', () => {
    const units = [
      ['w', 604_800_000],
      ['d', 86_400_000],
      ['h', 3_600_000],
      ['m', 60_000],
      ['s', 1_000],
      ['ms', 1],
    ] as const;
    const amounts = fc.array(fc.option(fc.nat({ max: 1000 }), { nil: undefined }), {
      minLength: 6,
      maxLength: 6,
    });
    fc.assert(
      fc.property(amounts, (list) => {
        const used = units.flatMap(([unit, ms], i) =>
          list[i] === undefined ? [] : [{ unit, ms, n: list[i] as number }],
        );
        fc.pre(used.length > 0);
        const text = used.map((u) => `${u.n}${u.unit}`).join('');
        expect(parseDuration(text)).toBe(used.reduce((sum, u) => sum + u.n * u.ms, 0));
      }),
    );
  });
});
