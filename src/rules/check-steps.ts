import { isAutopilotError } from '../errors.ts';
import { parseTemplate } from '../templates/parse.ts';
import { parseDuration } from './duration.ts';
import { STEP_KEYS, STEP_TYPES, WORK_ITEM_ACTIONS } from './action-names.ts';
import { checkMessage } from './check-message.ts';
import { durationIssue, invalid, record } from './check-support.ts';
import type { RuleIssue } from './diagnostic.ts';
import { FACT_ROOTS, TEMPLATE_ONLY_ROOTS } from './facts.ts';

const TEMPLATE_ROOTS: ReadonlySet<string> = new Set([...FACT_ROOTS, ...TEMPLATE_ONLY_ROOTS]);
const TRIGGER_KEYS = ['event', 'poll', 'schedule', 'command'] as const;
/** Event types that carry no work item (unknown types are the schema's to report). */
const WITHOUT_WORK_ITEM = /^(webhook\.[A-Za-z0-9_-]+|chat\.command|schedule\.fired)$/;

/** Templates, step names, and whether each action can apply to the rule's trigger. */
export function checkSteps(steps: unknown, on: Record<string, unknown>): RuleIssue[] {
  if (!Array.isArray(steps)) return [];
  const issues: RuleIssue[] = [];
  const earlier = new Set<string>();
  const missingWorkItem = triggerWithoutWorkItem(on);
  steps.forEach((raw, i) => {
    const step = record(raw);
    if (!step) return;
    const action = Object.keys(step).find((k) => !STEP_KEYS.has(k) && STEP_TYPES.includes(k));
    if (action) {
      const at = ['do', i, action];
      if (action === 'wait') issues.push(...waitIssues(step[action], at));
      else {
        const params = action === 'wait_until' ? step[action] : (record(step[action]) ?? {});
        checkTemplates(params, at, { earlier, hasCommand: typeof on.command === 'string' }, issues);
        issues.push(...applicability(action, record(params) ?? {}, at, on, missingWorkItem));
        if (action === 'message') issues.push(...checkMessage(record(params) ?? {}, at));
      }
    }
    if (typeof step.name === 'string') {
      if (earlier.has(step.name))
        issues.push(invalid(['do', i, 'name'], `step name '${step.name}' is used twice in this rule`));
      earlier.add(step.name);
    }
  });
  return issues;
}

/** Longest `wait`: a run parked for longer than a year is a mistake in the rule. */
const MAX_WAIT_MS = parseDuration('365d');

function waitIssues(value: unknown, at: RuleIssue['path']): RuleIssue[] {
  if (typeof value !== 'string') return [];
  const issues: RuleIssue[] = [];
  const ms = durationIssue(value, at, issues);
  if (ms !== undefined && ms > MAX_WAIT_MS) issues.push(invalid(at, `wait: ${value} is longer than 365d`));
  return issues;
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

function applicability(
  action: string,
  params: Record<string, unknown>,
  at: RuleIssue['path'],
  on: Record<string, unknown>,
  missingWorkItem: string[],
): RuleIssue[] {
  if (action === 'reply' && on.command === undefined) {
    return [
      {
        ...invalid(at, `'reply' answers a chat command; it applies only to rules with on.command`),
        atKey: true,
      },
    ];
  }
  if (
    WORK_ITEM_ACTIONS.has(action) &&
    missingWorkItem.length > 0 &&
    record(params.target)?.id === undefined
  ) {
    const why = `'${action}' acts on a work item, but ${missingWorkItem.join(', ')} events carry none`;
    return [{ ...invalid(at, `${why}: add target: { project, type, id }`), atKey: true }];
  }
  return [];
}

export interface TemplateContext {
  earlier: ReadonlySet<string>;
  hasCommand: boolean;
}

/** Every string inside an action's params is a template (and every string of a card file). */
export function checkTemplates(
  value: unknown,
  path: RuleIssue['path'],
  context: TemplateContext,
  issues: RuleIssue[],
): void {
  if (typeof value === 'string') {
    issues.push(...templateIssues(value, path, context));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkTemplates(item, [...path, i], context, issues));
  } else if (record(value)) {
    for (const [key, item] of Object.entries(value as object))
      checkTemplates(item, [...path, key], context, issues);
  }
}

function templateIssues(text: string, path: RuleIssue['path'], context: TemplateContext): RuleIssue[] {
  let parts;
  try {
    parts = parseTemplate(text);
  } catch (error) {
    if (!isAutopilotError(error, 'AP_TEMPLATE_INVALID')) throw error;
    const offset = error.details?.offset;
    return [
      { path, offset: typeof offset === 'number' ? offset : 0, code: error.code, message: error.message },
    ];
  }
  const issues: RuleIssue[] = [];
  for (const part of parts) {
    if (part.kind !== 'expr') continue;
    const [root = '', second] = part.path.split('.');
    if (!TEMPLATE_ROOTS.has(root)) {
      issues.push(
        templateError(
          path,
          text.indexOf(part.raw),
          `${part.raw}: unknown root '${root}' (known: ${[...TEMPLATE_ROOTS].join(', ')})`,
        ),
      );
    } else if (root === 'steps' && (second === undefined || !context.earlier.has(second))) {
      const known = context.earlier.size > 0 ? [...context.earlier].join(', ') : 'none';
      issues.push(
        templateError(
          path,
          text.indexOf(part.raw),
          `${part.raw}: no earlier step is named '${second ?? ''}' (earlier named steps: ${known})`,
        ),
      );
    } else if (root === 'command' && !context.hasCommand) {
      issues.push(
        templateError(
          path,
          text.indexOf(part.raw),
          `${part.raw}: 'command' exists only for rules triggered by on.command`,
        ),
      );
    }
  }
  return issues;
}

function templateError(path: RuleIssue['path'], offset: number, message: string): RuleIssue {
  return { path, offset, code: 'AP_TEMPLATE_INVALID', message: `invalid template: ${message}` };
}
