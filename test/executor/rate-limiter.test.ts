import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGcraLimiter, limitWindows, type RateLimitClass } from '../../src/executor/rate-limiter.ts';

const CLASSES: RateLimitClass[] = [{ qps: 15 }, { qps: 15, qpm: 450 }, { qps: 10 }, { qps: 1 }];

/** Largest number of admitted times inside any half-open window [t, t + period). */
function maxInWindow(times: number[], periodMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= periodMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

function admitted(times: number[], cls: RateLimitClass, safety: number): number[] {
  const limiter = createGcraLimiter({ safety });
  return times.filter((t) => {
    const r = limiter.reserve('tok|op', cls, t);
    return r.ok;
  });
}

describe('GCRA rate limiter', () => {
  it('never admits more than the limit in any sliding window (1 s and 60 s)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.constantFrom(1, 0.97, 0.5),
        fc.array(fc.integer({ min: 0, max: 130_000 }), { minLength: 1, maxLength: 1500 }),
        (cls, safety, raw) => {
          const times = [...raw].sort((a, b) => a - b);
          const ok = admitted(times, cls, safety);
          for (const w of limitWindows(cls)) expect(maxInWindow(ok, w.periodMs)).toBeLessThanOrEqual(w.limit);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('admits a refused request when it comes back at retryAt', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 200 }),
        (cls, raw) => {
          const limiter = createGcraLimiter();
          let now = 0;
          for (const step of raw.sort((a, b) => a - b)) {
            now = Math.max(now, step);
            const r = limiter.reserve('k', cls, now);
            if (!r.ok) {
              expect(r.retryAt).toBeGreaterThan(now);
              expect(limiter.reserve('k', cls, r.retryAt).ok).toBe(true);
              now = r.retryAt;
            }
          }
        },
      ),
    );
  });

  it('reaches the nominal rate times the safety factor under constant demand', () => {
    const limiter = createGcraLimiter({ safety: 0.97 });
    let now = 0;
    let count = 0;
    while (now < 60_000) {
      const r = limiter.reserve('k', { qps: 15 }, now);
      if (r.ok) count++;
      else now = r.retryAt;
    }
    // Whole-millisecond retry times cost under 1 %: the rate stays within 4 % of nominal.
    expect(count).toBeGreaterThanOrEqual(15 * 60 * 0.96);
    expect(count).toBeLessThanOrEqual(15 * 60);
  });

  it('holds the per-minute limit of the 15/s + 450/min class', () => {
    const limiter = createGcraLimiter({ safety: 1 });
    let admittedInFirstMinute = 0;
    let now = 0;
    while (now < 60_000) {
      const r = limiter.reserve('k', { qps: 15, qpm: 450 }, now);
      if (r.ok) admittedInFirstMinute++;
      else now = r.retryAt;
    }
    // 7.5/s sustained, not 15/s: the minute budget is spread, never spent in the first 30 s.
    expect(admittedInFirstMinute).toBeGreaterThan(440);
    expect(admittedInFirstMinute).toBeLessThanOrEqual(450);
  });

  it('keeps keys apart: one busy endpoint does not slow another', () => {
    const limiter = createGcraLimiter();
    expect(limiter.reserve('t|a', { qps: 1 }, 0).ok).toBe(true);
    expect(limiter.reserve('t|a', { qps: 1 }, 1).ok).toBe(false);
    expect(limiter.reserve('t|b', { qps: 1 }, 1).ok).toBe(true);
  });

  it('admits nothing on a blocked key before the block ends', () => {
    const limiter = createGcraLimiter();
    limiter.block('k', 5000);
    expect(limiter.reserve('k', { qps: 15, qpm: 450 }, 10)).toEqual({ ok: false, retryAt: 5000 });
    expect(limiter.reserve('k', { qps: 15, qpm: 450 }, 5000).ok).toBe(true);
  });

  it('refuses a safety factor outside (0, 1]', () => {
    expect(() => createGcraLimiter({ safety: 0 })).toThrow(/safety must be in/);
    expect(() => createGcraLimiter({ safety: 1.5 })).toThrow(/safety must be in/);
  });
});
