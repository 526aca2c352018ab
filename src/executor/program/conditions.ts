/**
 * Conditions at execution time (a step's `when`, a choose pair, `recheck`): the same evaluator,
 * operators and trace as the rule's `when` at match time (src/match), on the facts of the run as
 * it executes.
 */
import type { ConditionEvaluation } from '../../match/condition-trace.ts';
import { evaluateDirect } from '../../match/evaluate-direct.ts';
import { factsUsed, readsSubtasks } from '../../match/fact-values.ts';
import { createOperators } from '../../match/operators.ts';
import type { ConditionNode } from '../../rules/rule.ts';
import type { Change } from '../../events/event.ts';
import type { ReadFn } from '../ports.ts';
import type { ProgramContext } from './context.ts';
import type { Scope } from './execution-facts.ts';

export async function evaluateAt(
  ctx: ProgramContext,
  when: ConditionNode,
  scope: Scope,
  read: ReadFn,
  options: { fresh?: boolean } = {},
): Promise<ConditionEvaluation> {
  const table = await ctx.facts.table(factsUsed(when), scope, read, ctx.rule, {
    fresh: options.fresh,
    subtasks: readsSubtasks(when),
  });
  const operators = createOperators({ change: table.change as Change | undefined, now: table.now as number });
  return evaluateDirect(when, table, operators, { workItemLive: true });
}
