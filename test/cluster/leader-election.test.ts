import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEmbeddedLeaderElector,
  type LeaderElector,
  type Leadership,
} from '../../src/leader/leader-elector.ts';
import { createRedisLeaderElector } from '../../src/leader/redis-leader-elector.ts';
import { describeCluster, uniqueNamespace } from './support/services.ts';

const TTL = 600;
const INTERVAL = 150;

/** Resolves with the first leadership change of `elector` that `accept` takes. */
function nextChange(elector: LeaderElector, accept: (l: Leadership) => boolean): Promise<Leadership> {
  return new Promise((resolve) => {
    const off = elector.on('change', (leadership) => {
      if (!accept(leadership)) return;
      off();
      resolve(leadership);
    });
  });
}

/** The first of `electors` to gain leadership, with its index. */
function firstLeader(electors: LeaderElector[]): Promise<{ index: number; token: number }> {
  return Promise.race(
    electors.map((elector, index) =>
      nextChange(elector, (l) => l.leading).then((l) => ({ index, token: l.token! })),
    ),
  );
}

describeCluster('Redis leader election', (services) => {
  const clients: Redis[] = [];
  const electors: LeaderElector[] = [];
  const errors: unknown[] = [];

  const candidates = (count: number, prefix = uniqueNamespace().prefix) =>
    Array.from({ length: count }, (_, i) => {
      const redis = new Redis(services().redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
      redis.on('error', (error) => errors.push(error));
      clients.push(redis);
      const elector = createRedisLeaderElector({
        redis,
        prefix,
        id: `engine-${i}`,
        ttlMs: TTL,
        intervalMs: INTERVAL,
        onError: (error) => errors.push(error),
      });
      electors.push(elector);
      return { redis, elector };
    });

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((elector) => elector.stop()));
    for (const client of clients.splice(0)) client.disconnect();
  });

  it('elects exactly one leader among three, with a fencing token', async () => {
    const group = candidates(3);
    const elected = firstLeader(group.map((c) => c.elector));
    for (const { elector } of group) elector.start();
    const { index, token } = await elected;
    expect(token).toBeGreaterThan(0);
    expect(group.map((c) => c.elector.isLeader())).toEqual([0, 1, 2].map((i) => i === index));
    expect(group[index]!.elector.fencingToken()).toBe(token);
    expect(group.filter((c) => c.elector.fencingToken() !== undefined)).toHaveLength(1);
  });

  it('hands over at once when the leader stops, with a larger token', async () => {
    const group = candidates(2);
    const elected = firstLeader(group.map((c) => c.elector));
    for (const { elector } of group) elector.start();
    const first = await elected;
    const other = group[1 - first.index]!.elector;
    const takeover = nextChange(other, (l) => l.leading);
    const lost = nextChange(group[first.index]!.elector, (l) => !l.leading);
    await group[first.index]!.elector.stop();
    await lost;
    const second = await takeover;
    expect(second.token).toBeGreaterThan(first.token);
    expect(group[first.index]!.elector.isLeader()).toBe(false);
  });

  it('takes over once a dead leader’s term has run out, not before, and the dead one steps down by itself', async () => {
    const prefix = uniqueNamespace().prefix;
    const group = candidates(3, prefix);
    const elected = firstLeader(group.map((c) => c.elector));
    for (const { elector } of group) elector.start();
    const first = await elected;
    const dead = group[first.index]!;
    const survivors = group.filter((c) => c !== dead).map((c) => c.elector);
    const takeover = firstLeader(survivors);
    const deposed = nextChange(dead.elector, (l) => !l.leading);
    dead.redis.disconnect(); // the process can no longer renew: as good as dead to the others
    const lookedAt = Date.now();
    const termLeftMs = await survivorsRedis(group, dead).pttl(`${prefix}leader:{scheduler}:lock`);
    const second = await takeover;
    const takeoverMs = Date.now() - lookedAt;
    await deposed;
    expect(second.token).toBeGreaterThan(first.token);
    // Not before the dead one's term ran out (Redis's clock, not ours). How soon after is up to the
    // machine's load: a takeover that never comes times the test out.
    expect(termLeftMs).toBeGreaterThan(0);
    expect(takeoverMs).toBeGreaterThanOrEqual(termLeftMs - 1);
    expect(dead.elector.isLeader()).toBe(false);
    expect(survivors.filter((e) => e.isLeader())).toHaveLength(1);
    expect(errors.length).toBeGreaterThan(0); // the dead one's failed renewals were reported
  });

  it('refuses a term shorter than 100 ms or an interval not below the term', () => {
    const redis = new Redis(services().redisUrl, { lazyConnect: true });
    expect(() => createRedisLeaderElector({ redis, ttlMs: 50 })).toThrow(/ttlMs/);
    expect(() => createRedisLeaderElector({ redis, ttlMs: 1000, intervalMs: 1000 })).toThrow(/intervalMs/);
    redis.disconnect();
  });
});

describe('embedded leader elector', () => {
  it('leads from start to stop, always with token 1', async () => {
    const elector = createEmbeddedLeaderElector();
    const changes: Leadership[] = [];
    elector.on('change', (l) => changes.push(l));
    expect(elector.isLeader()).toBe(false);
    elector.start();
    elector.start();
    expect(elector.isLeader()).toBe(true);
    expect(elector.fencingToken()).toBe(1);
    await elector.stop();
    expect(elector.fencingToken()).toBeUndefined();
    expect(changes).toEqual([{ leading: true, token: 1 }, { leading: false }]);
  });

  it('tells every listener even when one throws', () => {
    const failures: unknown[] = [];
    const elector = createEmbeddedLeaderElector({ onListenerError: (e) => failures.push(e) });
    const heard: boolean[] = [];
    elector.on('change', () => {
      throw new Error('listener bug');
    });
    elector.on('change', (l) => heard.push(l.leading));
    elector.start();
    expect(heard).toEqual([true]);
    expect(failures).toHaveLength(1);
  });
});

function survivorsRedis(group: Array<{ redis: Redis }>, dead: { redis: Redis }): Redis {
  return group.find((c) => c !== dead)!.redis;
}
