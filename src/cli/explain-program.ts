/**
 * `autopilot test` for steps that run at execution time: offline, with what the event (and the
 * given work item) say, it shows each condition's trace and the branch it would take, every
 * iteration of a for_each over a list it can know, when a wait would wake, and the exact calls of
 * nested actions whose inputs are known. What only the run can know (results of earlier steps,
 * sub-tasks, related items, a look-up's answer) is shown as deferred, saying why. Secrets are `***`.
 */
import { buildCalls } from '../actions/catalogue.ts';
import { isAutopilotError } from '../errors.ts';
import { DEFAULT_MAX_ITEMS } from '../executor/program/for-each-step.ts';
import type { Event } from '../events/event.ts';
import { evaluateDirect } from '../match/evaluate-direct.ts';
import { varKey, type VarScope, type VarsFact } from '../match/vars-fact.ts';
import type { VarChange } from '../store/ports.ts';
import { changedValue, checkVarUpdate, incrementBy } from '../store/var-change.ts';
import { DEFAULT_APPROVAL_TIMEOUT } from '../executor/program/approve-step.ts';
import { createOperators } from '../match/operators.ts';
import type { NormalizedWorkItem } from '../match/work-item.ts';
import { idempotencyKey } from '../plan/idempotency.ts';
import type { ApiCall, PlannedAction, Run } from '../plan/run.ts';
import { parseDuration } from '../rules/duration.ts';
import type { ActionSpec, ConditionNode } from '../rules/rule.ts';
import { renderParams, renderTemplate } from '../templates/render.ts';
import { isOfflineUserKey } from './test-input.ts';
import type { ReportCall, ReportStep, StepExplanation } from './test-report.ts';

export interface OfflineFacts {
  event: Event;
  workItem: Partial<NormalizedWorkItem> | undefined;
  now: number;
  run: Run;
  /**
   * The variables as the dry run assumes them (`--vars`; none set without it), one copy per run:
   * a set / increment step changes it for the steps after it.
   */
  vars: VarsFact;
  /**
   * What the dry run knows of the run's earlier top-level steps, by index and name (a set's or
   * an increment's `value`), one object per run: later steps' templates read it as `steps.*`.
   */
  steps: Record<string, unknown>;
  /** Turns a call into what the report shows (people markers, the write's key). */
  reportCall: (call: ApiCall, key: string) => ReportCall;
}

/** What secrets look like in a dry run: never their value. */
const SECRETS = new Proxy(
  {},
  {
    get: (_target, name) => (typeof name === 'string' ? '***' : undefined),
    // Look-ups follow own properties only: every name is one, whose value is never known here.
    getOwnPropertyDescriptor: (_target, name) =>
      typeof name === 'string' ? { value: '***', enumerable: true, configurable: true } : undefined,
  },
);

/** The explanation of a top-level step rendered at execution. */
export function explainStep(action: PlannedAction, facts: OfflineFacts): StepExplanation {
  return explain(action, String(action.index), facts, { steps: facts.steps });
}

function explain(
  step: ActionSpec | PlannedAction,
  path: string,
  facts: OfflineFacts,
  scope: Record<string, unknown>,
): StepExplanation {
  const out: StepExplanation = {};
  const context = table(facts, scope);
  if (step.when !== undefined) {
    const branch = decide(step.when, context);
    out.branch = branch;
    if (branch.taken === 'else') {
      if (step.else) out.steps = explainBlock(step.else, `${path}/else`, facts, scope);
      return out;
    }
    if (branch.taken === 'unknown') return out;
  }
  switch (step.type) {
    case 'wait':
      out.parksUntil = facts.now + safeDuration(step.params.duration);
      return out;
    case 'wait_until':
      return rendered(out, () => ({ until: renderTemplate(String(step.params.at), context) }));
    case 'choose':
      return explainChoose(step, path, facts, scope, out);
    case 'for_each':
      return explainLoop(step, path, facts, scope, out);
    case 'lookup':
      return rendered(out, () => renderParams(step.params, context));
    case 'approve':
      out.parksUntil = facts.now + safeDuration(step.params.timeout ?? DEFAULT_APPROVAL_TIMEOUT);
      return rendered(out, () => renderParams(step.params, context));
    case 'set':
    case 'increment':
      return explainVar(step, path, facts, context, out);
    default:
      return explainAction(step, path, facts, context, out);
  }
}

function explainBlock(
  steps: readonly ActionSpec[],
  prefix: string,
  facts: OfflineFacts,
  scope: Record<string, unknown>,
): ReportStep[] {
  return steps.map((step, i) => {
    const path = `${prefix}/${i}`;
    const { run } = facts;
    const head: ReportStep = {
      path,
      type: step.type,
      idempotencyKey: idempotencyKey(run.eventId, run.ruleId, run.ruleVersion, path),
    };
    if (step.name !== undefined) head.name = step.name;
    return { ...head, ...explain(step, path, facts, scope) };
  });
}

function explainChoose(
  step: ActionSpec | PlannedAction,
  path: string,
  facts: OfflineFacts,
  scope: Record<string, unknown>,
  out: StepExplanation,
): StepExplanation {
  const context = table(facts, scope);
  const conditions = [];
  for (const [i, choice] of (step.choices ?? []).entries()) {
    const branch = decide(choice.when, context);
    conditions.push(...branch.conditions);
    if (branch.taken === 'unknown') {
      out.branch = { taken: 'unknown', conditions, reason: branch.reason };
      return out;
    }
    if (branch.taken === 'then') {
      out.branch = { taken: i, conditions };
      out.steps = explainBlock(choice.do, `${path}/c${i}`, facts, scope);
      return out;
    }
  }
  out.branch = { taken: 'else', conditions };
  if (step.else) out.steps = explainBlock(step.else, `${path}/else`, facts, scope);
  return out;
}

function explainLoop(
  step: ActionSpec | PlannedAction,
  path: string,
  facts: OfflineFacts,
  scope: Record<string, unknown>,
  out: StepExplanation,
): StepExplanation {
  const { params } = step;
  if (params.items === undefined) {
    out.deferred = `reads the work item's ${params.subtasks !== undefined ? 'sub-tasks' : 'related work items'} when it runs`;
    return out;
  }
  let items: unknown;
  try {
    items = renderTemplate(String(params.items), table(facts, scope));
  } catch (error) {
    out.deferred = deferral(error);
    return out;
  }
  if (!Array.isArray(items)) {
    out.error = { code: 'AP_RULE_INVALID', message: `for_each items gave ${typeof items}, not a list` };
    return out;
  }
  const max = typeof params.max_items === 'number' ? params.max_items : DEFAULT_MAX_ITEMS;
  if (items.length > max) {
    out.error = {
      code: 'AP_STEP_LIMIT',
      message: `refused before any write: ${items.length} items, max_items is ${max}`,
    };
    return out;
  }
  out.iterations = items.map((item, index) => ({
    index,
    item,
    steps: explainBlock(step.do ?? [], `${path}/i${index}`, facts, { ...scope, item, index }),
  }));
  return out;
}

function explainAction(
  step: ActionSpec | PlannedAction,
  path: string,
  facts: OfflineFacts,
  context: Record<string, unknown>,
  out: StepExplanation,
): StepExplanation {
  let params: Record<string, unknown>;
  try {
    params = renderParams(step.params, context);
  } catch (error) {
    out.deferred = deferral(error);
    return out;
  }
  out.params = params;
  const key = idempotencyKey(facts.run.eventId, facts.run.ruleId, facts.run.ruleVersion, path);
  const built = buildCalls(
    { type: step.type, params },
    { event: facts.event, workItem: facts.workItem, idempotencyKey: key },
  );
  if ('calls' in built) out.calls = built.calls.map((call) => facts.reportCall(call, key));
  else out.deferred = built.deferred;
  return out;
}

/**
 * The value a set / increment would leave, from the variables assumed, kept in the run's offline
 * variables for the steps after it; nothing is written.
 */
function explainVar(
  step: ActionSpec | PlannedAction,
  path: string,
  facts: OfflineFacts,
  context: Record<string, unknown>,
  out: StepExplanation,
): StepExplanation {
  try {
    const params = renderParams(step.params, context);
    out.params = params;
    const scope = (params.scope ?? 'work_item') as VarScope;
    const name = String(params.var);
    const key = varKey(scope, { ruleId: facts.run.ruleId, event: facts.event }, name);
    const before = facts.vars[scope][name];
    // A `by` that is no number reaches checkVarUpdate as NaN, refused there as the run would be.
    const by = incrementBy(params.by) ?? Number.NaN;
    const change: VarChange =
      step.type === 'set' ? { kind: 'set', value: params.value } : { kind: 'increment', by };
    checkVarUpdate(key, change, 'dry-run');
    out.variable = {
      var: `${scope}.${name}`,
      key,
      ...(before === undefined ? {} : { before }),
      value: changedValue(key, before, change),
    };
    // The steps after it see the value it would leave, as they would in the run.
    facts.vars[scope][name] = out.variable.value;
    if (!path.includes('/')) {
      const result = { outcome: 'done', value: out.variable.value };
      facts.steps[path] = result;
      if (step.name !== undefined) facts.steps[step.name] = result;
    }
  } catch (error) {
    if (isAutopilotError(error, 'AP_VAR_NOT_NUMBER') || isAutopilotError(error, 'AP_RULE_INVALID'))
      out.error = { code: error.code, message: error.message };
    else out.deferred = deferral(error);
  }
  return out;
}

function rendered(out: StepExplanation, render: () => Record<string, unknown>): StepExplanation {
  try {
    out.params = render();
  } catch (error) {
    out.deferred = deferral(error);
  }
  return out;
}

/** The offline fact table: the match-time facts, `***` secrets, and the loop's item. */
function table(facts: OfflineFacts, scope: Record<string, unknown>): Record<string, unknown> {
  const { event, run } = facts;
  return {
    event,
    work_item: facts.workItem,
    change: event.change,
    command: event.command,
    now: facts.now,
    rule: { id: run.ruleId, version: run.ruleVersion },
    vars: facts.vars,
    secrets: SECRETS,
    ...scope,
  };
}

function decide(
  when: ConditionNode,
  context: Record<string, unknown>,
): NonNullable<StepExplanation['branch']> {
  const evaluation = evaluateDirect(
    when,
    context,
    createOperators({ change: (context.event as Event).change, now: context.now as number }),
    { workItemLive: false },
  );
  const reads = evaluation.conditions.filter((c) => c.fact === 'steps');
  if (reads.length > 0) {
    return {
      taken: 'unknown',
      conditions: evaluation.conditions,
      reason: 'reads steps, known when the step runs',
    };
  }
  if (evaluation.error) {
    return { taken: 'unknown', conditions: evaluation.conditions, reason: evaluation.error.message };
  }
  return { taken: evaluation.matched ? 'then' : 'else', conditions: evaluation.conditions };
}

/** Why a template cannot be rendered offline. */
function deferral(error: unknown): string {
  if (isAutopilotError(error, 'AP_TEMPLATE_MISSING_PATH')) {
    const path = String(error.details?.path ?? '');
    const root = path.split('.')[0];
    if (root === 'work_item') return `reads {{${path}}}: the live work item, when the step runs`;
    return `reads {{${path}}}, known when the step runs`;
  }
  // `name` / `mention` of a mentioned person: the key is only known once the run looks it up.
  if (isAutopilotError(error, 'AP_TEMPLATE_INVALID') && isOfflineUserKey(error.details?.value))
    return `reads ${error.details.value}, looked up (user/query) when the run is processed`;
  if (isAutopilotError(error)) return `${error.code}: ${error.message}`;
  throw error;
}

function safeDuration(value: unknown): number {
  try {
    return parseDuration(String(value));
  } catch {
    return 0;
  }
}
