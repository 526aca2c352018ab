import { describe, expect, it } from 'vitest';
import { RunBreaker } from '../../src/loop/run-breaker.ts';

describe('RunBreaker', () => {
  it('allows up to the limit within the window, then pauses the pair for one window', () => {
    const breaker = new RunBreaker(3, 60_000);
    const results = [0, 1_000, 2_000].map((t) => breaker.check('r1', 'space:1', t).allowed);
    expect(results).toEqual([true, true, true]);
    expect(breaker.check('r1', 'space:1', 3_000)).toEqual({
      allowed: false,
      tripped: true,
      pausedUntil: 63_000,
    });
    expect(breaker.check('r1', 'space:1', 30_000)).toEqual({ allowed: false, pausedUntil: 63_000 });
    expect(breaker.paused(30_000)).toEqual([{ ruleId: 'r1', lane: 'space:1', until: 63_000 }]);
    expect(breaker.check('r1', 'space:1', 63_000).allowed).toBe(true);
  });

  it('keeps pairs apart and forgets runs that left the window', () => {
    const breaker = new RunBreaker(2, 1_000);
    expect(breaker.check('r1', 'a', 0).allowed).toBe(true);
    expect(breaker.check('r1', 'a', 500).allowed).toBe(true);
    expect(breaker.check('r2', 'a', 600).allowed).toBe(true);
    expect(breaker.check('r1', 'b', 700).allowed).toBe(true);
    expect(breaker.check('r1', 'a', 1_200).allowed).toBe(true);
    expect(breaker.check('r1', 'a', 1_300).allowed).toBe(false);
  });
});
