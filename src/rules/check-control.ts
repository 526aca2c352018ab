/**
 * What the schema cannot say about control steps: a wait's length, an approval's timeout and
 * approvers, templates in `wait_until`,
 * `for_each`, `lookup`, `set` and `increment` (and whether the trigger's events have the work item
 * or space a variable is kept on), and the nested blocks of `for_each` and `choose` (where `item` and
 * `index` exist inside the loop).
 */
import { incrementBy } from '../store/var-change.ts';
import { approveIssues } from './check-approve.ts';
import { checkConditions } from './check-conditions.ts';
import { checkBlock, type BlockScope, type StepRules } from './check-steps.ts';
import { durationIssue, invalid, record } from './check-support.ts';
import { checkTemplates } from './check-templates.ts';
import type { RuleIssue } from './diagnostic.ts';
import { parseDuration } from './duration.ts';
import { parseLiteralTime } from './literal-time.ts';

/** Longest `wait`: a run parked for longer than a year is a mistake in the rule. */
const MAX_WAIT_MS = parseDuration('365d');

/** Checks a control step; false when `type` is an action, whose checks are the caller's. */
export function controlIssues(
  type: string,
  value: unknown,
  step: Record<string, unknown>,
  at: RuleIssue['path'],
  rules: StepRules,
  scope: BlockScope,
  issues: RuleIssue[],
): boolean {
  const templates = { ...scope, hasCommand: rules.hasCommand };
  switch (type) {
    case 'wait':
      if (typeof value === 'string') {
        const ms = durationIssue(value, at, issues);
        if (ms !== undefined && ms > MAX_WAIT_MS)
          issues.push(invalid(at, `wait: ${value} is longer than 365d`));
      }
      return true;
    case 'wait_until':
      checkTemplates(value, at, templates, issues);
      if (typeof value === 'string' && !value.includes('{{') && parseLiteralTime(value) === undefined)
        issues.push(
          invalid(at, `wait_until: '${value}' is neither a template nor epoch ms nor an ISO-8601 time`),
        );
      return true;
    case 'lookup':
      checkTemplates(value, at, templates, issues);
      return true;
    case 'set':
    case 'increment':
      checkTemplates(value, at, templates, issues);
      issues.push(...varScopeIssues(type, record(value) ?? {}, at, rules));
      if (type === 'increment') issues.push(...byIssues(record(value)?.by, at));
      return true;
    case 'approve':
      checkTemplates(value, at, templates, issues);
      issues.push(...approveIssues(record(value) ?? {}, at));
      return true;
    case 'for_each': {
      const params = record(value) ?? {};
      if (params.items !== undefined) checkTemplates(params.items, [...at, 'items'], templates, issues);
      checkBlock(params.do, [...at, 'do'], rules, { earlier: scope.earlier, inLoop: true }, issues);
      return true;
    }
    case 'choose':
      if (step.when !== undefined) {
        issues.push({
          ...invalid(
            [...at.slice(0, -1), 'when'],
            `'choose' takes its conditions in its pairs: move this 'when' into one`,
          ),
          atKey: true,
        });
      }
      (Array.isArray(value) ? value : []).forEach((raw, i) => {
        const pair = record(raw) ?? {};
        const conditions = { hasCommand: rules.hasCommand, atExecution: true, inLoop: scope.inLoop };
        if (pair.when !== undefined)
          issues.push(...checkConditions(pair.when, conditions, [...at, i, 'when']));
        checkBlock(pair.do, [...at, i, 'do'], rules, scope, issues);
      });
      return true;
    default:
      return false;
  }
}

/** A `by` written as text must be a number or a template giving one. */
function byIssues(by: unknown, at: RuleIssue['path']): RuleIssue[] {
  if (typeof by !== 'string' || by.includes('{{') || incrementBy(by) !== undefined) return [];
  return [invalid([...at, 'by'], `increment by '${by}' is not a number (nor a template giving one)`)];
}

/** A variable of the work item or the space needs events that carry one. */
function varScopeIssues(
  type: string,
  params: Record<string, unknown>,
  at: RuleIssue['path'],
  rules: StepRules,
): RuleIssue[] {
  const scope = params.scope ?? 'work_item';
  if ((scope !== 'work_item' && scope !== 'space') || rules.missingWorkItem.length === 0) return [];
  const path = params.scope === undefined ? at : [...at, 'scope'];
  const whose = scope === 'space' ? 'a space' : 'a work item';
  return [
    {
      ...invalid(
        path,
        `'${type}' keeps the variable on ${whose}, but ${rules.missingWorkItem.join(', ')} events carry none: use scope: rule`,
      ),
      atKey: params.scope === undefined,
    },
  ];
}

/** Where an action may read `{{secrets.*}}`: http headers and body, api body. */
export function secretsAllowedAt(type: string): ReadonlyArray<readonly string[]> {
  if (type === 'http') return [['headers'], ['body']];
  if (type === 'api') return [['body']];
  return [];
}
