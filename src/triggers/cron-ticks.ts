/**
 * Cron arithmetic for schedules (cron-parser, in the rule's time zone). Pure: times in, times out.
 */
import { CronExpressionParser } from 'cron-parser';
import { AutopilotError } from '../errors.ts';

export interface CronSpec {
  cron: string;
  /** IANA zone. @defaultValue 'UTC' */
  timezone?: string;
}

function parse(spec: CronSpec, at: number) {
  try {
    return CronExpressionParser.parse(spec.cron, { currentDate: new Date(at), tz: spec.timezone ?? 'UTC' });
  } catch (error) {
    throw new AutopilotError('AP_RULE_INVALID', `invalid cron '${spec.cron}': ${(error as Error).message}`, {
      cron: spec.cron,
    });
  }
}

/** The latest tick at or before `at`. */
export function latestTick(spec: CronSpec, at: number): number {
  return parse(spec, at + 1)
    .prev()
    .getTime();
}

/** The first tick after `at`. */
export function nextTick(spec: CronSpec, at: number): number {
  return parse(spec, at).next().getTime();
}

export type TickDecision =
  | { kind: 'baseline'; at: number }
  | { kind: 'none' }
  | { kind: 'fire'; tick: number }
  | { kind: 'missed'; tick: number };

/**
 * What a schedule should do at `now`, given the last tick it handled. Never run before: record
 * `now` as the baseline (ticks before the engine first saw the rule are not owed). Otherwise the
 * latest tick after `lastTick` fires when it is within `catchUpMs` of now, and is recorded as
 * missed when older. Ticks missed while the engine was down are coalesced into that one fire:
 * an every-minute schedule does not fire sixty times after an hour's outage.
 */
export function decideTick(
  spec: CronSpec,
  lastTick: number | undefined,
  now: number,
  catchUpMs: number,
): TickDecision {
  if (lastTick === undefined) return { kind: 'baseline', at: now };
  const tick = latestTick(spec, now);
  if (tick <= lastTick) return { kind: 'none' };
  return now - tick <= catchUpMs ? { kind: 'fire', tick } : { kind: 'missed', tick };
}
