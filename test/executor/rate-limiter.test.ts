import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLocalLimiter, limitWindows, type RateLimitClass } from '../../src/executor/rate-limiter.ts';

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

describe('rate limiter', () => {
  it('never admits more than the limit in any sliding window (1 s and 60 s), anonymous callers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.constantFrom(0, 40),
        fc.array(fc.integer({ min: 0, max: 130_000 }), { minLength: 1, maxLength: 1500 }),
        (cls, marginMs, raw) => {
          const limiter = createLocalLimiter({ marginMs, smoothing: marginMs === 0 ? 0 : 0.5 });
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

  it('never admits more than the limit when refused holders come back early, on time, late or never', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.constantFrom(0, 40),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 90_000 }),
            // Relative to the time it was given: early, on time, late; or it never comes back.
            drift: fc.integer({ min: -30, max: 3000 }),
            gone: fc.boolean(),
          }),
          { minLength: 1, maxLength: 600 },
        ),
        (cls, marginMs, arrivals) => {
          const limiter = createLocalLimiter({ marginMs, holdMs: 500 });
          const pending = arrivals.map((a, i) => ({ ...a, t: a.at, holder: `h${i}`, tries: 0 }));
          const admitted: number[] = [];
          while (pending.length > 0) {
            pending.sort((a, b) => a.t - b.t);
            const next = pending.shift() as (typeof pending)[number];
            const r = limiter.reserve('k', cls, next.t, next.holder);
            if (r.ok) {
              admitted.push(next.t);
              // The answer comes back some time later, or never.
              if (!next.gone) limiter.complete('k', next.holder, next.t + (next.at % 50));
            } else if (next.tries < 6 && !(next.gone && next.tries > 0)) {
              pending.push({
                ...next,
                t: Math.max(next.t + 1, r.retryAt + next.drift),
                tries: next.tries + 1,
              });
            }
          }
          expectWithinLimits(admitted, cls);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits a burst up to the limit, then each slot again one period plus the margin later', () => {
    const limiter = createLocalLimiter({ marginMs: 40, smoothing: 0 });
    const cls = { qps: 15 };
    for (let i = 0; i < 15; i++) expect(limiter.reserve('k', cls, 0).ok).toBe(true);
    expect(limiter.reserve('k', cls, 1)).toEqual({ ok: false, retryAt: 1040 });
    expect(limiter.reserve('k', cls, 1040).ok).toBe(true);
  });

  it('spaces admissions by the smoothing gap, places in the line included', () => {
    const limiter = createLocalLimiter({ marginMs: 40 });
    const cls = { qps: 15 };
    expect(limiter.reserve('k', cls, 0).ok).toBe(true);
    expect(limiter.reserve('k', cls, 10)).toEqual({ ok: false, retryAt: 34 });
    expect(limiter.reserve('k', cls, 11, 'h')).toEqual({ ok: false, retryAt: 34 });
    expect(limiter.reserve('k', cls, 12, 'i')).toEqual({ ok: false, retryAt: 67 });
    expect(limiter.reserve('k', cls, 34, 'h').ok).toBe(true);
  });

  it('admits a holder that comes back when it was told, within a few comebacks at most', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSES),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 30 }),
        (cls, raw, latency) => {
          const limiter = createLocalLimiter();
          raw
            .sort((a, b) => a - b)
            .forEach((t, i) => {
              let now = t;
              for (let visit = 0; visit < 80; visit++) {
                const r = limiter.reserve('k', cls, now, `h${i}`);
                if (r.ok) {
                  limiter.complete('k', `h${i}`, now + latency);
                  return;
                }
                expect(r.retryAt).toBeGreaterThan(now);
                now = r.retryAt;
              }
              throw new Error(`h${i} never admitted`);
            });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('tells refused holders their places in the line, one period later per round, and keeps a due slot for its holder', () => {
    const limiter = createLocalLimiter({ marginMs: 0, smoothing: 0 });
    const cls = { qps: 2 };
    expect(limiter.reserve('k', cls, 0, 'a').ok).toBe(true);
    limiter.complete('k', 'a', 0);
    expect(limiter.reserve('k', cls, 100, 'b').ok).toBe(true);
    limiter.complete('k', 'b', 100);
    expect(limiter.reserve('k', cls, 200, 'c')).toEqual({ ok: false, retryAt: 1000 });
    expect(limiter.reserve('k', cls, 300, 'd')).toEqual({ ok: false, retryAt: 1100 });
    expect(limiter.reserve('k', cls, 400, 'e')).toEqual({ ok: false, retryAt: 2000 });
    expect(limiter.reserve('k', cls, 401, 'f')).toEqual({ ok: false, retryAt: 2100 });
    // c's slot is free at 1000 and kept for c: a newcomer goes behind f.
    expect(limiter.reserve('k', cls, 1000, 'someone')).toEqual({ ok: false, retryAt: 3000 });
    expect(limiter.reserve('k', cls, 1000, 'c').ok).toBe(true);
    // d never comes back: past the grace its slot goes to whoever asks.
    expect(limiter.reserve('k', cls, 1250, 'g').ok).toBe(true);
  });

  it('admits a late holder without shifting anyone else, and frees a slot whose holder never returns', () => {
    const limiter = createLocalLimiter({ marginMs: 0, holdMs: 100, smoothing: 0 });
    const cls = { qps: 1 };
    expect(limiter.reserve('k', cls, 0, 'a').ok).toBe(true);
    limiter.complete('k', 'a', 0);
    expect(limiter.reserve('k', cls, 10, 'b')).toEqual({ ok: false, retryAt: 1000 });
    expect(limiter.reserve('k', cls, 1080, 'b').ok).toBe(true);
    limiter.complete('k', 'b', 1080);
    expect(limiter.reserve('k', cls, 1100, 'c')).toEqual({ ok: false, retryAt: 2080 });
    // c never comes back: within the grace its slot is kept for it, then given to whoever asks.
    expect(limiter.reserve('k', cls, 2150, 'd')).toEqual({ ok: false, retryAt: 3150 });
    expect(limiter.reserve('k', cls, 2200, 'e').ok).toBe(true);
  });

  it('counts a slot from the answer, however long the request took to leave', () => {
    const limiter = createLocalLimiter({ marginMs: 10, smoothing: 0 });
    const cls = { qps: 1 };
    expect(limiter.reserve('k', cls, 0, 'a').ok).toBe(true);
    // Still in flight at 1500: the slot is not free, whatever the clock says.
    expect(limiter.reserve('k', cls, 1500, 'b')).toEqual({ ok: false, retryAt: 2510 });
    limiter.complete('k', 'a', 1700);
    expect(limiter.reserve('k', cls, 2510, 'b')).toEqual({ ok: false, retryAt: 2710 });
    expect(limiter.reserve('k', cls, 2710, 'b').ok).toBe(true);
  });

  it('reschedules each run of a burst about once, at close to the allowed rate', () => {
    // 500 runs asking at once on 50/s, as 500 queued Lark messages do, each through the
    // executor's rule: a wait is slept in place while the waits add up to 250 ms, a longer one
    // goes back to the queue and comes back 0–40 ms late (a tenth of them 300 ms late). Answers
    // come 5–25 ms after admission.
    const limiter = createLocalLimiter();
    const cls = { qps: 50 };
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const pending = Array.from({ length: 500 }, (_, i) => ({ holder: `run-${i}`, t: i * 2, slept: 0 }));
    const admitted: number[] = [];
    let reschedules = 0;
    while (pending.length > 0) {
      pending.sort((x, y) => x.t - y.t);
      const next = pending.shift() as (typeof pending)[number];
      const r = limiter.reserve('k', cls, next.t, next.holder);
      if (r.ok) {
        admitted.push(next.t);
        limiter.complete('k', next.holder, next.t + 5 + random() * 20);
        continue;
      }
      const wait = r.retryAt - next.t;
      if (next.slept + wait <= 250)
        pending.push({ ...next, t: r.retryAt + random() * 3, slept: next.slept + wait });
      else {
        reschedules++;
        const late = random() < 0.1 ? 300 : random() * 40;
        pending.push({ ...next, t: r.retryAt + late, slept: 0 });
      }
    }
    expectWithinLimits(admitted, cls);
    expect(reschedules / 500).toBeLessThan(1.5);
    const seconds = (Math.max(...admitted) - Math.min(...admitted)) / 1000;
    expect(Math.floor(499 / 50) / seconds).toBeGreaterThan(0.85);
  });

  it('keeps counting a request in flight when its holder asks again (a second worker on the run)', () => {
    const limiter = createLocalLimiter({ marginMs: 0, smoothing: 0 });
    const cls = { qps: 2 };
    expect(limiter.reserve('k', cls, 0, 'a').ok).toBe(true);
    expect(limiter.reserve('k', cls, 10, 'a').ok).toBe(true);
    // Both of a's requests count: the first from when a asked again (it may still reach the server).
    expect(limiter.reserve('k', cls, 20, 'b')).toEqual({ ok: false, retryAt: 1010 });
  });

  it('uses the rate times period / (period + margin + latency) under constant demand with late comebacks', () => {
    const limiter = createLocalLimiter({ marginMs: 15 });
    let count = 0;
    let now = 0;
    let holder = 0;
    while (now < 60_000) {
      const r = limiter.reserve('k', { qps: 15 }, now, `h${holder}`);
      if (r.ok) {
        limiter.complete('k', `h${holder}`, now + 5); // answered 5 ms later
        count++;
        holder++;
      } else now = r.retryAt + 7; // every comeback 7 ms late
    }
    expect(count).toBeGreaterThanOrEqual(Math.floor(15 * 60 * (1000 / 1027)) - 15);
    expect(count).toBeLessThanOrEqual(15 * 60);
  });

  it('holds the per-minute limit of the 15/s + 450/min class', () => {
    const limiter = createLocalLimiter({ marginMs: 0 });
    let admitted = 0;
    let now = 0;
    while (now < 60_000) {
      const r = limiter.reserve('k', { qps: 15, qpm: 450 }, now);
      if (r.ok) admitted++;
      else now = r.retryAt;
    }
    expect(admitted).toBe(450);
  });

  it('keeps keys apart: one busy endpoint does not slow another', () => {
    const limiter = createLocalLimiter();
    expect(limiter.reserve('t|a', { qps: 1 }, 0).ok).toBe(true);
    expect(limiter.reserve('t|a', { qps: 1 }, 1).ok).toBe(false);
    expect(limiter.reserve('t|b', { qps: 1 }, 1).ok).toBe(true);
  });

  it('admits nothing on a blocked key before the block ends, and empties its line', () => {
    const limiter = createLocalLimiter();
    limiter.block('fresh', 300);
    expect(limiter.reserve('fresh', { qps: 15 }, 10)).toEqual({ ok: false, retryAt: 300 });
    limiter.reserve('k', { qps: 1 }, 0, 'a');
    limiter.complete('k', 'a', 0);
    expect(limiter.reserve('k', { qps: 1 }, 1, 'b').ok).toBe(false);
    limiter.block('k', 5000);
    expect(limiter.reserve('k', { qps: 1 }, 1040, 'b')).toEqual({ ok: false, retryAt: 5000 });
    expect(limiter.reserve('k', { qps: 1 }, 5000, 'c').ok).toBe(true);
  });

  it('refuses negative settings', () => {
    expect(() => createLocalLimiter({ marginMs: -1 })).toThrow(/marginMs must be ≥ 0/);
    expect(() => createLocalLimiter({ holdMs: -1 })).toThrow(/holdMs must be ≥ 0/);
    expect(() => createLocalLimiter({ graceMs: -1 })).toThrow(/graceMs must be ≥ 0/);
    expect(() => createLocalLimiter({ smoothing: 2 })).toThrow(/smoothing must be in \[0, 1\]/);
  });
});
