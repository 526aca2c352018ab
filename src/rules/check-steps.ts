/**
 * The steps of `do:`, block by block (a for_each's `do`, a branch's steps): templates, step names
 * and their scope, conditions at execution time, control steps' own rules, and whether each
 * action can apply to the rule's trigger.
 */
import { isWorkItemId } from '../ingest/ids.ts';
import { parseTemplate, type TemplatePart } from '../templates/parse.ts';
import { STEP_KEYS, STEP_TYPES, WORK_ITEM_ACTIONS } from './action-names.ts';
import { checkConditions } from './check-conditions.ts';
import { controlIssues, secretsAllowedAt } from './check-control.ts';
import { checkMessage } from './check-message.ts';
import { invalid, record } from './check-support.ts';
import { checkTemplates } from './check-templates.ts';
import type { RuleIssue } from './diagnostic.ts';

export { checkTemplates, type TemplateContext } from './check-templates.ts';

const TRIGGER_KEYS = ['event', 'poll', 'schedule', 'command', 'card_action'] as const;
/** Event types that carry no work item (unknown types are the schema's to report). */
const WITHOUT_WORK_ITEM = /^(webhook\.[A-Za-z0-9_-]+|chat\.command|schedule\.fired)$/;

/** What every step of the rule is checked against. */
export interface StepRules {
  on: Record<string, unknown>;
  hasCommand: boolean;
  missingWorkItem: string[];
  /** Every step name seen so far in the rule: names are unique in a rule. */
  names: Set<string>;
}

/** Where a block of steps sits: the names visible to it, and whether it is inside a for_each. */
export interface BlockScope {
  earlier: ReadonlySet<string>;
  inLoop: boolean;
}

/** Templates, step names, and whether each action can apply to the rule's trigger. */
export function checkSteps(steps: unknown, on: Record<string, unknown>): RuleIssue[] {
  const rules: StepRules = {
    on,
    hasCommand: typeof on.command === 'string',
    missingWorkItem: triggerWithoutWorkItem(on),
    names: new Set(),
  };
  const issues: RuleIssue[] = [];
  checkBlock(steps, ['do'], rules, { earlier: new Set(), inLoop: false }, issues);
  return issues;
}

/** Checks a block's steps in order; each named step becomes visible to the ones after it. */
export function checkBlock(
  steps: unknown,
  path: RuleIssue['path'],
  rules: StepRules,
  scope: BlockScope,
  issues: RuleIssue[],
): void {
  if (!Array.isArray(steps)) return;
  const earlier = new Set(scope.earlier);
  steps.forEach((raw, i) => {
    const step = record(raw);
    if (!step) return;
    const at = [...path, i];
    checkStep(step, at, rules, { earlier, inLoop: scope.inLoop }, issues);
    if (typeof step.name === 'string') {
      if (rules.names.has(step.name))
        issues.push(invalid([...at, 'name'], `step name '${step.name}' is used twice in this rule`));
      rules.names.add(step.name);
      earlier.add(step.name);
    }
  });
}

function checkStep(
  step: Record<string, unknown>,
  at: RuleIssue['path'],
  rules: StepRules,
  scope: BlockScope,
  issues: RuleIssue[],
): void {
  const conditions = { hasCommand: rules.hasCommand, atExecution: true, inLoop: scope.inLoop };
  if (step.when !== undefined) issues.push(...checkConditions(step.when, conditions, [...at, 'when']));
  if (record(step.recheck)) issues.push(...checkConditions(step.recheck, conditions, [...at, 'recheck']));
  checkBlock(step.else, [...at, 'else'], rules, scope, issues);
  const type = Object.keys(step).find((k) => !STEP_KEYS.has(k) && STEP_TYPES.includes(k));
  if (type === undefined) return;
  const value = step[type];
  const typeAt = [...at, type];
  if (controlIssues(type, value, step, typeAt, rules, scope, issues)) return;
  const params = record(value) ?? {};
  checkTemplates(
    params,
    typeAt,
    { ...scope, hasCommand: rules.hasCommand, secretsAt: secretsAllowedAt(type) },
    issues,
  );
  issues.push(...applicability(type, params, typeAt, rules));
  if (WORK_ITEM_ACTIONS.has(type)) issues.push(...checkTargetId(params, typeAt));
  if (type === 'message') issues.push(...checkMessage(params, typeAt));
}

/** Which events of this trigger carry no work item; empty when every one does. */
function triggerWithoutWorkItem(on: Record<string, unknown>): string[] {
  // With no single trigger the schema already reports the rule; guessing here would only add noise.
  if (TRIGGER_KEYS.filter((k) => on[k] !== undefined).length !== 1) return [];
  if (on.poll !== undefined) return [];
  if (on.schedule !== undefined)
    return record(on.schedule)?.search === undefined ? ['schedule.fired (without search)'] : [];
  if (on.command !== undefined) return ['chat.command'];
  const events = Array.isArray(on.event) ? on.event : [on.event];
  return events.filter((e): e is string => typeof e === 'string' && WITHOUT_WORK_ITEM.test(e));
}

/**
 * Template paths that hold lists: a role's owners, the current nodes, a multi-field change, a
 * look-up's items. One of them where one work item id is expected used to fall back silently to
 * the event's own work item.
 */
const LIST_PATHS: readonly RegExp[] = [
  /^work_item\.roles\.[^.]+$/,
  /^work_item\.current_nodes$/,
  /^change\.(fields|nodes)$/,
  /^steps\.[^.]+\.items$/,
];
const TO_ONE_FORMATTERS = new Set(['first', 'last', 'size', 'join', 'default']);

/** `target.id`: one work item id, given as digits or as a template that renders one. */
function checkTargetId(params: Record<string, unknown>, at: RuleIssue['path']): RuleIssue[] {
  const target = record(params.target);
  if (target?.id === undefined) return [];
  const id = target.id;
  const idAt = [...at, 'target', 'id'];
  if (typeof id === 'number') {
    return isWorkItemId(String(id)) && Number.isSafeInteger(id)
      ? []
      : [
          invalid(
            idAt,
            `target.id ${id} is not a work item id: a positive integer below 2^63, quoted when long`,
          ),
        ];
  }
  if (typeof id !== 'string')
    return [invalid(idAt, 'target.id must be one work item id (digits or a template)')];
  if (!id.includes('{{')) {
    return isWorkItemId(id)
      ? []
      : [invalid(idAt, `target.id '${id}' is not a work item id: expected a positive integer below 2^63`)];
  }
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(id);
  } catch {
    return []; // checkTemplates reports a template that does not parse
  }
  const [only, ...more] = parts;
  if (only?.kind !== 'expr' || more.length > 0) return [];
  const reduced = only.formatters.some((f) => TO_ONE_FORMATTERS.has(f.name));
  const list = only.formatters.some((f) => f.name === 'map') || LIST_PATHS.some((p) => p.test(only.path));
  if (!list || reduced) return [];
  return [
    invalid(
      idAt,
      `target.id reads {{${only.path}}}, a list, where one work item id is expected: iterate with for_each (target id '{{item.id}}') or take one with | first`,
    ),
  ];
}

function applicability(
  action: string,
  params: Record<string, unknown>,
  at: RuleIssue['path'],
  rules: StepRules,
): RuleIssue[] {
  if (action === 'reply' && rules.on.command === undefined) {
    return [
      {
        ...invalid(at, `'reply' answers a chat command; it applies only to rules with on.command`),
        atKey: true,
      },
    ];
  }
  if (action === 'update_card' && rules.on.card_action === undefined) {
    return [
      {
        ...invalid(
          at,
          `'update_card' updates the clicked card; it applies only to rules with on.card_action`,
        ),
        atKey: true,
      },
    ];
  }
  if (
    WORK_ITEM_ACTIONS.has(action) &&
    rules.missingWorkItem.length > 0 &&
    record(params.target)?.id === undefined
  ) {
    const why = `'${action}' acts on a work item, but ${rules.missingWorkItem.join(', ')} events carry none`;
    return [{ ...invalid(at, `${why}: add target: { project, type, id }`), atKey: true }];
  }
  return [];
}
