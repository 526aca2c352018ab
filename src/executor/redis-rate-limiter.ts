/**
 * The rate limiter of the cluster profile: the same GCRA as the in-process limiter
 * (./rate-limiter.ts: admissions spaced by `period / (limit × safety)` per window, no burst), with
 * its cells in Redis and every decision taken by one Lua script, so that any number of processes
 * sharing the Redis together stay within every limit of the class in any sliding window.
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
   * Fraction of the nominal rate actually used, leaving room for jitter on the wire.
   * @defaultValue 0.97 (as the in-process limiter)
   */
  safety?: number;
  /**
   * Whose clock decides: Redis's (`'server'`) or the `now` each caller passes (`'caller'`).
   * @defaultValue `'server'`
   */
  clock?: 'server' | 'caller';
  /** The caller's clock, used by `block` to translate `until` in server mode. @defaultValue Date.now */
  now?: () => number;
}

// KEYS[1] = block key, KEYS[2..] = one cell per window. ARGV[1] = caller's now ('' = server clock),
// ARGV[2..] = the spacing of each window in ms. Replies {admitted, admitAt, decidedAt}.
const RESERVE = redisScript(`
if redis.replicate_commands then redis.replicate_commands() end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local admit = tonumber(redis.call('GET', KEYS[1]) or '-1')
for i = 2, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '-1')
  if tat > admit then admit = tat end
end
if admit > now then
  return {0, string.format('%.3f', admit), string.format('%.3f', now)}
end
for i = 2, #KEYS do
  local interval = tonumber(ARGV[i])
  redis.call('SET', KEYS[i], string.format('%.3f', now + interval), 'PX', math.ceil(interval) + 60000)
end
return {1, string.format('%.3f', now), string.format('%.3f', now)}
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

export interface RedisRateLimiter extends RateLimiter {
  reserve(key: string, cls: RateLimitClass, now: number): Promise<Reservation>;
  block(key: string, until: number): Promise<void>;
  /** `reserve` plus the script's own time of decision. */
  reserveDetailed(key: string, cls: RateLimitClass, now: number): Promise<RedisReservation>;
}

export function createRedisRateLimiter(
  redis: Redis,
  options: RedisRateLimiterOptions = {},
): RedisRateLimiter {
  const prefix = options.prefix ?? 'autopilot:';
  const safety = options.safety ?? 0.97;
  const serverClock = (options.clock ?? 'server') === 'server';
  const callerNow = options.now ?? Date.now;
  if (!(safety > 0 && safety <= 1)) throw new RangeError(`safety must be in (0, 1], got ${safety}`);

  // One hash tag per limiter key: its cells share a slot, different keys spread over a cluster.
  const keyBase = (key: string) => `${prefix}rl:{${key}}`;

  const reserveDetailed = async (
    key: string,
    cls: RateLimitClass,
    now: number,
  ): Promise<RedisReservation> => {
    const windows = limitWindows(cls).map(checkedWindow);
    const keys = [`${keyBase(key)}:block`, ...windows.map((w) => `${keyBase(key)}:${w.periodMs}`)];
    const args = [
      serverClock ? '' : String(now),
      ...windows.map((w) => String(w.periodMs / (w.limit * safety))),
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
  if (!(Number.isFinite(window.limit) && window.limit > 0)) {
    throw new RangeError(`rate limit must be a positive number, got ${window.limit}`);
  }
  return window;
}
