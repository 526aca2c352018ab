/**
 * Evaluates a condition tree synchronously over facts that are already known. Same operators,
 * same path semantics and same results as the json-rules-engine path (test/match/
 * evaluators-agree.test.ts holds them together); it exists because building an Engine per
 * evaluation costs more than the whole match (see bench/matcher.bench.ts).
 */
import type { Change } from '../events/event.ts';
import type { ConditionNode } from '../rules/rule.ts';
import type { AutopilotError } from '../errors.ts';
import {
  asRuleError,
  conclude,
  leafTrace,
  type ConditionEvaluation,
  type LeafContext,
} from './condition-trace.ts';
import { fieldNameAsWritten, isChangeFieldLeaf } from './change-field.ts';
import { factAt, isFactRef, leaves, type FactTable } from './fact-values.ts';
import type { OperatorFn } from './operators.ts';

export function evaluateDirect(
  when: ConditionNode,
  facts: FactTable,
  operators: ReadonlyMap<string, OperatorFn>,
  ctx: LeafContext,
): ConditionEvaluation {
  let error: AutopilotError | undefined;
  const conditions = leaves(when).map((leaf) => {
    const actual = isChangeFieldLeaf(leaf)
      ? fieldNameAsWritten(facts.change as Change | undefined, leaf.value)
      : factAt(facts[leaf.fact], leaf.path);
    const expected = isFactRef(leaf.value) ? factAt(facts[leaf.value.fact], leaf.value.path) : leaf.value;
    let result = false;
    try {
      result = operatorOf(operators, leaf.operator)(actual, expected) === true;
    } catch (thrown) {
      error ??= asRuleError(thrown, leaf.operator);
    }
    return leafTrace(leaf, actual, expected, result, ctx);
  });
  return conclude(when, conditions, error);
}

function operatorOf(operators: ReadonlyMap<string, OperatorFn>, name: string): OperatorFn {
  const fn = operators.get(name);
  if (fn === undefined) throw new Error(`unknown operator ${name}`);
  return fn;
}
