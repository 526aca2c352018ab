import { CronExpressionParser } from 'cron-parser';
import { APPROVAL_ACTION } from '../approvals/approval-record.ts';
import { compileCommandGrammar } from './command-grammar.ts';
import type { RuleIssue } from './diagnostic.ts';
import { isTimeZone } from './time-zone.ts';
import { durationIssue, invalid, messageOf, record } from './check-support.ts';

export const MIN_POLL_INTERVAL_MS = 10_000;
const CRON_MACROS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
  '@weekdays',
  '@weekends',
]);

/** Cron, time zone, poll interval and command grammar: what the schema cannot check. */
export function checkTrigger(on: Record<string, unknown>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const poll = record(on.poll);
  if (typeof poll?.every === 'string') {
    const ms = durationIssue(poll.every, ['on', 'poll', 'every'], issues);
    if (ms !== undefined && ms < MIN_POLL_INTERVAL_MS) {
      issues.push(
        invalid(['on', 'poll', 'every'], `poll interval '${poll.every}' is shorter than the minimum 10s`),
      );
    }
  }
  const schedule = record(on.schedule);
  if (schedule) issues.push(...checkSchedule(schedule));
  // Approval clicks decide their approval and run no rule: a rule on that action would never fire.
  if (on.card_action === APPROVAL_ACTION) {
    issues.push(
      invalid(
        ['on', 'card_action'],
        `'${APPROVAL_ACTION}' is the engine's own action (approval cards' buttons): name another`,
      ),
    );
  }
  if (typeof on.command === 'string') {
    try {
      compileCommandGrammar(on.command);
    } catch (error) {
      issues.push(invalid(['on', 'command'], messageOf(error)));
    }
  }
  return issues;
}

function checkSchedule(schedule: Record<string, unknown>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const timezone = schedule.timezone;
  if (typeof timezone === 'string' && !isTimeZone(timezone)) {
    issues.push(
      invalid(
        ['on', 'schedule', 'timezone'],
        `unknown time zone '${timezone}' (use an IANA name such as Asia/Shanghai)`,
      ),
    );
  }
  const cron = schedule.cron;
  if (typeof cron !== 'string') return issues;
  const fields = cron.trim().split(/\s+/);
  const macro = fields.length === 1 && CRON_MACROS.has(fields[0] ?? '');
  if (!macro && fields.length !== 5 && fields.length !== 6) {
    issues.push(
      invalid(
        ['on', 'schedule', 'cron'],
        `invalid cron '${cron}': expected 5 fields (minute hour day month weekday) or 6 with seconds, got ${fields.length}`,
      ),
    );
    return issues;
  }
  try {
    CronExpressionParser.parse(cron, {
      tz: typeof timezone === 'string' && isTimeZone(timezone) ? timezone : 'UTC',
    });
  } catch (error) {
    issues.push(invalid(['on', 'schedule', 'cron'], `invalid cron '${cron}': ${(error as Error).message}`));
  }
  return issues;
}
