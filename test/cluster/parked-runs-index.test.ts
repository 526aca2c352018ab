/**
 * The cluster profile keeps parked runs in Redis only (PostgreSQL holds events, audit and state,
 * not the queue): in the sorted set `<prefix>{runs}:parked`, scored by due time. Claiming must not
 * get slower as runs park: the claim script finds due parked runs with one ZRANGEBYSCORE … LIMIT
 * on that set (O(log N + woken) on its skiplist) and never visits a run that is not due. Proved
 * with MONITOR, which shows every command a Lua script runs: a claim over 10,000 parked runs
 * runs exactly the commands a claim over an empty queue runs, and waking three due runs adds the
 * same commands for each of them, whatever else is parked.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RedisRunQueue } from '../../src/store/cluster/redis-run-queue.ts';
import { PARKED_WAKE_BATCH } from '../../src/store/ports.ts';
import { buildRun } from '../store/conformance/harness.ts';
import { describeCluster, uniqueNamespace } from './support/services.ts';

const T0 = Date.UTC(2026, 0, 1);
const PARKED = 10_000;
const OWNER = 'parking-owner';
const LEASE_MS = 3_600_000;

interface Namespace {
  prefix: string;
  queue: RedisRunQueue;
}

describeCluster('cluster parked runs', (services) => {
  let redis: Redis;
  let monitor: Redis | undefined;
  const prefixes: string[] = [];

  beforeEach(() => {
    redis = new Redis(services().redisUrl);
  });
  afterEach(async () => {
    monitor?.disconnect();
    monitor = undefined;
    for (const prefix of prefixes.splice(0)) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  function namespace(): Namespace {
    const { prefix } = uniqueNamespace();
    prefixes.push(prefix);
    return { prefix, queue: new RedisRunQueue(redis, prefix) };
  }

  /** `count` runs in their own lanes, claimed and parked until `dueOf(i)`. */
  async function parkRuns(queue: RedisRunQueue, count: number, dueOf: (i: number) => number, tag: string) {
    for (let from = 0; from < count; from += 1000) {
      const runs = Array.from({ length: Math.min(1000, count - from) }, (_, k) =>
        buildRun({ id: `${tag}-${from + k}`, lane: `${tag}-lane-${from + k}` }),
      );
      await queue.enqueue(runs, T0);
      const claimed = await queue.claim(OWNER, runs.length, LEASE_MS, T0);
      expect(claimed).toHaveLength(runs.length);
      await Promise.all(
        claimed.map((record, k) =>
          queue.park(record.run.id, OWNER, { until: dueOf(from + k), progress: {} }, T0),
        ),
      );
    }
  }

  /** The commands (name and first key, the prefix cut off) one claim at `now` runs in Redis. */
  async function commandsOfClaim({ prefix, queue }: Namespace, now: number) {
    monitor = await redis.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1]?.startsWith(prefix)) seen.push([args[0]?.toLowerCase() ?? '', ...args.slice(1)]);
    });
    // A command through the monitored server marks the end: MONITOR keeps the server's order.
    const fence = `${prefix}fence`;
    const claimed = await queue.claim('claimer', 100, 60_000, now);
    await redis.set(fence, '1');
    await waitFor(() => seen.some((c) => c[0] === 'set' && c[1] === fence));
    monitor.disconnect();
    monitor = undefined;
    const commands = seen
      .filter((c) => c[1] !== fence)
      .map(([name, key = '', ...rest]) => [name, key.slice(prefix.length), ...rest].join(' '));
    return { claimed, commands };
  }

  it('keeps parked runs in a sorted set by due time, a skiplist at 10,000', async () => {
    const { prefix, queue } = namespace();
    await parkRuns(queue, PARKED, (i) => T0 + LEASE_MS + i, 'p');
    const key = `${prefix}{runs}:parked`;
    expect(await redis.type(key)).toBe('zset');
    expect(await redis.zcard(key)).toBe(PARKED);
    expect(await redis.object('ENCODING', key)).toBe('skiplist');
    expect(await redis.zscore(key, 'p-42')).toBe(String(T0 + LEASE_MS + 42));
    expect((await queue.stats(T0)).parked).toBe(PARKED);
  }, 120_000);

  it('claims over 10,000 parked runs with the commands of an empty queue, and wakes only the due', async () => {
    const empty = namespace();
    const full = namespace();
    // Three due at T0 + 1000 (lanes of their own), the other 9,997 an hour later.
    await parkRuns(full.queue, PARKED, (i) => (i < 3 ? T0 + 1000 + i : T0 + LEASE_MS + i), 'p');

    const onEmpty = await commandsOfClaim(empty, T0 + 500);
    const beforeDue = await commandsOfClaim(full, T0 + 500);
    expect(onEmpty.claimed).toEqual([]);
    expect(beforeDue.claimed).toEqual([]);
    expect(beforeDue.commands).toEqual(onEmpty.commands);
    // The only read of the parked set: by score, bounded by the wake batch.
    expect(beforeDue.commands.filter((c) => c.includes('{runs}:parked'))).toEqual([
      `zrangebyscore {runs}:parked -inf ${T0 + 500} LIMIT 0 ${PARKED_WAKE_BATCH}`,
    ]);
    expect(beforeDue.commands.length).toBeLessThan(20);

    const atDue = await commandsOfClaim(full, T0 + 2000);
    expect(atDue.claimed.map((r) => r.run.id).sort()).toEqual(['p-0', 'p-1', 'p-2']);
    const perWoken = (atDue.commands.length - beforeDue.commands.length) / 3;
    expect(Number.isInteger(perWoken)).toBe(true);
    // Each woken run touches its own keys only (its hash, its lane, the indexes it joins).
    expect(perWoken).toBeLessThan(40);
    const touched = new Set(atDue.commands.map((c) => c.split(' ')[1] ?? ''));
    expect([...touched].filter((key) => /run:p-(\d+)$/.test(key)).sort()).toEqual([
      '{runs}:run:p-0',
      '{runs}:run:p-1',
      '{runs}:run:p-2',
    ]);
    expect((await full.queue.stats(T0 + 2000)).parked).toBe(PARKED - 3);
  }, 120_000);
});

async function waitFor(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
