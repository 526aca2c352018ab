/**
 * The whole flow for one stored event: rebuild its causation, match it against the running
 * rules (every candidate's condition trace goes to the audit), plan a run per matched rule
 * unless its breaker is open, enqueue the runs, then mark the event processed. Every step is
 * idempotent (runs are unique per (event, rule)), so an event interrupted by a crash is simply
 * processed again.
 */
import { isAutopilotError } from './errors.ts';
import {
  breakerRecord,
  matchRecord,
  planErrorRecord,
  plannedRecord,
  processedRecord,
} from './engine/match-records.ts';
import type { LoadedWorkItem, WorkItemLoader } from './engine/work-item-loader.ts';
import type { Event } from './events/event.ts';
import { attachCausation, rememberCause } from './loop/causation.ts';
import type { OriginLookup } from './loop/origin-lookup.ts';
import type { RunBreaker } from './loop/run-breaker.ts';
import { readsChangedField, withFieldNames } from './match/change-field.ts';
import { readsOrigin, readsSubtasks } from './match/fact-values.ts';
import { buildEventFacts, workItemFromPayload, type LinkedProvider } from './match/facts.ts';
import { matchEvent } from './match/match-event.ts';
import { loadVars } from './match/vars-fact.ts';
import { candidateRules, type RuleIndex } from './match/rule-index.ts';
import { laneOf, planNeedsWorkItem, planRun } from './plan/plan-run.ts';
import type { Run } from './plan/run.ts';
import type { Rule } from './rules/rule.ts';
import type { AuditRecord, AuditStore, EventLog, RunQueue, StateStore } from './store/ports.ts';

export interface PipelineDeps {
  rules: () => { index: RuleIndex; byId: ReadonlyMap<string, Rule> };
  events: EventLog;
  runs: RunQueue;
  audit: AuditStore;
  state: StateStore;
  workItems: Pick<WorkItemLoader, 'load' | 'fieldMeta' | 'related' | 'parent'>;
  breaker: RunBreaker;
  engineUserKey?: string;
  /** Causation depth cap for rules without `max_depth` (config `loop.maxDepth`). */
  maxDepth?: number;
  /** Cross-system cycles allowed (config `loop.maxAutomationCycles`). */
  maxAutomationCycles?: number;
  /** Where a change came from, from the operation records, when the event does not say. */
  lookupOrigin?: OriginLookup;
  now: () => number;
}

/**
 * Sub-tasks are one more read per work item: only worth it when a rule that can match this
 * event looks at them (bench/demo-calls: half the sub-task reads went to rules that never did).
 */
function candidatesReadSubtasks(index: RuleIndex, event: Event): boolean {
  return candidateRules(index, event).some(({ rule }) => readsSubtasks(rule.when));
}

/**
 * A work item the API refuses for good (deleted, no permission), or whose id no call can carry
 * (an event stored before intake checked ids), is treated as unavailable: the conditions that
 * need it are not met. Transient failures throw, and the event is retried.
 */
async function loadOrGiveUp(
  loader: Pick<WorkItemLoader, 'load'>,
  event: Event,
  subtasks: boolean,
): Promise<LoadedWorkItem | undefined> {
  try {
    return await loader.load(event, { subtasks });
  } catch (error) {
    if (isAutopilotError(error, 'AP_API_PERMANENT') || isAutopilotError(error, 'AP_API_CALL_INVALID'))
      return undefined;
    throw error;
  }
}

/**
 * The change with its field's other name (key or alias), read from the type's field
 * definitions (cached by the loader) only when a candidate rule names a changed field.
 */
async function changeWithFieldNames(
  event: Event,
  candidates: readonly Rule[],
  loader: Pick<WorkItemLoader, 'fieldMeta'>,
): Promise<Event['change']> {
  const { change, projectKey, workItem } = event;
  if (typeof change?.field !== 'string' || !projectKey || !workItem || !loader.fieldMeta) return change;
  if (!candidates.some((rule) => readsChangedField(rule.when))) return change;
  try {
    return withFieldNames(change, await loader.fieldMeta(projectKey, workItem.typeKey));
  } catch (error) {
    // A space or type the API refuses for good leaves the key alone; a transient failure retries the event.
    if (isAutopilotError(error, 'AP_API_PERMANENT')) return change;
    throw error;
  }
}

/**
 * The event's related and parent work items, for the conditions that name them. Refused for good
 * (deleted, no permission) reads as none; a transient failure throws and the event is retried.
 */
function linkedOf(
  loader: Pick<WorkItemLoader, 'related' | 'parent'>,
  event: Event,
): LinkedProvider | undefined {
  const { related, parent } = loader;
  if (!related || !parent || !event.projectKey || !event.workItem) return undefined;
  return {
    related: (rules) => orNone(related(event, rules), {}),
    parent: () => orNone(parent(event), undefined),
  };
}

async function orNone<T>(reading: Promise<T>, none: T): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (isAutopilotError(error, 'AP_API_PERMANENT') || isAutopilotError(error, 'AP_API_CALL_INVALID'))
      return none;
    throw error;
  }
}

/** For the dashboard's event list: from the live read when there was one, else the payload. */
async function workItemName(
  event: Event,
  live: Promise<LoadedWorkItem | undefined> | undefined,
): Promise<string | undefined> {
  const loaded = live ? await live.catch(() => undefined) : undefined;
  const name = loaded?.item.name ?? workItemFromPayload(event)?.name;
  return typeof name === 'string' ? name : undefined;
}

export async function processEvent(stored: Event, deps: PipelineDeps): Promise<Run[]> {
  const now = deps.now();
  const { index, byId } = deps.rules();
  const candidates = candidateRules(index, stored).map(({ rule }) => rule);
  const event = await attachCausation(deps.state, stored, now, {
    engineUserKey: deps.engineUserKey,
    lookupOrigin: deps.lookupOrigin,
    needsOrigin: candidates.some((rule) => readsOrigin(rule.when)),
    candidates: candidates.map((rule) => rule.id),
  });
  let live: Promise<LoadedWorkItem | undefined> | undefined;
  const loadLive = () => (live ??= loadOrGiveUp(deps.workItems, event, candidatesReadSubtasks(index, event)));
  const change = await changeWithFieldNames(event, candidates, deps.workItems);
  const facts = buildEventFacts(
    event,
    now,
    async () => (await loadLive())?.item,
    (ruleId, wanted) => loadVars((key) => deps.state.get(key), wanted, { ruleId, event }),
    { change, linked: linkedOf(deps.workItems, event) },
  );
  const results = await matchEvent(event, index, facts, {
    engineUserKey: deps.engineUserKey,
    maxDepth: deps.maxDepth,
    maxAutomationCycles: deps.maxAutomationCycles,
  });
  const records: AuditRecord[] = results.map((result) => matchRecord(event, result, now));
  const runs: Run[] = [];
  for (const result of results.filter((r) => r.matched)) {
    const rule = byId.get(result.ruleId) as Rule;
    // The breaker guards (rule, work item) pairs; events without a work item are not a loop on one.
    const gate = event.workItem ? deps.breaker.check(rule.id, laneOf(event, rule), now) : { allowed: true };
    if (!gate.allowed) {
      records.push(breakerRecord(event, rule.id, laneOf(event, rule), gate, now));
      continue;
    }
    // Read only when the actions' templates need it (or it was read for the conditions anyway);
    // outside the try: a read that fails for now must leave the event for a retry, not drop the run.
    const workItem =
      live || planNeedsWorkItem(rule) ? (await facts.workItem()).value : workItemFromPayload(event);
    const fieldMeta = live ? (await live)?.fieldMeta : undefined;
    try {
      runs.push(planRun(event, rule, { now, workItem, fieldMeta }));
    } catch (error) {
      records.push(planErrorRecord(event, rule.id, error, now));
    }
  }
  records.unshift(processedRecord(event, results, await workItemName(event, live), now));
  records.push(...runs.map((run) => plannedRecord(run, now)));
  if (runs.length > 0 && event.projectKey && event.workItem) {
    await rememberCause(
      deps.state,
      event,
      { projectKey: event.projectKey, workItemId: event.workItem.id },
      now,
      runs.map((run) => run.ruleId),
    );
  }
  await deps.runs.enqueue(runs, now);
  await deps.audit.record(records);
  await deps.events.markProcessed(event.id, now);
  return runs;
}
