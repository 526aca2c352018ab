import type { RateLimiter, Reservation } from '../executor/rate-limiter.ts';

/**
 * Counts every request the rate limiter holds back, for `autopilot_limiter_waits_total`. The
 * limiter keys are `<token key> <rate-limit key>`; only the rate-limit key (an operation or its
 * shared group) becomes the label.
 */
export function countingLimiter(
  limiter: RateLimiter,
  onWait: (key: string) => void,
  onGranted?: (key: string, at: number) => void,
): RateLimiter {
  const counted = (key: string, reservation: Reservation, at: number): Reservation => {
    const label = waitLabel(key.slice(key.indexOf(' ') + 1));
    if (!reservation.ok) onWait(label);
    else onGranted?.(label, at);
    return reservation;
  };
  return {
    reserve(key, cls, now, holder) {
      const reservation = limiter.reserve(key, cls, now, holder);
      return reservation instanceof Promise
        ? reservation.then((r) => counted(key, r, now))
        : counted(key, reservation, now);
    },
    block: (key, until) => limiter.block(key, until),
    ...(limiter.complete && {
      complete: (key: string, holder: string, at: number) => limiter.complete?.(key, holder, at),
    }),
    ...(limiter.cancel && { cancel: (key: string, holder: string) => limiter.cancel?.(key, holder) }),
  };
}

/** Per-recipient Lark keys (`lark chat oc_…`) count under their kind, so the metric's labels stay few. */
function waitLabel(key: string): string {
  const match = /^(lark (?:chat|person|message)) /.exec(key);
  return match ? (match[1] as string) : key;
}
