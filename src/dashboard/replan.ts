/**
 * "Retry with the current rule version": the dead run planned again from its stored event with
 * the rule as it runs now. The conditions are not evaluated again (the operator asked for the
 * run); actions marked `recheck` still recheck before they write.
 */
import { AutopilotError } from '../errors.ts';
import type { WorkItemLoader } from '../engine/work-item-loader.ts';
import { workItemFromPayload } from '../match/facts.ts';
import { planNeedsWorkItem, planRun } from '../plan/plan-run.ts';
import type { Run } from '../plan/run.ts';
import type { Rule } from '../rules/rule.ts';
import type { EventLog, RunRecord } from '../store/ports.ts';

export interface ReplanDeps {
  events: EventLog;
  rule: (id: string) => Rule | undefined;
  workItems: WorkItemLoader;
  now: () => number;
}

export function createReplan(deps: ReplanDeps): (record: RunRecord) => Promise<Run> {
  return async (record) => {
    const { run } = record;
    const stored = await deps.events.get(run.eventId);
    if (!stored) {
      throw new AutopilotError(
        'AP_NOT_FOUND',
        `event '${run.eventId}' is no longer in the event log (retention): retry with the run's own plan`,
      );
    }
    const rule = deps.rule(run.ruleId);
    if (!rule) throw new AutopilotError('AP_NOT_FOUND', `rule '${run.ruleId}' is not in the running set`);
    const loaded = planNeedsWorkItem(rule) ? await deps.workItems.load(stored.event) : undefined;
    const plan = planRun(stored.event, rule, {
      now: deps.now(),
      workItem: loaded?.item ?? workItemFromPayload(stored.event),
      fieldMeta: loaded?.fieldMeta,
    });
    if (plan.lane !== run.lane) {
      throw new AutopilotError(
        'AP_BAD_REQUEST',
        `the current version of '${rule.id}' acts on ${plan.lane}, the dead run on ${run.lane}: retry with the run's own plan`,
      );
    }
    return plan;
  };
}
