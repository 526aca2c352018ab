import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { parseDuration } from '../../src/rules/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['3d', 3 * 86_400_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['2w', 14 * 86_400_000],
    ['1d2h3m4s5ms', 86_400_000 + 7_200_000 + 180_000 + 4_000 + 5],
    [' 5m ', 300_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', /it is empty/],
    ['3', /unexpected '3'/],
    ['1.5h', /whole numbers/],
    ['x', /unexpected 'x'/],
    ['30m1h', /largest to smallest/],
    ['1m1m', /largest to smallest/],
    ['5 m', /unexpected/],
    ['99999999999999999w', /too long/],
  ])('refuses %j with a clear message', (text, message) => {
    let thrown: unknown;
    try {
      parseDuration(text);
    } catch (error) {
      thrown = error;
    }
    expect(isAutopilotError(thrown, 'AP_RULE_INVALID')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toContain(`invalid duration '${text}'`);
  });
});
