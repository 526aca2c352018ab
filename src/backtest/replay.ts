/**
 * Replays a history through match and plan, never writing: per event, the rules' public
 * matchEvent with the work item as it was then and `now` = the event's time, and planRun for
 * each rule that matched. The result is data (runs with their rendered params, conditions that
 * needed data the history lacks, plan errors), sorted so two replays of one history are equal.
 */
import { isAutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';
import type { EventFacts, WorkItemFact } from '../match/facts.ts';
import { matchEvent } from '../match/match-event.ts';
import { buildRuleIndex } from '../match/rule-index.ts';
import { planRun } from '../plan/plan-run.ts';
import type { PlannedAction } from '../plan/run.ts';
import type { Rule } from '../rules/rule.ts';
import { writesOf } from '../audit/planned-writes.ts';
import { maskSecrets } from '../audit/request-summary.ts';
import { inHistoryOrder } from './items-at-events.ts';
import { emptyVars } from '../match/vars-fact.ts';

export interface ReplayedAction {
  index: number;
  type: string;
  /** Rendered params, secrets masked. */
  params: Record<string, unknown>;
  /** Open API writes it makes (a deferred action counts as one). */
  writes: number;
}

export interface ReplayedRun {
  ruleId: string;
  eventId: string;
  eventType: string;
  occurredAt: number;
  /** `project:id`, or '' for an event without a work item. */
  workItem: string;
  mode: 'live' | 'shadow';
  actions: ReplayedAction[];
  writes: number;
}

export interface Undecided {
  ruleId: string;
  eventId: string;
  /** The conditions' paths the history could not give. */
  paths: string[];
}

export interface ReplayError {
  ruleId: string;
  eventId: string;
  code: string;
  message: string;
}

export interface Replay {
  events: number;
  runs: ReplayedRun[];
  undecided: Undecided[];
  errors: ReplayError[];
}

export interface ReplayOptions {
  /** The work item as it was at each event, by event id (items-at-events.ts). */
  items: ReadonlyMap<string, WorkItemFact>;
  /** The engine's own user: its events are skipped as the engine would. */
  engineUserKey?: string;
}

export async function replay(
  history: readonly Event[],
  rules: readonly Rule[],
  options: ReplayOptions,
): Promise<Replay> {
  const index = buildRuleIndex(rules);
  const byId = new Map(rules.map((r) => [r.id, r]));
  const out: Replay = { events: history.length, runs: [], undecided: [], errors: [] };
  for (const event of inHistoryOrder(history)) {
    const item = options.items.get(event.id) ?? { value: undefined, live: false };
    const facts = factsAt(event, item);
    const results = await matchEvent(event, index, facts, { engineUserKey: options.engineUserKey });
    for (const result of results) {
      if (result.error?.code === 'AP_CONDITION_NEEDS_LIVE_DATA') {
        const paths = (result.error.details?.paths as string[] | undefined) ?? [];
        out.undecided.push({ ruleId: result.ruleId, eventId: event.id, paths });
      } else if (result.error) {
        out.errors.push({
          ruleId: result.ruleId,
          eventId: event.id,
          code: result.error.code,
          message: result.error.message,
        });
      }
      const rule = byId.get(result.ruleId);
      if (!result.matched || !rule) continue;
      try {
        const run = planRun(event, rule, { now: event.occurredAt, workItem: item.value });
        out.runs.push({
          ruleId: rule.id,
          eventId: event.id,
          eventType: event.type,
          occurredAt: event.occurredAt,
          workItem: event.workItem ? `${event.projectKey ?? ''}:${event.workItem.id}` : '',
          mode: run.mode,
          actions: run.actions.map(replayedAction),
          writes: run.actions.reduce((n, a) => n + writesOf(a), 0),
        });
      } catch (error) {
        if (!isAutopilotError(error)) throw error;
        out.errors.push({ ruleId: rule.id, eventId: event.id, code: error.code, message: error.message });
      }
    }
  }
  return out;
}

function factsAt(event: Event, item: WorkItemFact): EventFacts {
  const fact = Promise.resolve(item);
  return {
    event,
    change: event.change,
    origin: event.origin,
    command: event.command,
    now: event.occurredAt,
    workItem: () => fact,
    // Variables are not replayed: they hold what the live engine counted, not the history's.
    vars: async () => emptyVars(),
    // Nor linked items: their history is not kept, so conditions on them need live data.
    related: async () => undefined,
    parent: async () => undefined,
    linkedKnown: false,
  };
}

function replayedAction(action: PlannedAction): ReplayedAction {
  return {
    index: action.index,
    type: action.type,
    params: maskSecrets(action.params) as Record<string, unknown>,
    writes: writesOf(action),
  };
}
