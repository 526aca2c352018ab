import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisRateLimiter, type RedisRateLimiter } from '../../src/executor/redis-rate-limiter.ts';
import type { RateLimitClass } from '../../src/executor/rate-limiter.ts';
import { describeCluster, uniqueNamespace } from './support/services.ts';

const PER_SECOND: RateLimitClass = { qps: 15 };
const PER_SECOND_AND_MINUTE: RateLimitClass = { qps: 15, qpm: 450 };

/** The most admissions found in any window [t, t + periodMs) starting at an admission. */
function busiestWindow(admittedAt: number[], periodMs: number): number {
  const sorted = [...admittedAt].sort((a, b) => a - b);
  let most = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + periodMs) end++;
    most = Math.max(most, end - start);
  }
  return most;
}

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
  ): RedisRateLimiter => createRedisRateLimiter(client, { prefix, clock, ...(now ? { now } : {}) });

  beforeAll(() => {
    prefix = uniqueNamespace().prefix;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  it('admits one request, then says when the next is due', async () => {
    const rl = limiter(connect());
    expect(await rl.reserve('tok:comment.create', PER_SECOND, 10_000)).toEqual({ ok: true });
    // 1000 / (15 × 0.97) = 68.7 ms spacing
    expect(await rl.reserve('tok:comment.create', PER_SECOND, 10_000)).toEqual({
      ok: false,
      retryAt: 10_069,
    });
    expect(await rl.reserve('tok:comment.create', PER_SECOND, 10_069)).toEqual({ ok: true });
    // another endpoint has its own cells
    expect(await rl.reserve('tok:state.transit', PER_SECOND, 10_000)).toEqual({ ok: true });
  });

  it('spaces requests by the per-minute limit where the class has one', async () => {
    const rl = limiter(connect());
    expect(await rl.reserve('tok:search', PER_SECOND_AND_MINUTE, 0)).toEqual({ ok: true });
    // 60000 / (450 × 0.97) = 137.5 ms, wider than the per-second spacing
    expect(await rl.reserve('tok:search', PER_SECOND_AND_MINUTE, 100)).toEqual({ ok: false, retryAt: 138 });
  });

  it('admits nothing on a blocked key before the block ends', async () => {
    const rl = limiter(connect());
    await rl.block('tok:blocked', 5_000);
    expect(await rl.reserve('tok:blocked', PER_SECOND, 1_000)).toEqual({ ok: false, retryAt: 5_000 });
    expect(await rl.reserve('tok:blocked', PER_SECOND, 5_000)).toEqual({ ok: true });
    await rl.block('tok:blocked', 2_000); // an earlier block does not shorten the current one
    expect(await rl.reserve('tok:blocked', PER_SECOND, 5_100)).toEqual({ ok: true });
  });

  it('translates retryAt and block to the caller clock when Redis keeps the time', async () => {
    let callerNow = 1_000_000;
    const rl = limiter(connect(), 'server', () => callerNow);
    await rl.block('tok:server-clock', callerNow + 400);
    const refused = await rl.reserve('tok:server-clock', PER_SECOND, callerNow);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.retryAt - callerNow).toBeGreaterThan(300);
    expect(refused.retryAt - callerNow).toBeLessThanOrEqual(401);
    callerNow += 10;
    expect((await rl.reserve('tok:other', PER_SECOND, callerNow)).ok).toBe(true);
  });

  it('refuses a class with no positive limit and a safety outside (0, 1]', async () => {
    const client = connect();
    await expect(limiter(client).reserve('k', { qps: 0 }, 0)).rejects.toThrow(/positive number/);
    expect(() => createRedisRateLimiter(client, { safety: 1.5 })).toThrow(/safety must be in/);
  });

  it('holds both limits in every sliding window, whatever the clients and their interleaving', async () => {
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
          const key = `prop:${randomUUID()}`;
          const limiters = pool.slice(0, processes).map((client) => limiter(client));
          const admitted: number[] = [];
          let now = 0;
          for (const step of steps) {
            now += step.advance;
            const idleLongEnough = now - (admitted.at(-1) ?? -Infinity) >= 138;
            // a burst of concurrent requests from every process at this instant
            const asks = Array.from({ length: step.burst * processes }, (_, i) =>
              limiters[i % processes]!.reserve(key, PER_SECOND_AND_MINUTE, now),
            );
            const admittedNow = (await Promise.all(asks)).filter((reservation) => reservation.ok).length;
            // one admission per spacing, and never idle when the spacing has passed
            expect(admittedNow).toBe(idleLongEnough ? 1 : 0);
            if (admittedNow) admitted.push(now);
          }
          expect(busiestWindow(admitted, 1_000)).toBeLessThanOrEqual(15);
          expect(busiestWindow(admitted, 60_000)).toBeLessThanOrEqual(450);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('keeps 15/s on the real clock across parallel clients that retry when told', async () => {
    const rls = [connect(), connect(), connect()].map((client) => limiter(client, 'server'));
    const key = `live:${randomUUID()}`;
    const admittedAt: number[] = [];
    const deadline = Date.now() + 1_500;
    await Promise.all(
      rls.map(async (rl) => {
        while (Date.now() < deadline) {
          const { reservation, decidedAt } = await rl.reserveDetailed(key, PER_SECOND, Date.now());
          if (reservation.ok) admittedAt.push(decidedAt);
          else
            await new Promise((resolve) =>
              setTimeout(resolve, Math.max(0, reservation.retryAt - Date.now())),
            );
        }
      }),
    );
    expect(busiestWindow(admittedAt, 1_000)).toBeLessThanOrEqual(15);
    // 1.5 s at 14.55/s: the clients together use what is allowed
    expect(admittedAt.length).toBeGreaterThanOrEqual(18);
  });
});
