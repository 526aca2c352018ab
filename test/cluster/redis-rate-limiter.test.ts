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
  ): RedisRateLimiter =>
    createRedisRateLimiter(client, { prefix, clock, marginMs: MARGIN, ...(now ? { now } : {}) });
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

  it('tells refused callers staggered times, one slot apart', async () => {
    const rl = limiter(connect());
    const k = key();
    await rl.reserve(k, PER_SECOND, 0);
    const refused = await Promise.all([1, 2, 3].map(() => rl.reserve(k, PER_SECOND, 1)));
    const times = refused.map((r) => (r.ok ? -1 : r.retryAt)).sort((a, b) => a - b);
    expect(times).toEqual([34, 100, 167]);
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

  it('refuses a class without a positive integer limit and settings out of range', async () => {
    const client = connect();
    await expect(limiter(client).reserve('k', { qps: 0 }, 0)).rejects.toThrow(/positive integer/);
    await expect(limiter(client).reserve('k', { qps: 2.5 }, 0)).rejects.toThrow(/positive integer/);
    expect(() => createRedisRateLimiter(client, { marginMs: -1 })).toThrow(/marginMs/);
    expect(() => createRedisRateLimiter(client, { smoothing: 2 })).toThrow(/smoothing/);
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
