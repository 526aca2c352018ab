/**
 * The direct evaluator must give exactly what json-rules-engine gives: same outcome, same
 * trace, same error, on any condition tree over any facts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConditionLeaf, ConditionNode } from '../../src/rules/rule.ts';
import { evaluateDirect } from '../../src/match/evaluate-direct.ts';
import { evaluateWithEngine } from '../../src/match/evaluate-engine.ts';
import { OPERATOR_NAMES } from '../../src/match/operator-names.ts';
import { createOperators } from '../../src/match/operators.ts';

const NOW = 1_700_000_000_000;
const facts = {
  event: { type: 'work_item.updated', operator: 'u1', tags: ['a', 'b'], count: 3 },
  change: { kind: 'field', field: 'priority', from: { value: '1' }, to: { value: '0' } },
  command: undefined,
  now: NOW,
  work_item: {
    name: 'Crash on save',
    fields: { priority: '0', tags: ['ui', 'auth'], due: NOW - 5 * 86_400_000, empty: '' },
    roles: { PM: ['u1'] },
    current_nodes: [{ id: 'doing', name: 'Doing' }],
  },
};

const factPaths: [string, string | undefined][] = [
  ['event', 'type'],
  ['event', 'tags'],
  ['event', 'count'],
  ['event', 'missing.deep'],
  ['change', 'to'],
  ['now', undefined],
  ['now', 'weird'],
  ['command', 'name'],
  ['unknown_fact', undefined],
  ['work_item', 'name'],
  ['work_item', 'fields.priority'],
  ['work_item', 'fields.tags'],
  ['work_item', 'fields.due'],
  ['work_item', 'fields.empty'],
  ['work_item', 'roles.PM'],
  ['work_item', 'current_nodes.0.id'],
  ['work_item', '__proto__'],
];

const values = fc.oneof(
  fc.constantFrom('0', 'Crash', 'ui', 'doing', 'work_item.updated', '3d', '1h', '^Cr', '(', 'x'),
  fc.integer({ min: -2, max: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom('ui', 'auth', 'a', 'u1', '0'), { maxLength: 3 }),
  fc.record({ field: fc.constantFrom('priority', 'status'), value: fc.constantFrom('0', '1') }),
  fc.record({
    fact: fc.constantFrom('event', 'work_item'),
    path: fc.constantFrom('operator', 'fields.priority'),
  }),
);

const leaf: fc.Arbitrary<ConditionLeaf> = fc
  .tuple(fc.constantFrom(...factPaths), fc.constantFrom(...OPERATOR_NAMES), values)
  .map(([[fact, path], operator, value]) =>
    path === undefined ? { fact, operator, value } : { fact, path, operator, value },
  );

const tree = fc.letrec<{ node: ConditionNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node;

describe('direct evaluation and json-rules-engine agree', () => {
  it('on random condition trees', async () => {
    const operators = createOperators({ change: facts.change, now: NOW });
    await fc.assert(
      fc.asyncProperty(tree, async (when) => {
        const direct = evaluateDirect(when, facts, operators, { workItemLive: true });
        const { work_item, ...constant } = facts;
        const viaEngine = await evaluateWithEngine(
          [{ id: 'r', when }],
          {
            constant,
            dynamic: { work_item: async () => work_item },
            leafContext: () => ({ workItemLive: true }),
          },
          operators,
        );
        const engine = viaEngine.get('r');
        expect(engine?.matched).toBe(direct.matched);
        expect(engine?.conditions).toEqual(direct.conditions);
        expect(engine?.error?.code).toBe(direct.error?.code);
        expect(engine?.error?.message).toBe(direct.error?.message);
      }),
      { numRuns: 400 },
    );
  });
});
