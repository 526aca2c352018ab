/**
 * One check of a schedule rule: decide the tick (cron-ticks.ts), store one `schedule.fired`
 * event per work item the search finds (or one without a search), then record the tick as
 * handled. Event ids hash (rule, tick, work item), so a check interrupted between storing and
 * recording fires nothing twice when it runs again after a restart.
 */
import { eventIds } from '../events/event-ids.ts';
import type { Event } from '../events/event.ts';
import type { Rule, ScheduleTrigger } from '../rules/rule.ts';
import type { EventLog, StateStore } from '../store/ports.ts';
import { decideTick, type TickDecision } from './cron-ticks.ts';
import { searchItems, type FoundItem, type ReadData } from './search-items.ts';
import { idHash, readFenced, writeFenced } from './trigger-state.ts';

export interface ScheduleDeps {
  state: StateStore;
  eventLog: EventLog;
  read: ReadData;
  now: () => number;
  /** How late a tick may still fire after a restart. */
  catchUpMs: number;
  onStored: (event: Event, inserted: boolean) => void;
}

interface ScheduleState {
  /** The last tick handled (fired, missed, or the baseline). */
  lastTick: number;
  fencingToken: number;
}

export interface ScheduleRound {
  ruleId: string;
  decision: TickDecision;
  stored: Event[];
}

export function scheduleKey(ruleId: string): string {
  return `schedule:${ruleId}`;
}

export async function checkSchedule(
  rule: Rule,
  deps: ScheduleDeps,
  fencingToken: number,
): Promise<ScheduleRound> {
  const { schedule } = rule.on as ScheduleTrigger;
  const key = scheduleKey(rule.id);
  const state = await readFenced<ScheduleState>(deps.state, key, fencingToken);
  const decision = decideTick(schedule, state?.lastTick, deps.now(), deps.catchUpMs);
  const round: ScheduleRound = { ruleId: rule.id, decision, stored: [] };
  if (decision.kind === 'none') return round;
  if (decision.kind === 'fire') {
    for (const event of await fire(rule, decision.tick, deps)) {
      const { inserted } = await deps.eventLog.append(event, deps.now());
      deps.onStored(event, inserted);
      if (inserted) round.stored.push(event);
    }
  }
  const lastTick = decision.kind === 'baseline' ? decision.at : decision.tick;
  await writeFenced(deps.state, key, state, { lastTick, fencingToken });
  return round;
}

async function fire(rule: Rule, tick: number, deps: ScheduleDeps): Promise<Event[]> {
  const { search } = (rule.on as ScheduleTrigger).schedule;
  const base = {
    source: 'schedule' as const,
    type: 'schedule.fired',
    occurredAt: tick,
  };
  if (search === undefined) {
    return [
      { ...base, id: eventIds.schedule(idHash(rule.id, String(tick))), payload: { rule_id: rule.id, tick } },
    ];
  }
  const items = await searchItems(deps.read, search);
  return items.map((item: FoundItem) => {
    const projectKey = item.project_key ?? search.project;
    return {
      ...base,
      id: eventIds.schedule(idHash(rule.id, String(tick), projectKey, item.id)),
      projectKey,
      workItem: { id: item.id, typeKey: item.work_item_type_key ?? search.work_item_type },
      payload: { rule_id: rule.id, tick, work_item: item },
    };
  });
}
