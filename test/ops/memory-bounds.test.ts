/**
 * #17.11: the in-memory structures keyed per token, rule × work item, space × type and person
 * shrink again. Each test grows one as weeks of traffic would (token rotations, many work
 * items, many people), lets time pass, and checks the count falls back while live state stays.
 */
import { describe, expect, it } from 'vitest';
import { createWorkItemLoader } from '../../src/engine/work-item-loader.ts';
import { createLocalLimiter } from '../../src/executor/rate-limiter.ts';
import { RunBreaker } from '../../src/loop/run-breaker.ts';
import { ExpiringMap } from '../../src/ops/expiring-map.ts';
import { createPeopleDirectory } from '../../src/people/people-directory.ts';

const cls = { qps: 15 };

describe('local limiter keys', () => {
  it('drops the keys of rotated tokens once idle, and keeps what a fresh key would not know', () => {
    const limiter = createLocalLimiter({ sweepEveryMs: 60_000 });
    let now = 1_000_000;
    for (let token = 0; token < 100; token++) {
      expect(limiter.reserve(`token-${token} work_item.query`, cls, now).ok).toBe(true);
      now += 10;
    }
    expect(limiter.keyCount()).toBe(100);
    // A 10429 blocks one key for ten minutes: it must survive the sweep.
    limiter.block('token-99 work_item.query', now + 600_000);
    now += 120_000;
    expect(limiter.reserve('token-new work_item.query', cls, now).ok).toBe(true);
    expect(limiter.keyCount()).toBe(2);
    expect(limiter.reserve('token-99 work_item.query', cls, now).ok).toBe(false);
  });

  it('keeps a key with a request in flight', () => {
    const limiter = createLocalLimiter({ sweepEveryMs: 1000, holdMs: 1_000_000 });
    expect(limiter.reserve('t op', cls, 0, 'holder-1').ok).toBe(true);
    limiter.reserve('other op', cls, 5_000);
    expect(limiter.keyCount()).toBe(2);
    limiter.complete('t op', 'holder-1', 5_000);
    limiter.reserve('other op', cls, 20_000);
    expect(limiter.keyCount()).toBe(1);
  });
});

describe('run breaker', () => {
  it('forgets ended pauses of pairs that never run again', () => {
    const breaker = new RunBreaker(1, 1000);
    let now = 0;
    for (let lane = 0; lane < 6_000; lane++) {
      breaker.check('loop', `space:${lane}`, now);
      expect(breaker.check('loop', `space:${lane}`, now).tripped).toBe(true);
    }
    expect(breaker.size()).toBe(6_000);
    now += 5_000;
    for (let lane = 0; lane < 10_000; lane++) breaker.check('quiet', `space:${lane}`, now + lane * 0.01);
    expect(breaker.size()).toBeLessThan(10_500);
    expect(breaker.check('loop', 'space:1', now + 200).allowed).toBe(true);
  });
});

describe('field definitions and people', () => {
  it('sweeps expired field definitions of spaces no longer written to', async () => {
    let now = 0;
    const loader = createWorkItemLoader(
      async () => [],
      () => now,
      1000,
    );
    for (let space = 0; space < 50; space++) await loader.fieldMeta!(`space-${space}`, 'issue');
    expect(loader.cachedTypes!()).toBe(50);
    now = 2000;
    await loader.fieldMeta!('space-new', 'issue');
    expect(loader.cachedTypes!()).toBe(1);
  });

  it('sweeps people looked up once', async () => {
    let now = 0;
    const people = createPeopleDirectory({ now: () => now, ttlMs: 10_000, unknownTtlMs: 1000 });
    const read = async (call: { body?: unknown }) =>
      ((call.body as { user_keys: string[] }).user_keys ?? []).map((key) => ({
        user_key: key,
        email: `${key}@x.com`,
      }));
    await people.find(
      'user_keys',
      Array.from({ length: 200 }, (_, i) => `u${i}`),
      read as never,
    );
    await people.find('user_keys', ['ghost'], async () => []);
    expect(people.cachedIds!()).toBeGreaterThanOrEqual(201);
    now = 20_000;
    await people.find('user_keys', ['late'], read as never);
    expect(people.cachedIds!()).toBeLessThanOrEqual(2);
  });

  it('ExpiringMap answers nothing past an entry’s time, swept or not', () => {
    let now = 0;
    const map = new ExpiringMap<string, number>(() => now, 1_000_000);
    map.set('a', 1, 10);
    now = 11;
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
  });
});
