/**
 * The `vars` fact at match time: each rule sees its own `vars.rule`, the work item's and the
 * space's variables are shared, and the store is asked only for the names a candidate rule's
 * conditions mention (none for rules that mention none). Both evaluators agree.
 */
import { describe, expect, it } from 'vitest';
import { buildEventFacts, type VarsProvider } from '../../src/match/facts.ts';
import { matchEvent } from '../../src/match/match-event.ts';
import { buildRuleIndex } from '../../src/match/rule-index.ts';
import { loadVars, varsMentioned } from '../../src/match/vars-fact.ts';
import { buildEvent, buildRule } from '../support/match-builders.ts';

const STORED: Record<string, unknown> = {
  'var:rule:often:n': 5,
  'var:rule:seldom:n': 1,
  'var:work_item:space1:6437110001:reopened': 3,
  'var:space:space1:escalations': 2,
};

const RULES = [
  buildRule({
    id: 'often',
    when: {
      all: [
        { fact: 'vars', path: 'rule.n', operator: 'greaterThan', value: 2 },
        { fact: 'vars', path: 'work_item.reopened', operator: 'equal', value: 3 },
      ],
    },
  }),
  buildRule({ id: 'seldom', when: { fact: 'vars', path: 'rule.n', operator: 'greaterThan', value: 2 } }),
  buildRule({
    id: 'space-wide',
    when: {
      fact: 'vars',
      path: 'space.escalations',
      operator: 'lessThan',
      value: { fact: 'vars', path: 'rule.cap' },
    },
  }),
  buildRule({ id: 'plain', when: { fact: 'event', path: 'operator', operator: 'equal', value: 'user_a' } }),
];

describe.each(['direct', 'json-rules-engine'] as const)(
  'the vars fact with the %s evaluator',
  (evaluator) => {
    it('gives each rule its own rule variables and reads only the names mentioned', async () => {
      const event = buildEvent();
      const asked: string[] = [];
      const provider: VarsProvider = (ruleId, wanted) =>
        loadVars(
          async (key) => {
            asked.push(key);
            return STORED[key];
          },
          wanted,
          { ruleId, event },
        );
      const results = await matchEvent(
        event,
        buildRuleIndex(RULES),
        buildEventFacts(event, 0, undefined, provider),
        {
          evaluator,
        },
      );
      expect(results.map((r) => [r.ruleId, r.matched, r.conditions.map((c) => c.actual)])).toEqual([
        ['often', true, [5, 3]],
        ['seldom', false, [1]],
        ['space-wide', false, [2]],
        ['plain', true, ['user_a']],
      ]);
      expect(asked.sort()).toEqual([
        'var:rule:often:n',
        'var:rule:seldom:n',
        'var:rule:space-wide:cap',
        'var:space:space1:escalations',
        'var:work_item:space1:6437110001:reopened',
      ]);
    });

    it('reads every variable as absent without a store (offline), and for an event without a work item', async () => {
      const event = buildEvent({ workItem: undefined, projectKey: undefined });
      const results = await matchEvent(event, buildRuleIndex(RULES), buildEventFacts(event, 0), {
        evaluator,
      });
      expect(results.find((r) => r.ruleId === 'often')?.conditions.map((c) => c.actual)).toEqual([
        undefined,
        undefined,
      ]);
    });
  },
);

describe('varsMentioned', () => {
  it('finds vars in conditions, fact references and templates, nested anywhere, and nothing else', () => {
    const found = varsMentioned({
      when: { fact: 'vars', path: 'work_item.reopened.count', operator: 'equal', value: 1 },
      do: [
        {
          params: {
            text: 'n={{   vars.rule.n | default(0) }} {{vars.space.s}} {{work_item.name}} {{vars.team.x}}',
          },
        },
        { else: [{ params: { value: { fact: 'vars', path: 'rule.other' } } }] },
        { params: { text: 'broken {{vars.rule.' } },
      ],
    });
    expect(found).toEqual([
      { scope: 'work_item', name: 'reopened' },
      { scope: 'rule', name: 'n' },
      { scope: 'space', name: 's' },
      { scope: 'rule', name: 'other' },
    ]);
  });
});
