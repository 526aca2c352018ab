import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGcraLimiter, limitWindows, type RateLimitClass } from '../../src/executor/rate-limiter.ts';

const CLASSES: RateLimitClass[] = [{ qps: 15 }, { qps: 15, qpm: 450 }, { qps: 10 }, { qps: 1 }];

/** Largest number of times inside any half-open window [t, t + period). */
function maxInWindow(sortedTimes: number[], periodMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < sortedTimes.length; end++) {
    while ((sortedTimes[end] as number) - (sortedTimes[start] as number) >= periodMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

function expectWithinLimits(admitted: number[], cls: RateLimitClass): void {
  const sorted = [...admitted].sort((a, b) => a - b);
  for (const w of limitWindows(cls)) expect(maxInWindow(sorted, w.periodMs)).toBeLessThanOrEqual(w.limit);
}

/** Settings at the edge of what the limiter accepts: all of the window's room given to late holders. */
const SETTINGS = [
  { safety: 1, lateMs: 0 },
  { safety: 0.965, lateMs: 15 },
  { safety: 0.9, lateMs: 1000 * (1 / 0.9 - 1) },
];

describe('GCRA rate limiter', () => {
  it('never admits more than the limit in any sliding window (1 s and 60 s), anonymous callers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.constantFrom(...SETTINGS),
        fc.array(fc.integer({ min: 0, max: 130_000 }), { minLength: 1, maxLength: 1500 }),
        (cls, settings, raw) => {
          const limiter = createGcraLimiter(settings);
          const times = [...raw].sort((a, b) => a - b);
          expectWithinLimits(
            times.filter((t) => limiter.reserve('tok|op', cls, t).ok),
            cls,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never admits more than the limit when refused holders come back early, on time or late', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.constantFrom(...SETTINGS),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 90_000 }),
            // How the holder comes back relative to its slot: early, or late by up to 2 × 45 ms.
            drift: fc.integer({ min: -30, max: 90 }),
          }),
          { minLength: 1, maxLength: 600 },
        ),
        (cls, settings, arrivals) => {
          const limiter = createGcraLimiter(settings);
          // An event list processed in time order: first visits, and comebacks after refusals.
          const pending = arrivals.map((a, i) => ({ t: a.at, holder: `h${i}`, drift: a.drift, tries: 0 }));
          const admitted: number[] = [];
          while (pending.length > 0) {
            pending.sort((a, b) => a.t - b.t);
            const next = pending.shift() as (typeof pending)[number];
            const r = limiter.reserve('k', cls, next.t, next.holder);
            if (r.ok) admitted.push(next.t);
            else if (next.tries < 6)
              pending.push({
                ...next,
                t: Math.max(next.t + 1, r.retryAt + next.drift),
                tries: next.tries + 1,
              });
          }
          expectWithinLimits(admitted, cls);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits a holder that comes back at the slot it was given', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 200 }),
        (cls, raw) => {
          const limiter = createGcraLimiter();
          raw
            .sort((a, b) => a - b)
            .forEach((t, i) => {
              const r = limiter.reserve('k', cls, t, `h${i}`);
              if (!r.ok) {
                expect(r.retryAt).toBeGreaterThan(t);
                expect(limiter.reserve('k', cls, r.retryAt, `h${i}`).ok).toBe(true);
              }
            });
        },
      ),
    );
  });

  it('gives refused holders distinct slots in arrival order, so they do not stampede', () => {
    const limiter = createGcraLimiter({ safety: 1, lateMs: 0 });
    expect(limiter.reserve('k', { qps: 10 }, 0, 'a').ok).toBe(true);
    expect(limiter.reserve('k', { qps: 10 }, 1, 'b')).toEqual({ ok: false, retryAt: 100 });
    expect(limiter.reserve('k', { qps: 10 }, 2, 'c')).toEqual({ ok: false, retryAt: 200 });
    expect(limiter.reserve('k', { qps: 10 }, 3, 'b')).toEqual({ ok: false, retryAt: 100 });
    expect(limiter.reserve('k', { qps: 10 }, 150, 'd')).toEqual({ ok: false, retryAt: 300 });
    expect(limiter.reserve('k', { qps: 10 }, 200, 'c').ok).toBe(true);
  });

  it('forfeits the slot of a holder that comes back too late', () => {
    const limiter = createGcraLimiter({ safety: 0.9, lateMs: 20 });
    limiter.reserve('k', { qps: 1 }, 0, 'a');
    const r = limiter.reserve('k', { qps: 1 }, 10, 'b');
    expect(r).toEqual({ ok: false, retryAt: 1112 });
    expect(limiter.reserve('k', { qps: 1 }, 1112 + 15, 'b').ok).toBe(true);
    const late = createGcraLimiter({ safety: 0.9, lateMs: 20 });
    late.reserve('k', { qps: 1 }, 0, 'a');
    late.reserve('k', { qps: 1 }, 10, 'b');
    late.reserve('k', { qps: 1 }, 20, 'c');
    // b is 200 ms late: its slot is gone and the next free one is after c's.
    expect(late.reserve('k', { qps: 1 }, 1312, 'b')).toEqual({ ok: false, retryAt: 3334 });
  });

  it('uses the rate times the safety factor under constant demand, without drift from lateness', () => {
    const limiter = createGcraLimiter();
    let count = 0;
    let now = 0;
    let holder = 0;
    while (now < 60_000) {
      const r = limiter.reserve('k', { qps: 15 }, now, `h${holder}`);
      if (r.ok) {
        count++;
        holder++;
      } else now = r.retryAt + 7; // every comeback 7 ms late: the schedule must not slip
    }
    expect(count).toBeGreaterThanOrEqual(Math.floor(15 * 60 * 0.965) - 1);
    expect(count).toBeLessThanOrEqual(15 * 60);
  });

  it('holds the per-minute limit of the 15/s + 450/min class', () => {
    const limiter = createGcraLimiter({ safety: 1, lateMs: 0 });
    let admitted = 0;
    let now = 0;
    while (now < 60_000) {
      const r = limiter.reserve('k', { qps: 15, qpm: 450 }, now);
      if (r.ok) admitted++;
      else now = r.retryAt;
    }
    // 7.5/s sustained, not 15/s: the minute budget is spread, never spent in the first 30 s.
    expect(admitted).toBeGreaterThan(440);
    expect(admitted).toBeLessThanOrEqual(450);
  });

  it('keeps keys apart: one busy endpoint does not slow another', () => {
    const limiter = createGcraLimiter();
    expect(limiter.reserve('t|a', { qps: 1 }, 0).ok).toBe(true);
    expect(limiter.reserve('t|a', { qps: 1 }, 1).ok).toBe(false);
    expect(limiter.reserve('t|b', { qps: 1 }, 1).ok).toBe(true);
  });

  it('admits nothing on a blocked key before the block ends, and drops its bookings', () => {
    const limiter = createGcraLimiter();
    limiter.reserve('k', { qps: 1 }, 0, 'a');
    expect(limiter.reserve('k', { qps: 1 }, 1, 'b').ok).toBe(false);
    limiter.block('k', 5000);
    expect(limiter.reserve('k', { qps: 15, qpm: 450 }, 10)).toEqual({ ok: false, retryAt: 5000 });
    expect(limiter.reserve('k', { qps: 1 }, 1037, 'b')).toEqual({ ok: false, retryAt: 5000 });
    expect(limiter.reserve('k', { qps: 1 }, 5000, 'b').ok).toBe(true);
  });

  it('refuses settings that would break the limit', () => {
    expect(() => createGcraLimiter({ safety: 0 })).toThrow(/safety must be in/);
    expect(() => createGcraLimiter({ safety: 1.5 })).toThrow(/safety must be in/);
    expect(() => createGcraLimiter({ safety: 0.99, lateMs: 50 })).toThrow(/lateMs must be in \[0, 10\.1\]/);
  });
});
