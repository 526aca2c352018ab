/**
 * Evaluates rules with json-rules-engine, for rules whose facts load asynchronously. A new
 * Engine is built for every evaluation and results are read from run()'s return value: an
 * Engine keeps its run status on the instance, so sharing one between concurrent runs mixes
 * them up (json-rules-engine issue #303).
 */
import { Engine, type RuleProperties, type RuleResult, type TopLevelCondition } from 'json-rules-engine';
import type { Change } from '../events/event.ts';
import type { ConditionLeaf, ConditionNode } from '../rules/rule.ts';
import { AutopilotError } from '../errors.ts';
import {
  conclude,
  guardOperators,
  isLeaf,
  leafTrace,
  type ConditionEvaluation,
  type ConditionTrace,
  type LeafContext,
} from './condition-trace.ts';
import { fieldNameAsWritten, isChangeFieldLeaf } from './change-field.ts';
import { leaves, type FactTable } from './fact-values.ts';
import type { OperatorFn } from './operators.ts';
import { resolvePath } from './resolve-path.ts';

export interface EngineRule {
  id: string;
  when: ConditionNode;
  /** Higher runs first (json-rules-engine rule priority); @defaultValue 1 */
  priority?: number;
}

export interface EngineFacts {
  constant: FactTable;
  /** Facts computed on demand; the loader is called only if a condition reads the fact. */
  dynamic: Readonly<Record<string, () => Promise<unknown>>>;
  /** Read after the run, when the dynamic facts have settled. */
  leafContext(): LeafContext;
}

export async function evaluateWithEngine(
  rules: readonly EngineRule[],
  facts: EngineFacts,
  operators: ReadonlyMap<string, OperatorFn>,
): Promise<Map<string, ConditionEvaluation>> {
  const guard = guardOperators(operators);
  const engine = new Engine([], {
    allowUndefinedFacts: true,
    pathResolver: (value, path) => resolvePath(value, path),
  });
  for (const [name, fn] of guard.operators) engine.addOperator(name, fn);
  for (const [name, load] of Object.entries(facts.dynamic)) engine.addFact(name, () => load());
  const change = facts.constant.change as Change | undefined;
  engine.addFact(CHANGE_FIELD_FACT, (params: { written?: unknown }) =>
    fieldNameAsWritten(change, params.written),
  );
  for (const rule of rules) engine.addRule(toEngineRule(rule));
  const byId = new Map(rules.map((r) => [r.id, r]));
  const evaluations = new Map<string, ConditionEvaluation>();
  try {
    const { results, failureResults } = await engine.run({ ...facts.constant });
    const ctx = facts.leafContext();
    for (const result of [...results, ...failureResults]) {
      const rule = byId.get(result.name as string);
      if (rule !== undefined) evaluations.set(rule.id, readResult(rule, result, ctx, guard.errorFor));
    }
  } catch (thrown) {
    const error = new AutopilotError(
      'AP_RULE_INVALID',
      `conditions could not be evaluated: ${String(thrown)}`,
    );
    for (const rule of rules) evaluations.set(rule.id, { matched: false, conditions: [], error });
  }
  return evaluations;
}

/** The fact a `change.field` leaf reads instead: its value depends on the leaf's own value. */
const CHANGE_FIELD_FACT = '$change_field';

function forEngine(node: ConditionNode): unknown {
  if (isLeaf(node)) {
    if (!isChangeFieldLeaf(node)) return node;
    const { path: _path, ...leaf } = node;
    return { ...leaf, fact: CHANGE_FIELD_FACT, params: { written: node.value } };
  }
  if ('not' in node) return { not: forEngine(node.not) };
  return 'all' in node ? { all: node.all.map(forEngine) } : { any: node.any.map(forEngine) };
}

function toEngineRule(rule: EngineRule): RuleProperties {
  // json-rules-engine wants all / any / not at the top; a lone leaf becomes a one-item `all`.
  const when = forEngine(rule.when) as ConditionNode;
  const conditions = (isLeaf(when) ? { all: [when] } : when) as TopLevelCondition;
  return { name: rule.id, priority: rule.priority ?? 1, conditions, event: { type: rule.id } };
}

interface EvaluatedLeaf {
  factResult?: unknown;
  valueResult?: unknown;
  result?: unknown;
}

function readResult(
  rule: EngineRule,
  result: RuleResult,
  ctx: LeafContext,
  errorFor: (operator: string, actual: unknown, expected: unknown) => AutopilotError | undefined,
): ConditionEvaluation {
  const written = leaves(rule.when);
  const evaluated = leaves(result.conditions as unknown as ConditionNode) as (ConditionLeaf &
    EvaluatedLeaf)[];
  let error: AutopilotError | undefined;
  const conditions: ConditionTrace[] = written.map((leaf, i) => {
    const seen: EvaluatedLeaf = evaluated[i] ?? {};
    error ??= errorFor(leaf.operator, seen.factResult, seen.valueResult);
    return leafTrace(leaf, seen.factResult, seen.valueResult, seen.result === true, ctx);
  });
  return conclude(rule.when, conditions, error);
}
