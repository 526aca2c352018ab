/**
 * json-rules-engine keeps its run status on the Engine instance (issue #303): one Engine shared
 * by concurrent runs mixes their results up. Each evaluation builds its own; this runs 200 at
 * once, with async facts that settle in scrambled order and rules of different priorities.
 */
import { describe, expect, it } from 'vitest';
import { evaluateWithEngine } from '../../src/match/evaluate-engine.ts';
import { createOperators } from '../../src/match/operators.ts';
import { buildEventFacts } from '../../src/match/facts.ts';
import { matchEvent } from '../../src/match/match-event.ts';
import { buildRuleIndex } from '../../src/match/rule-index.ts';
import { buildEvent, buildRule } from '../support/match-builders.ts';

async function settleAfter(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('evaluateWithEngine under concurrency', () => {
  it('gets all of 200 concurrent evaluations right', async () => {
    const rules = [
      {
        id: 'high',
        priority: 10,
        when: { all: [{ fact: 'work_item', path: 'fields.n', operator: 'greaterThan', value: 100 }] },
      },
      {
        id: 'even',
        priority: 5,
        when: { fact: 'work_item', path: 'fields.even', operator: 'equal', value: true },
      },
      {
        id: 'low',
        priority: 1,
        when: {
          any: [
            { fact: 'event', path: 'type', operator: 'equal', value: 'never' },
            { fact: 'work_item', path: 'fields.tag', operator: 'startsWith', value: 'item-1' },
          ],
        },
      },
    ];
    const operators = createOperators({ change: undefined, now: 0 });
    const runs = Array.from({ length: 200 }, async (_, n) => {
      const workItem = { fields: { n, even: n % 2 === 0, tag: `item-${n}` } };
      const evaluations = await evaluateWithEngine(
        rules,
        {
          constant: { event: { type: 'work_item.updated' } },
          dynamic: { work_item: async () => (await settleAfter((n * 7) % 5), workItem) },
          leafContext: () => ({ workItemLive: true }),
        },
        operators,
      );
      return { n, evaluations };
    });
    const results = await Promise.all(runs);
    for (const { n, evaluations } of results) {
      expect(evaluations.get('high')?.matched).toBe(n > 100);
      expect(evaluations.get('high')?.conditions[0]?.actual).toBe(n);
      expect(evaluations.get('even')?.matched).toBe(n % 2 === 0);
      expect(evaluations.get('low')?.matched).toBe(`item-${n}`.startsWith('item-1'));
      expect(evaluations.get('low')?.conditions[1]?.actual).toBe(`item-${n}`);
    }
  });
});

describe('matchEvent under concurrency', () => {
  it.each(['direct', 'json-rules-engine'] as const)(
    'keeps 200 concurrent events apart (%s)',
    async (evaluator) => {
      const rules = [
        buildRule({
          id: 'big',
          when: { fact: 'work_item', path: 'fields.n', operator: 'greaterThan', value: 100 },
        }),
        buildRule({
          id: 'odd-event',
          when: { fact: 'event', path: 'payload.odd', operator: 'equal', value: true },
        }),
      ];
      const index = buildRuleIndex(rules);
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, n) => {
          const event = buildEvent({ id: `evt-${n}`, payload: { odd: n % 2 === 1 } });
          const loader = async () => (await settleAfter((n * 3) % 4), { fields: { n } } as never);
          const facts = buildEventFacts(event, 0, loader);
          return { n, results: await matchEvent(event, index, facts, { evaluator }) };
        }),
      );
      for (const {
        n,
        results: [big, odd],
      } of results) {
        expect(big).toMatchObject({ ruleId: 'big', matched: n > 100 });
        expect(big?.conditions[0]?.actual).toBe(n);
        expect(odd).toMatchObject({ ruleId: 'odd-event', matched: n % 2 === 1 });
      }
    },
  );
});
