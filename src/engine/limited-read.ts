import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAutopilotError } from '../errors.ts';
import { catalogueRateLimit } from '../executor/executor.ts';
import type { RateLimiter } from '../executor/rate-limiter.ts';
import { outcomeError } from '../openapi/outcome-error.ts';
import type { ApiCaller, ApiOutcome } from '../openapi/types.ts';
import type { ApiCall } from '../plan/run.ts';
import type { ReadData } from './work-item-loader.ts';

export interface LimitedReadOptions {
  api: ApiCaller;
  /** The executor's limiter: reads and writes share one budget per (token, endpoint). */
  limiter: RateLimiter;
  now: () => number;
  /** Attempts for transient failures before giving up. @defaultValue 3 */
  attempts?: number;
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Reads made while matching (the work item a condition needs). They wait for the limiter
 * instead of being rescheduled, because matching an event is short and not a worker slot; a
 * read that still fails throws, and the event stays unprocessed so it is matched again later.
 */
export function createLimitedRead(options: LimitedReadOptions): ReadData {
  const { api, limiter, now } = options;
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  const attempts = options.attempts ?? 3;
  return async (call: ApiCall) => {
    const { key, cls } = catalogueRateLimit(call.operation);
    let tokenDropped = false;
    const holder = `read-${randomUUID()}`;
    for (let attempt = 1; ; attempt++) {
      let limiterKey: string;
      try {
        limiterKey = `${await api.tokenKey()} ${key}`;
      } catch (error) {
        // The plugin token could not be fetched for now: a blip retried like the read's own, not
        // an event failed at once (it would wait for its retry, and its work item with it).
        if (!failedForNow(error) || attempt >= attempts) throw error;
        await wait(backoff(attempt));
        continue;
      }
      const reservation = await limiter.reserve(limiterKey, cls, now(), holder);
      if (!reservation.ok) {
        await wait(Math.max(1, reservation.retryAt - now()));
        attempt--;
        continue;
      }
      let outcome: ApiOutcome;
      try {
        outcome = await api.call(call);
      } finally {
        // The slot counts from the answer, so a delay between admission and send cannot cause a 10429.
        await limiter.complete?.(limiterKey, holder, now());
      }
      if (outcome.class === 'ok') return outcome.data;
      if (outcome.class === 'auth' && !tokenDropped) {
        tokenDropped = true;
        api.dropToken();
        attempt--;
        continue;
      }
      const retryable = outcome.class === 'transient' || outcome.class === 'rate_limited';
      if (!retryable || attempt >= attempts) throw outcomeError(`read ${call.operation} failed`, outcome);
      await wait(backoff(attempt));
    }
  };
}

function backoff(attempt: number): number {
  return Math.min(2_000, 100 * 2 ** attempt);
}

function failedForNow(error: unknown): boolean {
  return isAutopilotError(error, 'AP_API_TRANSIENT') || isAutopilotError(error, 'AP_API_RATE_LIMITED');
}
