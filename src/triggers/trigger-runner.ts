/**
 * The one component that runs polls and schedules, only while this process leads: the leader
 * elector's `change` starts it with the term's fencing token and stops it on loss. While
 * running it checks every `tickMs` which polls and schedules are due (from their stored state,
 * so a restart or a new leader carries on where the last one stopped) and runs them one at a
 * time. `runDue()` does one such check now; tests and the demo call it with injected time.
 */
import { createLeaderLoop, type LeaderTimers } from '../leader/leader-loop.ts';
import { parseDuration } from '../rules/duration.ts';
import type { PollTrigger, Rule } from '../rules/rule.ts';
import { lastPolledAt, pollOnce, type PollDeps, type PollRound } from './poller.ts';
import { checkSchedule, type ScheduleDeps, type ScheduleRound } from './schedule.ts';

export interface TriggerRunnerOptions extends PollDeps, ScheduleDeps {
  /** Enabled poll and schedule rules of the set running now (hot reload). */
  rules: () => { polls: readonly Rule[]; schedules: readonly Rule[] };
  /** How often due triggers are looked for. @defaultValue 1000 */
  tickMs?: number;
  /** A poll round that failed is tried again after this, or its interval if shorter. @defaultValue 30000 */
  retryMs?: number;
  /** Failures of a round: the trigger is tried again later. */
  onError: (error: unknown, ruleId: string) => void;
  timers?: LeaderTimers;
}

export interface TriggerReport {
  polls: PollRound[];
  schedules: ScheduleRound[];
}

export interface TriggerRunner {
  /** Leadership gained: run triggers, writing state with this fencing token. */
  start(fencingToken: number): void;
  /** Leadership lost or shutdown: stop after the check in progress. */
  stop(): Promise<void>;
  leading(): boolean;
  /** One check now; an empty report when not leading. Checks never overlap. */
  runDue(): Promise<TriggerReport>;
}

export function createTriggerRunner(options: TriggerRunnerOptions): TriggerRunner {
  const tickMs = options.tickMs ?? 1000;
  const retryMs = options.retryMs ?? 30_000;
  const failedAt = new Map<string, number>();
  let token: () => number | undefined = () => undefined;
  const leader = createLeaderLoop({
    everyMs: tickMs,
    round: (current) => {
      token = current;
      return checkAll();
    },
    onError: (error) => options.onError(error, '*'),
    timers: options.timers,
  });

  async function checkAll(): Promise<TriggerReport> {
    const report: TriggerReport = { polls: [], schedules: [] };
    const { polls, schedules } = options.rules();
    for (const rule of schedules) {
      const current = token();
      if (current === undefined) break;
      const round = await guarded(rule.id, () => checkSchedule(rule, options, current));
      if (round) report.schedules.push(round);
    }
    for (const rule of polls) {
      const current = token();
      if (current === undefined) break;
      const round = await guarded(rule.id, async () =>
        (await pollDue(rule)) ? pollOnce(rule, options, current) : undefined,
      );
      if (round) report.polls.push(round);
    }
    return report;
  }

  async function pollDue(rule: Rule): Promise<boolean> {
    const every = parseDuration((rule.on as PollTrigger).poll.every);
    const now = options.now();
    const failed = failedAt.get(rule.id);
    if (failed !== undefined && now < failed + Math.min(every, retryMs)) return false;
    const last = await lastPolledAt(options.state, rule.id);
    return last === undefined || now >= last + every;
  }

  async function guarded<T>(ruleId: string, round: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await round();
      // A poll that was not due did not run: its failure backoff stays.
      if (result !== undefined) failedAt.delete(ruleId);
      return result;
    } catch (error) {
      failedAt.set(ruleId, options.now());
      options.onError(error, ruleId);
      return undefined;
    }
  }

  return {
    start: (fencingToken) => leader.start(fencingToken),
    stop: () => leader.stop(),
    leading: () => leader.leading(),
    runDue: () => leader.runNow(),
  };
}
/** The poll and schedule rules of a rule index. */
export function triggerRulesOf(index: {
  byPoll: ReadonlyMap<string, { rule: Rule }>;
  bySchedule: ReadonlyMap<string, { rule: Rule }>;
}): { polls: Rule[]; schedules: Rule[] } {
  return {
    polls: [...index.byPoll.values()].map((e) => e.rule),
    schedules: [...index.bySchedule.values()].map((e) => e.rule),
  };
}
