import { varPathProblem } from '../match/vars-fact.ts';
import { parsePath } from '../templates/parse.ts';
import { durationIssue, invalid, messageOf, record } from './check-support.ts';
import type { RuleIssue } from './diagnostic.ts';
import { compileSafeRegex } from './safe-regex.ts';

/** What each operator needs as `value`, in step with src/match/operators.ts. */
const LIST_OPERATORS = new Set(['containsAny', 'containsAll']);
const SEARCH_OPERATORS = new Set(['in', 'notIn']);
const TEXT_OPERATORS = new Set(['startsWith', 'endsWith']);

export interface ConditionContext {
  /** The rule fires on chat commands, so the `command` fact exists. */
  hasCommand: boolean;
  /** A step's condition (evaluated when the step runs): `steps` exists. */
  atExecution?: boolean;
  /** Inside a for_each: `item` and `index` exist. */
  inLoop?: boolean;
}

/** Walks a condition tree: paths, and values each custom operator needs (regex, duration, list). */
export function checkConditions(
  when: unknown,
  context: ConditionContext,
  path: RuleIssue['path'] = ['when'],
): RuleIssue[] {
  const issues: RuleIssue[] = [];
  walk(when, path, context, issues);
  return issues;
}

function walk(node: unknown, path: RuleIssue['path'], context: ConditionContext, issues: RuleIssue[]): void {
  const condition = record(node);
  if (!condition) return;
  for (const key of ['all', 'any'] as const) {
    const children = condition[key];
    if (Array.isArray(children))
      children.forEach((child, i) => walk(child, [...path, key, i], context, issues));
  }
  if (condition.not !== undefined) walk(condition.not, [...path, 'not'], context, issues);
  if (typeof condition.fact === 'string') checkLeaf(condition, path, context, issues);
}

function checkLeaf(
  leaf: Record<string, unknown>,
  path: RuleIssue['path'],
  context: ConditionContext,
  issues: RuleIssue[],
): void {
  const unavailable = factProblem(leaf.fact, context);
  if (unavailable) issues.push(invalid([...path, 'fact'], unavailable));
  if (typeof leaf.path === 'string') {
    try {
      // `*` (every element of a list) is a whole segment of a condition's path only.
      parsePath(leaf.path.replace(/(^|\.)\*(?=\.|$)/g, '$1_'));
    } catch (error) {
      issues.push(invalid([...path, 'path'], messageOf(error)));
    }
  }
  if (leaf.fact === 'related' && !(typeof leaf.path === 'string' && /^[^.*]+\./.test(leaf.path)))
    issues.push(
      invalid(
        [...path, leaf.path === undefined ? 'fact' : 'path'],
        `'related' needs a path <relation rule>.<n or *>.<key>, e.g. rule_x.*.state`,
      ),
    );
  if (leaf.fact === 'vars') {
    const problem = varPathProblem(typeof leaf.path === 'string' ? leaf.path : '');
    if (problem) issues.push(invalid([...path, leaf.path === undefined ? 'fact' : 'path'], problem));
  }
  const value = leaf.value;
  const at = [...path, 'value'];
  // A value may name another fact ({ fact, path }); it is resolved when the rule runs.
  if (typeof record(value)?.fact === 'string') return;
  switch (leaf.operator) {
    case 'matches':
      if (typeof value !== 'string') issues.push(invalid(at, `'matches' needs a regex string as value`));
      else regexIssue(value, at, issues);
      break;
    case 'olderThan':
    case 'newerThan':
      if (typeof value !== 'string')
        issues.push(invalid(at, `'${leaf.operator}' needs a duration such as 3d as value`));
      else durationIssue(value, at, issues);
      break;
    case 'isEmpty':
      if (typeof value !== 'boolean') issues.push(invalid(at, `'isEmpty' needs true or false as value`));
      break;
    default:
      issues.push(...valueShape(String(leaf.operator), value, at));
  }
}

function factProblem(fact: unknown, context: ConditionContext): string | undefined {
  if (fact === 'command' && !context.hasCommand)
    return `the 'command' fact exists only for rules triggered by on.command`;
  if (fact === 'steps' && !context.atExecution)
    return `the 'steps' fact exists only in a step's condition (when, a choose pair, recheck), not in the rule's when`;
  if ((fact === 'item' || fact === 'index') && !context.inLoop)
    return `the '${String(fact)}' fact exists only in conditions inside a for_each`;
  // Linked items are read once, when the event is matched; a step iterates them with for_each.
  if ((fact === 'related' || fact === 'parent') && context.atExecution)
    return `the '${String(fact)}' fact exists only in the rule's when (in a step, use for_each: { related: ... })`;
  return undefined;
}

function valueShape(operator: string, value: unknown, at: RuleIssue['path']): RuleIssue[] {
  if (LIST_OPERATORS.has(operator) && !Array.isArray(value)) {
    return [invalid(at, `'${operator}' needs a list as value`)];
  }
  if (SEARCH_OPERATORS.has(operator) && !Array.isArray(value) && typeof value !== 'string') {
    return [invalid(at, `'${operator}' needs a list (or a string to search in) as value`)];
  }
  if (TEXT_OPERATORS.has(operator) && typeof value !== 'string') {
    return [invalid(at, `'${operator}' needs a string as value`)];
  }
  return [];
}

function regexIssue(pattern: string, path: RuleIssue['path'], issues: RuleIssue[]): void {
  try {
    compileSafeRegex(pattern);
  } catch (error) {
    issues.push(invalid(path, messageOf(error)));
  }
}
