/**
 * The rate limiter of the cluster profile: a sliding log per limit window in Redis, every decision
 * taken by one Lua script, so that any number of processes sharing the Redis together stay within
 * every limit of the class (15/s, 450/min) in any sliding window.
 *
 * A window of `limit` per `period` keeps its last `limit` admission times; a request is admitted
 * when the oldest of them is more than `period + marginMs` ago (`marginMs` absorbs jitter between
 * our decision and the server's arrival time) and the newest more than `smoothing × period / limit`
 * ago (bursts would queue in connection pools and reach the server closer together than sent). A
 * caller that comes back late loses nothing: slots are counted from admissions, not from a
 * schedule. Refused callers are told staggered times (one slot apart), so they do not all come
 * back at once.
 *
 * Time. With `clock: 'server'` (the default) the script reads Redis's own clock, so the hosts'
 * clocks may disagree; the `retryAt` it returns is translated back to the caller's timeline
 * (`now + wait`). With `clock: 'caller'` the `now` passed in is used as is: for tests with an
 * injected clock, or when every process shares one clock anyway.
 */
import type { Redis } from 'ioredis';
import { redisScript } from '../store/cluster/redis-script.ts';
import { limitWindows, type RateLimiter, type RateLimitClass, type Reservation } from './rate-limiter.ts';

export interface RedisRateLimiterOptions {
  /**
   * Prefix of every key (one Redis can serve several deployments).
   * @defaultValue `'autopilot:'`
   */
  prefix?: string;
  /**
   * Extra time each slot stays taken beyond its window, for jitter between the decision and the
   * request's arrival at the server (processes on several hosts, pauses). The cluster benchmark
   * on a loaded machine: 40 ms gave 0.95 of the limit with a few 10429, 100 ms 0.91 with none,
   * but the three-engine test under the full suite's load still saw one 10429 at 100 ms; 250 ms
   * holds there. Counting slots from the answer (as the in-process limiter does) would let this
   * shrink again.
   * @defaultValue 250
   */
  marginMs?: number;
  /**
   * Smallest gap between two admissions on a key, as a fraction of `period / limit`.
   * @defaultValue 0.5
   */
  smoothing?: number;
  /**
   * Whose clock decides: Redis's (`'server'`) or the `now` each caller passes (`'caller'`).
   * @defaultValue `'server'`
   */
  clock?: 'server' | 'caller';
  /** The caller's clock, used by `block` to translate `until` in server mode. @defaultValue Date.now */
  now?: () => number;
}

// KEYS[1] = block key, KEYS[2] = waiting counter, KEYS[3..] = one log per window (newest first).
// ARGV[1] = caller's now ('' = server clock), ARGV[2] = margin, ARGV[3] = smoothing,
// then (limit, period) per window. Replies {admitted, admitAt or retryAt, decidedAt}.
const RESERVE = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local margin, smoothing = tonumber(ARGV[2]), tonumber(ARGV[3])
local admitAt = tonumber(redis.call('GET', KEYS[1]) or '-1')
local slot = 0
for i = 3, #KEYS do
  local limit, period = tonumber(ARGV[2 * i - 2]), tonumber(ARGV[2 * i - 1])
  if redis.call('LLEN', KEYS[i]) >= limit then
    admitAt = math.max(admitAt, tonumber(redis.call('LINDEX', KEYS[i], limit - 1)) + period + margin)
  end
  local newest = redis.call('LINDEX', KEYS[i], 0)
  if newest then admitAt = math.max(admitAt, tonumber(newest) + smoothing * period / limit) end
  slot = math.max(slot, period / limit)
end
if admitAt <= now then
  for i = 3, #KEYS do
    local limit, period = tonumber(ARGV[2 * i - 2]), tonumber(ARGV[2 * i - 1])
    redis.call('LPUSH', KEYS[i], string.format('%.3f', now))
    redis.call('LTRIM', KEYS[i], 0, limit - 1)
    redis.call('PEXPIRE', KEYS[i], math.ceil(period + margin) + 60000)
  end
  if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
  return {1, string.format('%.3f', now), string.format('%.3f', now)}
end
-- the n-th caller waiting is told the n-th slot from the first free one, wrapping after a second
local waiting = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 2000)
local retryAt = admitAt + ((waiting - 1) % math.ceil(1000 / slot)) * slot
return {0, string.format('%.3f', retryAt), string.format('%.3f', now)}
`);

// KEYS[1] = block key. ARGV[1] = until, ARGV[2] = caller's now ('' = `until` is already on the
// clock in use), in server mode the wait is re-based on Redis's clock.
const BLOCK = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local untilAt = tonumber(ARGV[1])
local callerNow = tonumber(ARGV[2])
local now = callerNow
if callerNow then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  untilAt = now + (untilAt - callerNow)
else
  now = untilAt
end
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if untilAt > current then
  redis.call('SET', KEYS[1], string.format('%.3f', untilAt), 'PX', math.ceil(untilAt - now) + 60000)
end
return 1
`);

/** What one decision looked like on the limiter's clock (tests and the benchmark read it). */
export interface RedisReservation {
  reservation: Reservation;
  /** When the script decided, on the clock in use (Redis's in server mode). */
  decidedAt: number;
}

/**
 * `holder` (the run asking) is accepted for the interface and not needed: slots are not booked,
 * refused callers are staggered instead.
 */
export interface RedisRateLimiter extends RateLimiter {
  reserve(key: string, cls: RateLimitClass, now: number, holder?: string): Promise<Reservation>;
  block(key: string, until: number): Promise<void>;
  /** `reserve` plus the script's own time of decision. */
  reserveDetailed(key: string, cls: RateLimitClass, now: number): Promise<RedisReservation>;
}

export function createRedisRateLimiter(
  redis: Redis,
  options: RedisRateLimiterOptions = {},
): RedisRateLimiter {
  const prefix = options.prefix ?? 'autopilot:';
  const marginMs = options.marginMs ?? 250;
  const smoothing = options.smoothing ?? 0.5;
  const serverClock = (options.clock ?? 'server') === 'server';
  const callerNow = options.now ?? Date.now;
  if (!(marginMs >= 0 && marginMs < 1000))
    throw new RangeError(`marginMs must be in [0, 1000), got ${marginMs}`);
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new RangeError(`smoothing must be in [0, 1], got ${smoothing}`);

  // One hash tag per limiter key: its cells share a slot, different keys spread over a cluster.
  const keyBase = (key: string) => `${prefix}rl:{${key}}`;

  const reserveDetailed = async (
    key: string,
    cls: RateLimitClass,
    now: number,
  ): Promise<RedisReservation> => {
    const windows = limitWindows(cls).map(checkedWindow);
    const base = keyBase(key);
    const keys = [`${base}:block`, `${base}:waiting`, ...windows.map((w) => `${base}:${w.periodMs}`)];
    const args = [
      serverClock ? '' : String(now),
      String(marginMs),
      String(smoothing),
      ...windows.flatMap((w) => [String(w.limit), String(w.periodMs)]),
    ];
    const [admitted, admitAtText, decidedAtText] = (await RESERVE.run(redis, keys, args)) as [
      number,
      string,
      string,
    ];
    const decidedAt = Number(decidedAtText);
    if (admitted === 1) return { reservation: { ok: true }, decidedAt };
    const admitAt = Number(admitAtText);
    const retryAt = serverClock ? now + Math.ceil(admitAt - decidedAt) : Math.ceil(admitAt);
    return { reservation: { ok: false, retryAt }, decidedAt };
  };

  return {
    reserveDetailed,
    async reserve(key, cls, now) {
      return (await reserveDetailed(key, cls, now)).reservation;
    },
    async block(key, until) {
      await BLOCK.run(
        redis,
        [`${keyBase(key)}:block`],
        [String(until), serverClock ? String(callerNow()) : ''],
      );
    },
  };
}

function checkedWindow(window: { limit: number; periodMs: number }) {
  if (!(Number.isSafeInteger(window.limit) && window.limit > 0)) {
    throw new RangeError(`rate limit must be a positive integer, got ${window.limit}`);
  }
  return window;
}
