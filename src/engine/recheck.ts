import type { Recheck } from '../executor/ports.ts';
import { readsSubtasks } from '../match/fact-values.ts';
import { buildEventFacts } from '../match/facts.ts';
import { matchEvent } from '../match/match-event.ts';
import { buildRuleIndex } from '../match/rule-index.ts';
import type { EventLog } from '../store/ports.ts';
import type { WorkItemLoader } from './work-item-loader.ts';

/**
 * `recheck: true`: just before the write, the work item is read again and the rule's `when`
 * evaluated on it, so a rule does not act on a state that changed while its run waited.
 */
export function createRecheck(events: EventLog, workItems: WorkItemLoader, now: () => number): Recheck {
  return async ({ run, rule }) => {
    if (rule.when === undefined) return { holds: true };
    const stored = await events.get(run.eventId);
    if (!stored) return { holds: false, trace: { reason: 'event no longer in the event log' } };
    const loaded = await workItems.load(stored.event, { subtasks: readsSubtasks(rule.when) });
    if (!loaded) return { holds: false, trace: { reason: 'work item no longer exists' } };
    const facts = buildEventFacts(stored.event, now(), async () => loaded.item);
    // Loop guards were applied when the event was first matched; here only the conditions count.
    const recheckRule = { ...rule, allow_self: true, max_depth: Number.MAX_SAFE_INTEGER };
    const [result] = await matchEvent(stored.event, buildRuleIndex([recheckRule]), facts);
    return { holds: result?.matched === true, trace: result?.conditions };
  };
}
