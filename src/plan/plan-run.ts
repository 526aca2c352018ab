/**
 * Planning (pure): a matched rule and its event become a Run: ordered steps, a deterministic
 * idempotency key per top-level step, and for the actions that only read the event's facts their
 * rendered params and exact calls. Every other step (control steps, steps reading execution-time
 * roots, steps after a wait) keeps the rule's template source, rendered once when it runs.
 * A click's run is one per card and button, and ends by updating the card (card-follow-up.ts).
 */
import { buildCalls } from '../actions/catalogue.ts';
import { AutopilotError } from '../errors.ts';
import type { Event, EventSource } from '../events/event.ts';
import type { FieldMeta, NormalizedWorkItem } from '../match/work-item.ts';
import { isControlStep } from '../rules/action-names.ts';
import { EXECUTION_ROOTS } from '../rules/facts.ts';
import type { ActionSpec, Rule } from '../rules/rule.ts';
import { referencesRoot, renderParams, type TemplateContext } from '../templates/render.ts';
import { cardUpdateStep, runSubject } from './card-follow-up.ts';
import { idempotencyKey, runId } from './idempotency.ts';
import type { PlannedAction, Run, RunPriority } from './run.ts';

export interface PlanContext {
  /** Epoch ms: the `now` fact and the run's createdAt. */
  now: number;
  /** The work item fact, when loaded (needed when templates read `work_item`, see planNeedsWorkItem). */
  workItem?: Partial<NormalizedWorkItem>;
  /** Field keys, aliases and types, for field value conversion. */
  fieldMeta?: readonly FieldMeta[];
}

const PRIORITY: Readonly<Record<EventSource, RunPriority>> = {
  chat: 'chat',
  // Someone asked for this run and is waiting for it, as with a chat command.
  manual: 'chat',
  feishu: 'webhook',
  // A change recovered from the operation records stands for the webhook that never came.
  op_record: 'webhook',
  webhook: 'webhook',
  poll: 'background',
  schedule: 'background',
  replay: 'background',
};

export function planRun(event: Event, rule: Rule, context: PlanContext): Run {
  const templates = templateContext(event, rule, context);
  const actionCtx = { event, workItem: context.workItem, fieldMeta: context.fieldMeta };
  const atExecution = executionTimeSteps(rule);
  const actions = rule.do.map((spec, index) => {
    if (atExecution[index]) return executionStep(spec, index, event, rule);
    try {
      return planAction(spec, index, event, rule, templates, actionCtx);
    } catch (error) {
      throw withActionDetails(error, rule, index);
    }
  });
  const closing = cardUpdateStep(event, rule, actions.length, context.now);
  if (closing) actions.push(closing);
  const run: Run = {
    id: runId(runSubject(event), rule.id),
    eventId: event.id,
    ruleId: rule.id,
    ruleVersion: rule.version,
    mode: rule.mode,
    lane: laneOf(event, rule),
    priority: PRIORITY[event.source] ?? 'background',
    actions,
    createdAt: context.now,
  };
  if (atExecution.some(Boolean)) run.event = event;
  return run;
}

/** Whether the params rendered at planning read `work_item`, so it must be loaded first. */
export function planNeedsWorkItem(rule: Rule): boolean {
  const atExecution = executionTimeSteps(rule);
  return rule.do.some((spec, index) => !atExecution[index] && referencesRoot(spec.params, ['work_item']));
}

/**
 * Which top-level steps are rendered at execution: control steps, steps with a condition, steps
 * reading execution-time roots, and every step after a wait or an approval (its facts are the
 * ones after it).
 */
export function executionTimeSteps(rule: Rule): boolean[] {
  let afterWait = false;
  return rule.do.map((spec) => {
    const atExecution =
      afterWait ||
      isControlStep(spec.type) ||
      spec.when !== undefined ||
      referencesRoot(spec.params, EXECUTION_ROOTS);
    if (spec.type === 'wait' || spec.type === 'wait_until' || spec.type === 'approve') afterWait = true;
    return atExecution;
  });
}

/** Runs for one work item execute one at a time; events without one queue per rule. */
export function laneOf(event: Event, rule: Rule): string {
  return event.workItem !== undefined ? `${event.projectKey ?? ''}:${event.workItem.id}` : `rule:${rule.id}`;
}

function templateContext(event: Event, rule: Rule, context: PlanContext): TemplateContext {
  return {
    event,
    work_item: context.workItem,
    change: event.change,
    command: event.command,
    now: context.now,
    origin: event.origin,
    rule: { id: rule.id, description: rule.description, version: rule.version },
  };
}

/** A step kept as the rule wrote it, to be rendered once when it runs. */
function executionStep(spec: ActionSpec, index: number, event: Event, rule: Rule): PlannedAction {
  const step: PlannedAction = {
    index,
    type: spec.type,
    render: 'execution',
    params: spec.params,
    recheck: spec.recheck === true,
    idempotencyKey: idempotencyKey(event.id, rule.id, rule.version, index),
  };
  if (spec.name !== undefined) step.name = spec.name;
  if (spec.recheckWhen !== undefined) step.recheckWhen = spec.recheckWhen;
  if (spec.when !== undefined) step.when = spec.when;
  if (spec.else !== undefined) step.else = spec.else;
  if (spec.do !== undefined) step.do = spec.do;
  if (spec.choices !== undefined) step.choices = spec.choices;
  return step;
}

function planAction(
  spec: ActionSpec,
  index: number,
  event: Event,
  rule: Rule,
  templates: TemplateContext,
  actionCtx: Parameters<typeof buildCalls>[1],
): PlannedAction {
  const params = renderParams(spec.params, templates);
  const action: PlannedAction = {
    index,
    type: spec.type,
    render: 'plan',
    params,
    recheck: spec.recheck === true,
    idempotencyKey: idempotencyKey(event.id, rule.id, rule.version, index),
  };
  if (spec.name !== undefined) action.name = spec.name;
  const built = buildCalls({ type: spec.type, params }, actionCtx);
  if ('calls' in built) action.calls = built.calls;
  return action;
}

function withActionDetails(error: unknown, rule: Rule, actionIndex: number): unknown {
  if (!(error instanceof AutopilotError)) return error;
  const details = { ...error.details, ruleId: rule.id, actionIndex, file: rule.source.file };
  return new AutopilotError(error.code, `${rule.id} do[${actionIndex}]: ${error.message}`, details, {
    cause: error,
  });
}
