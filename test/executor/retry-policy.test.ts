import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideRetry,
  DEFAULT_RETRY,
  retrySettings,
  type RetryInput,
} from '../../src/executor/retry-policy.ts';
import type { ApiOutcome, OutcomeClass } from '../../src/openapi/types.ts';

function outcome(cls: OutcomeClass, extra: Partial<ApiOutcome> = {}): ApiOutcome {
  return { class: cls, durationMs: 3, ...extra };
}

function input(over: Partial<RetryInput>): RetryInput {
  return {
    outcome: outcome('ok'),
    actionType: 'comment',
    attempt: 1,
    firstAttemptAt: 1000,
    now: 1000,
    tokenRefreshed: false,
    random: () => 0.5,
    ...over,
  };
}

const API_ERROR = {
  errCode: 20038,
  errMsg: 'Required Field Is Not Set',
  innerMsg: 'owner Required',
  logId: 'L1',
};

describe('decideRetry', () => {
  it('is done on ok, and already applied on 10430', () => {
    expect(decideRetry(input({}))).toEqual({ kind: 'done', outcome: 'done' });
    expect(decideRetry(input({ outcome: outcome('already_applied', { errCode: 10430 }) }))).toEqual({
      kind: 'done',
      outcome: 'already_applied',
    });
  });

  it('dead-letters a permanent error after one attempt, keeping the API error', () => {
    const d = decideRetry(input({ outcome: outcome('permanent', { ...API_ERROR, httpStatus: 400 }) }));
    expect(d).toEqual({
      kind: 'dead',
      error: {
        code: 'AP_API_PERMANENT',
        message: 'refused permanently: 20038 Required Field Is Not Set',
        errCode: 20038,
        errMsg: 'Required Field Is Not Set / owner Required',
        logId: 'L1',
        httpStatus: 400,
      },
    });
  });

  it.each([
    ['complete_node', 20017],
    ['restore', 20008],
    ['abort', 20007],
  ])('treats %s refused with %i as already applied', (actionType, errCode) => {
    const d = decideRetry(input({ actionType, outcome: outcome('permanent', { errCode }) }));
    expect(d).toEqual({ kind: 'done', outcome: 'already_applied' });
  });

  it.each([
    ['comment', 20017],
    ['abort', 20008],
    ['restore', 20007],
    ['complete_node', 20016],
  ])('keeps %s refused with %i permanent (the intent does not hold)', (actionType, errCode) => {
    expect(decideRetry(input({ actionType, outcome: outcome('permanent', { errCode }) })).kind).toBe('dead');
  });

  it('refreshes the token once on an auth error, then gives up', () => {
    const auth = outcome('auth', { errCode: 10022, errMsg: 'Check Token Failed', httpStatus: 401 });
    expect(decideRetry(input({ outcome: auth }))).toEqual({ kind: 'refresh_token' });
    const d = decideRetry(input({ outcome: auth, tokenRefreshed: true }));
    expect(d.kind === 'dead' && d.error).toMatchObject({
      code: 'AP_API_AUTH',
      errCode: 10022,
      httpStatus: 401,
    });
  });

  it('retries a transient error with full-jitter exponential backoff capped at 60 s', () => {
    const transient = outcome('transient', { errCode: 50006, httpStatus: 500 });
    const at = (attempt: number, r: number) =>
      decideRetry(input({ outcome: transient, attempt, now: 5000, random: () => r }));
    expect(at(1, 0.5)).toMatchObject({ kind: 'retry', at: 5500, attemptsUsed: 1, reason: 'transient' });
    expect(at(3, 0.5)).toMatchObject({ kind: 'retry', at: 7000, attemptsUsed: 3 });
    expect(at(9, 0.999)).toMatchObject({ kind: 'retry', at: 5000 + 59_940 });
    expect(at(2, 0)).toMatchObject({ kind: 'retry', at: 5001 });
  });

  it('keeps every transient delay within [1 ms, min(cap, base * 2^(n-1))]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (n, r) => {
        const d = decideRetry(
          input({ outcome: outcome('transient'), attempt: n, now: 0, firstAttemptAt: 0, random: () => r }),
        );
        if (d.kind !== 'retry') throw new Error('expected a retry');
        expect(d.at).toBeGreaterThanOrEqual(1);
        expect(d.at).toBeLessThanOrEqual(Math.min(60_000, 1000 * 2 ** (n - 1)));
      }),
    );
  });

  it('gives up after 10 attempts', () => {
    const d = decideRetry(
      input({ outcome: outcome('transient', { networkError: 'UND_ERR_SOCKET' }), attempt: 10 }),
    );
    expect(d).toMatchObject({
      kind: 'dead',
      error: { code: 'AP_API_TRANSIENT', message: 'gave up after 10 attempts: UND_ERR_SOCKET' },
    });
  });

  it('gives up when the next try would fall past 24 h from the first attempt', () => {
    const now = 24 * 3600_000;
    const d = decideRetry(input({ outcome: outcome('transient'), attempt: 3, firstAttemptAt: 0, now }));
    expect(d.kind).toBe('dead');
  });

  it('waits briefly on a rate limit without using up an attempt', () => {
    const d = decideRetry(
      input({ outcome: outcome('rate_limited', { errCode: 10429 }), attempt: 10, now: 100 }),
    );
    expect(d).toMatchObject({ kind: 'retry', at: 600, attemptsUsed: 9, reason: 'rate_limited' });
  });

  it('ends rate-limit waits at the elapsed cap', () => {
    const d = decideRetry(
      input({ outcome: outcome('rate_limited'), firstAttemptAt: 0, now: 24 * 3600_000, random: () => 0.9 }),
    );
    expect(d).toMatchObject({ kind: 'dead', error: { code: 'AP_API_RATE_LIMITED' } });
  });

  it('follows the rule override field by field', () => {
    const override = { max_attempts: 2, base_delay: '10ms', max_delay: '20ms', max_elapsed: '1s' };
    expect(retrySettings(override)).toEqual({
      maxAttempts: 2,
      baseDelayMs: 10,
      maxDelayMs: 20,
      maxElapsedMs: 1000,
    });
    expect(retrySettings({ max_attempts: 3 })).toEqual({ ...DEFAULT_RETRY, maxAttempts: 3 });
    const t = outcome('transient');
    expect(
      decideRetry(input({ outcome: t, override, attempt: 1, now: 0, firstAttemptAt: 0, random: () => 0.99 })),
    ).toMatchObject({ kind: 'retry', at: 9 });
    expect(decideRetry(input({ outcome: t, override, attempt: 2 })).kind).toBe('dead');
  });

  it('refuses a malformed duration in the override with a clear error', () => {
    expect(() => retrySettings({ max_delay: 'soon' })).toThrow(/soon/);
    expect(retrySettings({ max_elapsed: '2d' }).maxElapsedMs).toBe(172_800_000);
  });

  it('describes an answerless failure', () => {
    const d = decideRetry(input({ outcome: outcome('permanent', { httpStatus: 418 }) }));
    expect(d).toMatchObject({
      kind: 'dead',
      error: { message: 'refused permanently: HTTP 418', httpStatus: 418 },
    });
  });
});
