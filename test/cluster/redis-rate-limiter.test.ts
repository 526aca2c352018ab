import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisRateLimiter, type RedisRateLimiter } from '../../src/executor/redis-rate-limiter.ts';
import type { RateLimitClass } from '../../src/executor/rate-limiter.ts';
import { busiestWindow } from './support/cluster-runs.ts';
import { describeCluster, uniqueNamespace } from './support/services.ts';

const PER_SECOND: RateLimitClass = { qps: 15 };
const PER_SECOND_AND_MINUTE: RateLimitClass = { qps: 15, qpm: 450 };
const MARGIN = 40;

describeCluster('Redis rate limiter', (services) => {
  const clients: Redis[] = [];
  const connect = () => {
    const client = new Redis(services().redisUrl);
    clients.push(client);
    return client;
  };
  let prefix: string;
  const limiter = (
    client: Redis,
    clock: 'caller' | 'server' = 'caller',
    now?: () => number,
    holdMs?: number,
  ): RedisRateLimiter =>
    createRedisRateLimiter(client, {
      prefix,
      clock,
      marginMs: MARGIN,
      ...(now ? { now } : {}),
      ...(holdMs !== undefined ? { holdMs } : {}),
    });
  const key = () => `tok:${randomUUID()}`;

  beforeAll(() => {
    prefix = uniqueNamespace().prefix;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  it('spaces admissions by half a slot and says when the next is due', async () => {
    const rl = limiter(connect());
    const k = key();
    expect(await rl.reserve(k, PER_SECOND, 10_000)).toEqual({ ok: true });
    // smoothing: 0.5 × 1000 / 15 = 33.3 ms
    expect(await rl.reserve(k, PER_SECOND, 10_000)).toEqual({ ok: false, retryAt: 10_034 });
    expect(await rl.reserve(k, PER_SECOND, 10_034)).toEqual({ ok: true });
    expect(await rl.reserve(key(), PER_SECOND, 10_000)).toEqual({ ok: true }); // another endpoint
  });

  it('admits 15 per second and the 16th only once the first is a second and the margin old', async () => {
    const rl = limiter(connect());
    const k = key();
    for (let i = 0; i < 15; i++) expect(await rl.reserve(k, PER_SECOND, i * 34)).toEqual({ ok: true });
    expect(await rl.reserve(k, PER_SECOND, 600)).toEqual({ ok: false, retryAt: 1000 + MARGIN });
    expect(await rl.reserve(k, PER_SECOND, 1000 + MARGIN)).toEqual({ ok: true });
  });

  it('applies the per-minute limit where the class has one', async () => {
    const rl = limiter(connect());
    const k = key();
    expect(await rl.reserve(k, PER_SECOND_AND_MINUTE, 0)).toEqual({ ok: true });
    // the wider slot of 450/min (133 ms) sets the smoothing gap: 66.7 ms
    expect(await rl.reserve(k, PER_SECOND_AND_MINUTE, 50)).toEqual({ ok: false, retryAt: 67 });
  });

  it('tells refused holders staggered times in order of asking, half a slot apart', async () => {
    const rl = limiter(connect());
    const k = key();
    await rl.reserve(k, PER_SECOND, 0);
    const refused = [];
    for (const holder of ['a', 'b', 'c']) refused.push(await rl.reserve(k, PER_SECOND, 1, holder));
    expect(refused).toEqual([34, 67, 100].map((retryAt) => ({ ok: false, retryAt })));
    // a caller without a name is told a time behind the line, without joining it
    expect(await rl.reserve(k, PER_SECOND, 1)).toEqual({ ok: false, retryAt: 134 });
    expect(await rl.reserve(k, PER_SECOND, 1)).toEqual({ ok: false, retryAt: 134 });
  });

  it('admits nothing on a blocked key before the block ends', async () => {
    const rl = limiter(connect());
    const k = key();
    await rl.block(k, 5_000);
    expect(await rl.reserve(k, PER_SECOND, 1_000)).toEqual({ ok: false, retryAt: 5_000 });
    expect(await rl.reserve(k, PER_SECOND, 5_000)).toEqual({ ok: true });
    await rl.block(k, 2_000); // an earlier block does not shorten the current one
    expect(await rl.reserve(k, PER_SECOND, 5_100)).toEqual({ ok: true });
  });

  it('translates retryAt and block to the caller clock when Redis keeps the time', async () => {
    let callerNow = 1_000_000;
    const rl = limiter(connect(), 'server', () => callerNow);
    const k = key();
    await rl.block(k, callerNow + 400);
    const refused = await rl.reserve(k, PER_SECOND, callerNow);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.retryAt - callerNow).toBeGreaterThan(300);
    expect(refused.retryAt - callerNow).toBeLessThanOrEqual(401);
    callerNow += 10;
    expect((await rl.reserve(key(), PER_SECOND, callerNow)).ok).toBe(true);
  });

  it('counts a slot from the answer: in flight it is taken, answered it is taken a window and the margin longer', async () => {
    const rl = limiter(connect());
    const k = key();
    for (let i = 0; i < 15; i++)
      expect(await rl.reserve(k, PER_SECOND, i * 34, `run-${i}`)).toEqual({ ok: true });
    // a second after the admissions, all 15 are still in flight: nothing frees before a window from now
    expect(await rl.reserve(k, PER_SECOND, 1_100, 'late')).toEqual({ ok: false, retryAt: 2_100 + MARGIN });
    for (let i = 0; i < 15; i++) await rl.complete(k, `run-${i}`, 1_200);
    // still first in line: told when the first of them leaves the window
    expect(await rl.reserve(k, PER_SECOND, 2_200, 'late')).toEqual({ ok: false, retryAt: 2_200 + MARGIN });
    expect(await rl.reserve(k, PER_SECOND, 2_200 + MARGIN, 'late')).toEqual({ ok: true });
  });

  it('counts an unanswered request from when its hold is found over, and a late answer still moves its slot', async () => {
    const rl = limiter(connect(), 'caller', undefined, 100);
    const k = key();
    const ONE: RateLimitClass = { qps: 1 };
    expect(await rl.reserve(k, ONE, 0, 'slow')).toEqual({ ok: true });
    // a window later its answer has not come, and its hold (100 ms) is over: it counts from now
    expect(await rl.reserve(k, ONE, 1_100, 'next')).toEqual({ ok: false, retryAt: 2_100 + MARGIN });
    await rl.complete(k, 'slow', 1_500); // answered after all: the slot counts from the answer
    expect(await rl.reserve(k, ONE, 2_100 + MARGIN, 'next')).toEqual({ ok: false, retryAt: 2_500 + MARGIN });
    await rl.complete(k, 'slow', 1_200); // an earlier time never moves a slot back
    expect(await rl.reserve(k, ONE, 2_500 + MARGIN, 'next')).toEqual({ ok: true });
  });

  it('tells each refused holder when the slot at its place in line frees, and gives a free slot to whoever asks', async () => {
    const rl = limiter(connect());
    const k = key();
    const ONE: RateLimitClass = { qps: 1 };
    expect(await rl.reserve(k, ONE, 0, 'first')).toEqual({ ok: true });
    await rl.complete(k, 'first', 0);
    expect(await rl.reserve(k, ONE, 10, 'a')).toEqual({ ok: false, retryAt: 1_000 + MARGIN });
    // second in line: one window after a's slot
    expect(await rl.reserve(k, ONE, 20, 'b')).toEqual({ ok: false, retryAt: 2_000 + 2 * MARGIN });
    expect(await rl.reserve(k, ONE, 500, 'a')).toEqual({ ok: false, retryAt: 1_000 + MARGIN }); // early
    // a is late: the free slot goes to whoever asks first, a waits for the next
    expect(await rl.reserve(k, ONE, 1_000 + MARGIN, 'c')).toEqual({ ok: true });
    expect(await rl.reserve(k, ONE, 1_000 + MARGIN + 5, 'a')).toEqual({
      ok: false,
      retryAt: 2_000 + 2 * MARGIN + 5, // c is in flight: a window from now at the earliest
    });
    await rl.complete(k, 'c', 1_100);
    // b keeps its place (now first): told when c's answered slot leaves the window
    expect(await rl.reserve(k, ONE, 2_000 + 2 * MARGIN, 'b')).toEqual({ ok: false, retryAt: 2_100 + MARGIN });
  });

  it('frees the slot of a request that was admitted but not sent after all', async () => {
    const rl = limiter(connect());
    const k = key();
    const ONE: RateLimitClass = { qps: 1 };
    expect(await rl.reserve(k, ONE, 0, 'a')).toEqual({ ok: true });
    await rl.cancel(k, 'a'); // another limit of the same call refused it
    expect(await rl.reserve(k, ONE, 600, 'b')).toEqual({ ok: true }); // only the smoothing gap (500 ms)
  });

  it("keeps a holder's answered request in the window when the same holder is admitted again", async () => {
    const rl = limiter(connect());
    const k = key();
    const TWO: RateLimitClass = { qps: 2 };
    expect(await rl.reserve(k, TWO, 0, 'run')).toEqual({ ok: true });
    await rl.complete(k, 'run', 10);
    expect(await rl.reserve(k, TWO, 600, 'run')).toEqual({ ok: true }); // its next call
    expect(await rl.reserve(k, TWO, 900)).toEqual({ ok: false, retryAt: 1_010 + MARGIN });
  });

  it('keeps every window of arrivals within the limit whatever the delays before and after the server sees a request', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ before: fc.nat(600), after: fc.nat(300), start: fc.nat(3_000) }), {
          minLength: 30,
          maxLength: 120,
        }),
        async (requests) => {
          const rls = [connect(), connect()].map((client) => limiter(client));
          const k = key();
          const arrivals: number[] = [];
          // a discrete-event run: each request asks at `start`, comes back when told, and once
          // admitted reaches the server `before` ms later and is answered `after` ms after that
          type Step = { at: number; index: number; kind: 'reserve' | 'complete' };
          const steps: Step[] = requests.map((r, index) => ({ at: r.start, index, kind: 'reserve' }));
          while (steps.length > 0) {
            steps.sort((a, b) => a.at - b.at || a.index - b.index);
            const step = steps.shift()!;
            const r = requests[step.index]!;
            const rl = rls[step.index % rls.length]!;
            if (step.kind === 'complete') {
              await rl.complete(k, `req-${step.index}`, step.at);
              continue;
            }
            const answer = await rl.reserve(k, PER_SECOND, step.at, `req-${step.index}`);
            if (!answer.ok) {
              steps.push({ ...step, at: answer.retryAt });
              continue;
            }
            arrivals.push(step.at + r.before);
            steps.push({ at: step.at + r.before + r.after, index: step.index, kind: 'complete' });
          }
          expect(arrivals).toHaveLength(requests.length);
          expect(busiestWindow(arrivals, 1000 + MARGIN)).toBeLessThanOrEqual(15);
        },
      ),
      { numRuns: 10 },
    );
  });

  it('refuses a class without a positive integer limit and settings out of range', async () => {
    const client = connect();
    await expect(limiter(client).reserve('k', { qps: 0 }, 0)).rejects.toThrow(/positive integer/);
    await expect(limiter(client).reserve('k', { qps: 2.5 }, 0)).rejects.toThrow(/positive integer/);
    expect(() => createRedisRateLimiter(client, { marginMs: -1 })).toThrow(/marginMs/);
    expect(() => createRedisRateLimiter(client, { smoothing: 2 })).toThrow(/smoothing/);
    expect(() => createRedisRateLimiter(client, { holdMs: -1 })).toThrow(/holdMs/);
  });

  it('holds both limits in every window, whatever the clients and their interleaving, and never idles', async () => {
    const pool = [connect(), connect(), connect(), connect()];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(
          fc.record({ advance: fc.integer({ min: 0, max: 400 }), burst: fc.integer({ min: 1, max: 6 }) }),
          {
            minLength: 50,
            maxLength: 400,
          },
        ),
        async (processes, steps) => {
          const k = key();
          const limiters = pool.slice(0, processes).map((client) => limiter(client));
          const admitted: number[] = [];
          let now = 0;
          let freeAt = 0; // the earliest retryAt of a fully refused burst: someone must get in then
          for (const step of steps) {
            now += step.advance;
            // a burst of concurrent requests from every process at this instant
            const answers = await Promise.all(
              Array.from({ length: step.burst * processes }, (_, i) =>
                limiters[i % processes]!.reserve(k, PER_SECOND_AND_MINUTE, now),
              ),
            );
            const admittedNow = answers.filter((a) => a.ok).length;
            if (now >= freeAt) expect(admittedNow).toBeGreaterThan(0);
            for (let i = 0; i < admittedNow; i++) admitted.push(now);
            freeAt =
              admittedNow > 0 ? Infinity : Math.min(...answers.map((a) => (a.ok ? Infinity : a.retryAt)));
          }
          expect(busiestWindow(admitted, 1000 + MARGIN)).toBeLessThanOrEqual(15);
          expect(busiestWindow(admitted, 60_000 + MARGIN)).toBeLessThanOrEqual(450);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('keeps 15/s on the real clock across parallel clients that retry when told', async () => {
    const rls = [connect(), connect(), connect()].map((client) => limiter(client, 'server'));
    const k = key();
    const admittedAt: number[] = [];
    const wanted = 35;
    const startedAt = Date.now();
    await Promise.all(
      rls.map(async (rl) => {
        while (admittedAt.length < wanted) {
          const { reservation, decidedAt } = await rl.reserveDetailed(k, PER_SECOND, Date.now());
          if (reservation.ok) admittedAt.push(decidedAt);
          else
            await new Promise((resolve) =>
              setTimeout(resolve, Math.max(0, reservation.retryAt - Date.now())),
            );
        }
      }),
    );
    admittedAt.sort((a, b) => a - b);
    expect(busiestWindow(admittedAt, 1000 + MARGIN)).toBeLessThanOrEqual(15);
    // the 31st admission waits for two full windows; the clients that were told when still get in
    expect(admittedAt[30]! - admittedAt[0]!).toBeGreaterThanOrEqual(2 * (1000 + MARGIN));
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});
