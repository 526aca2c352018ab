import { describe, expect, it } from 'vitest';
import { decideTick, latestTick, nextTick } from '../../src/triggers/cron-ticks.ts';

const weekdays9 = { cron: '0 9 * * 1-5', timezone: 'Asia/Shanghai' };
/** Monday 2026-11-23 09:00 in Shanghai. */
const MON_0900 = Date.UTC(2026, 10, 23, 1, 0, 0);
const HOUR = 3_600_000;

describe('decideTick', () => {
  it('records a baseline the first time, owing nothing from before', () => {
    expect(decideTick(weekdays9, undefined, MON_0900 + 1000, HOUR)).toEqual({
      kind: 'baseline',
      at: MON_0900 + 1000,
    });
  });

  it('fires the tick once it has passed, and not again', () => {
    expect(decideTick(weekdays9, MON_0900 - 60_000, MON_0900, HOUR)).toEqual({
      kind: 'fire',
      tick: MON_0900,
    });
    expect(decideTick(weekdays9, MON_0900, MON_0900 + 30 * 60_000, HOUR)).toEqual({ kind: 'none' });
  });

  it('fires a late tick inside the catch-up window, reports it missed outside', () => {
    expect(decideTick(weekdays9, MON_0900 - 1, MON_0900 + HOUR, HOUR)).toEqual({
      kind: 'fire',
      tick: MON_0900,
    });
    expect(decideTick(weekdays9, MON_0900 - 1, MON_0900 + HOUR + 1, HOUR)).toEqual({
      kind: 'missed',
      tick: MON_0900,
    });
  });

  it('coalesces many missed ticks into the latest one', () => {
    const everyMinute = { cron: '* * * * *' };
    expect(decideTick(everyMinute, MON_0900, MON_0900 + 30 * 60_000 + 5_000, HOUR)).toEqual({
      kind: 'fire',
      tick: MON_0900 + 30 * 60_000,
    });
  });

  it('reads the cron in its time zone (weekends skipped)', () => {
    const fri = MON_0900 + 4 * 86_400_000;
    expect(nextTick(weekdays9, fri + 1)).toBe(MON_0900 + 7 * 86_400_000);
    expect(latestTick({ cron: '0 9 * * *' }, MON_0900)).toBe(Date.UTC(2026, 10, 23, 9, 0, 0) - 86_400_000);
  });

  it('names a bad cron expression', () => {
    expect(() => decideTick({ cron: '61 * * * *' }, 0, MON_0900, HOUR)).toThrow(
      /invalid cron '61 \* \* \* \*'/,
    );
  });
});
