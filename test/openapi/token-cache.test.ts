import { describe, expect, it } from 'vitest';
import { TokenCache, type IssuedToken } from '../../src/openapi/token-cache.ts';

function setup(lifetimeSec = 7200) {
  let clock = 1_000_000;
  let requests = 0;
  const gates: Array<(value: IssuedToken) => void> = [];
  const cache = new TokenCache({
    now: () => clock,
    fetch: () => {
      requests += 1;
      return new Promise<IssuedToken>((resolve) => gates.push(resolve));
    },
  });
  const issue = (token: string) => gates.shift()?.({ ok: true, token, expiresInSec: lifetimeSec });
  return {
    cache,
    issue,
    advance: (ms: number) => (clock += ms),
    requests: () => requests,
  };
}

describe('TokenCache', () => {
  it('makes exactly one token request for 1,000 concurrent calls at expiry', async () => {
    const t = setup();
    const first = t.cache.get();
    t.issue('p-1');
    await expect(first).resolves.toEqual({ ok: true, token: 'p-1' });
    t.advance(7200_000 - 180_000);
    const waiting = Array.from({ length: 1000 }, () => t.cache.get());
    await Promise.resolve();
    t.issue('p-2');
    const results = await Promise.all(waiting);
    expect(t.requests()).toBe(2);
    expect(new Set(results.map((r) => (r.ok ? r.token : 'failed')))).toEqual(new Set(['p-2']));
  });

  it('serves the cached token until expiry minus the 180 s margin', async () => {
    const t = setup();
    const first = t.cache.get();
    t.issue('p-1');
    await first;
    t.advance(7200_000 - 180_001);
    await expect(t.cache.get()).resolves.toEqual({ ok: true, token: 'p-1' });
    expect(t.requests()).toBe(1);
    t.advance(1);
    const next = t.cache.get();
    t.issue('p-2');
    await expect(next).resolves.toEqual({ ok: true, token: 'p-2' });
  });

  it('uses half a lifetime shorter than twice the margin', async () => {
    const t = setup(60);
    const first = t.cache.get();
    t.issue('p-1');
    await first;
    t.advance(29_999);
    await expect(t.cache.get()).resolves.toEqual({ ok: true, token: 'p-1' });
    t.advance(1);
    void t.cache.get();
    expect(t.requests()).toBe(2);
  });

  it('drops only the token that was rejected', async () => {
    const t = setup();
    const first = t.cache.get();
    t.issue('p-1');
    await first;
    t.cache.drop('p-1');
    const second = t.cache.get();
    t.issue('p-2');
    await second;
    t.cache.drop('p-1');
    expect(t.cache.peek()).toBe('p-2');
    t.cache.drop();
    expect(t.cache.peek()).toBeUndefined();
  });

  it('shares a failure with every waiter and asks again next time', async () => {
    let requests = 0;
    const cache = new TokenCache({
      fetch: () => {
        requests += 1;
        return Promise.resolve({ ok: false, outcome: { class: 'auth', errCode: 10021, durationMs: 0 } });
      },
    });
    const results = await Promise.all([cache.get(), cache.get()]);
    expect(results.every((r) => !r.ok && r.outcome.errCode === 10021)).toBe(true);
    expect(requests).toBe(1);
    await cache.get();
    expect(requests).toBe(2);
  });

  it('turns a fetch that throws into a transient failure instead of a rejection', async () => {
    const cache = new TokenCache({
      fetch: () => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' })),
    });
    await expect(cache.get()).resolves.toEqual({
      ok: false,
      outcome: { class: 'transient', networkError: 'ECONNRESET', durationMs: 0 },
    });
  });
});
