/**
 * What one rule's conditions did for one event, and the pieces both evaluators share: the
 * leaf trace, the "needs live data" verdict, and the three-valued combination of a tree.
 */
import { AutopilotError } from '../errors.ts';
import type { ConditionLeaf, ConditionNode } from '../rules/rule.ts';
import type { OperatorFn } from './operators.ts';

export type ConditionOutcome = boolean | 'needs_live_data';

export interface ConditionTrace {
  fact: string;
  path?: string;
  operator: string;
  /** The condition's value (after resolving a `{fact}` reference). */
  expected: unknown;
  /** The fact value the operator saw. */
  actual: unknown;
  outcome: ConditionOutcome;
  /** Set when the condition sits under a `not` (an odd number of them): the rule wants it false. */
  negated?: true;
}

export interface ConditionEvaluation {
  matched: boolean;
  /** Every leaf condition, in the order written. */
  conditions: ConditionTrace[];
  /** AP_CONDITION_NEEDS_LIVE_DATA, or the rule error an operator raised. */
  error?: AutopilotError;
}

/** Whether the work item fact is the live record or only what the payload carried. */
export interface LeafContext {
  workItemLive: boolean;
  /** False when where the change came from is not known (a webhook replayed offline): `origin` conditions need it. */
  originKnown?: boolean;
  /**
   * False when the changed field's other name (key or alias) could not be looked up (a webhook
   * replayed offline without the work item): a `change.field` condition that did not hold on the
   * name the delivery used needs it.
   */
  fieldNamesKnown?: boolean;
  /** False when linked work items (`related`, `parent`) cannot be read (offline, without them). */
  linkedKnown?: boolean;
}

export function isLeaf(node: ConditionNode): node is ConditionLeaf {
  return 'fact' in node;
}

export function leafTrace(
  leaf: ConditionLeaf,
  actual: unknown,
  expected: unknown,
  result: boolean,
  ctx: LeafContext,
): ConditionTrace {
  const needsLive =
    (leaf.fact === 'work_item' && !ctx.workItemLive && actual === undefined) ||
    (leaf.fact === 'origin' && ctx.originKnown === false) ||
    (leaf.fact === 'change' && leaf.path === 'field' && ctx.fieldNamesKnown === false && !result) ||
    ((leaf.fact === 'related' || leaf.fact === 'parent') &&
      ctx.linkedKnown === false &&
      actual === undefined);
  const trace: ConditionTrace = {
    fact: leaf.fact,
    operator: leaf.operator,
    expected,
    actual,
    outcome: needsLive ? 'needs_live_data' : result,
  };
  if (leaf.path !== undefined) trace.path = leaf.path;
  return trace;
}

type Tri = boolean | 'unknown';

/**
 * Combines leaf outcomes over the tree (all / any / not) with "unknown" for leaves that need
 * live data, so a rule is only reported as needing live data when the answer depends on it.
 * Empty `all` and `any` are true, as in json-rules-engine.
 */
function combine(node: ConditionNode, outcomes: readonly ConditionOutcome[]): Tri {
  let next = 0;
  const walk = (n: ConditionNode): Tri => {
    if (isLeaf(n)) {
      const outcome = outcomes[next++];
      return outcome === 'needs_live_data' || outcome === undefined ? 'unknown' : outcome;
    }
    if ('not' in n) {
      const inner = walk(n.not);
      return inner === 'unknown' ? inner : !inner;
    }
    const isAll = 'all' in n;
    const children = (isAll ? n.all : n.any).map(walk);
    if (children.length === 0) return true;
    if (children.includes(!isAll)) return !isAll;
    return children.includes('unknown') ? 'unknown' : isAll;
  };
  return walk(node);
}

export function conclude(
  when: ConditionNode,
  conditions: ConditionTrace[],
  operatorError: AutopilotError | undefined,
): ConditionEvaluation {
  markNegated(when, conditions);
  if (operatorError !== undefined) return { matched: false, conditions, error: operatorError };
  const verdict = combine(
    when,
    conditions.map((c) => c.outcome),
  );
  if (verdict !== 'unknown') return { matched: verdict, conditions };
  const error = new AutopilotError(
    'AP_CONDITION_NEEDS_LIVE_DATA',
    "a condition needs data the event does not carry (the work item, its related or parent work items, where the change came from, or the changed field's alias); pass the work item to evaluate it",
    { paths: conditions.filter((c) => c.outcome === 'needs_live_data').map((c) => c.path) },
  );
  return { matched: false, conditions, error };
}

function markNegated(when: ConditionNode, conditions: ConditionTrace[]): void {
  let next = 0;
  const walk = (n: ConditionNode, negated: boolean): void => {
    if (isLeaf(n)) {
      const trace = conditions[next++];
      if (negated && trace !== undefined) trace.negated = true;
    } else if ('not' in n) walk(n.not, !negated);
    else for (const child of 'all' in n ? n.all : n.any) walk(child, negated);
  };
  walk(when, false);
}

/**
 * Operators that record rule errors instead of throwing, so one bad condition gives a traced,
 * non-matching result rather than aborting a whole json-rules-engine run. An error is found
 * again by (operator, fact value, value): operators are pure, so equal inputs fail alike.
 */
export interface GuardedOperators {
  operators: Map<string, OperatorFn>;
  errorFor(operator: string, actual: unknown, expected: unknown): AutopilotError | undefined;
}

export function guardOperators(operators: ReadonlyMap<string, OperatorFn>): GuardedOperators {
  const failures: { operator: string; actual: unknown; expected: unknown; error: AutopilotError }[] = [];
  const guarded = new Map<string, OperatorFn>();
  for (const [name, fn] of operators) {
    guarded.set(name, (actual, expected) => {
      try {
        return fn(actual, expected);
      } catch (error) {
        failures.push({ operator: name, actual, expected, error: asRuleError(error, name) });
        return false;
      }
    });
  }
  const errorFor = (operator: string, actual: unknown, expected: unknown) =>
    failures.find(
      (f) => f.operator === operator && Object.is(f.actual, actual) && Object.is(f.expected, expected),
    )?.error;
  return { operators: guarded, errorFor };
}

export function asRuleError(error: unknown, operator: string): AutopilotError {
  if (error instanceof AutopilotError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AutopilotError('AP_RULE_INVALID', `${operator}: ${message}`, { operator });
}
