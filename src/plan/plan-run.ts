/**
 * Planning (pure): a matched rule and its event become a Run: ordered actions with rendered
 * params, a deterministic idempotency key per action, and the exact calls where they are
 * known now. Params reading `steps.*` stay as written until execution.
 */
import { buildCalls } from '../actions/catalogue.ts';
import { AutopilotError } from '../errors.ts';
import type { Event, EventSource } from '../events/event.ts';
import type { FieldMeta, NormalizedWorkItem } from '../match/work-item.ts';
import type { ActionSpec, Rule } from '../rules/rule.ts';
import { referencesRoot, renderParams, type TemplateContext } from '../templates/render.ts';
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
  const actions = rule.do.map((spec, index) => {
    try {
      return planAction(spec, index, event, rule, templates, actionCtx);
    } catch (error) {
      throw withActionDetails(error, rule, index);
    }
  });
  return {
    id: runId(event.id, rule.id),
    eventId: event.id,
    ruleId: rule.id,
    ruleVersion: rule.version,
    mode: rule.mode,
    lane: laneOf(event, rule),
    priority: PRIORITY[event.source] ?? 'background',
    actions,
    createdAt: context.now,
  };
}

/** Whether the rule's action params read `work_item`, so it must be loaded before planning. */
export function planNeedsWorkItem(rule: Rule): boolean {
  return rule.do.some((spec) => referencesRoot(spec.params, ['work_item']));
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

function planAction(
  spec: ActionSpec,
  index: number,
  event: Event,
  rule: Rule,
  templates: TemplateContext,
  actionCtx: Parameters<typeof buildCalls>[1],
): PlannedAction {
  const params = renderParams(spec.params, templates, { deferRoots: ['steps'] });
  const action: PlannedAction = {
    index,
    type: spec.type,
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
