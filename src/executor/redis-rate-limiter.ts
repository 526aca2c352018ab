/**
 * The rate limiter of the cluster profile: a sliding log per limit window in Redis, every decision
 * taken by one Lua script, so that any number of processes sharing the Redis together stay within
 * every limit of the class (15/s, 450/min) in any sliding window of the server's arrivals.
 *
 * Like the in-process limiter, a slot counts from the API's answer, not from the admission: the
 * server saw the request somewhere between the two, so a request delayed after admission (a busy
 * event loop, a queue in the connection pool) cannot crowd the next second. A window of `limit` per
 * `period` holds the requests admitted and not answered yet (in flight) plus those answered within
 * `period + marginMs`; a request is admitted while that count is below `limit` and the newest
 * admission is more than `smoothing × period / limit` ago (bursts would queue in connection pools
 * and reach the server closer together than sent). `marginMs` then only covers clock granularity.
 *
 * A request admitted without a `holder`, or whose answer is not reported within `holdMs` (its
 * process died), counts from then; an answer reported later still moves its slot forward. Refused
 * holders wait in a line: each is told when the slot at its place frees (at least half a slot
 * after the one ahead), keeps its place when it comes back early or finds the slot taken, and
 * leaves the line when admitted or after `holdMs` past its time. A free slot goes to whoever asks
 * first, so a holder that comes back late leaves no slot idle.
 *
 * Time. With `clock: 'server'` (the default) the script reads Redis's own clock, for admissions and
 * answers alike, so the hosts' clocks may disagree; the `retryAt` it returns is translated back to
 * the caller's timeline (`now + wait`). With `clock: 'caller'` the times passed in are used as
 * they are: for tests with an injected clock, or when every process shares one clock anyway.
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
   * Extra time each slot stays taken beyond its window. Slots count from the answer, so this only
   * covers clock granularity (the server's millisecond clock) and drift between Redis's clock and
   * the server's.
   * @defaultValue 5
   */
  marginMs?: number;
  /**
   * How long an admitted request's slot waits for its answer (`complete`) before it counts from
   * then. Its answer, if it comes later, still moves the slot forward (until the slot has been
   * out of every window).
   * @defaultValue 2000
   */
  holdMs?: number;
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

// Keys of one limiter key, all under one hash tag. `flight` maps each holder in flight to its
// admission time; a window's log is a sorted set of answered requests scored by the time they
// count from, the member being the holder (its latest request) or a unique `#<seq>` name;
// `waiting` is the line of refused holders, scored by the time each was told.
const KEY_PARTS = ['block', 'waiting', 'flight', 'last', 'seq'] as const;
const MAX_REMEMBERED_KEYS = 1000;

// Shared by both scripts: the clock in use and the member helpers.
const PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end
local function clock(given)
  local now = tonumber(given)
  if now then return now end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function fmt(x) return string.format('%.3f', x) end
-- a time to come back is rounded up: rounded down, it could be refused again at that very time
local function fmtUp(x) return string.format('%.3f', math.ceil(x * 1000) / 1000) end
`;

// KEYS = block, waiting, flight, last, seq, then one log per window.
// ARGV[1] = caller's now ('' = server clock), ARGV[2] = margin, ARGV[3] = smoothing,
// ARGV[4] = hold, ARGV[5] = holder ('' = none), then (limit, period) per window.
// Replies {admitted, admitAt or retryAt, decidedAt}.
const RESERVE = redisScript(`${PRELUDE}
local now = clock(ARGV[1])
local margin, smoothing, hold, holder = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local logs = {}
for i = 6, #KEYS do
  logs[#logs + 1] = {key = KEYS[i], limit = tonumber(ARGV[2 * i - 6]), period = tonumber(ARGV[2 * i - 5])}
end
-- Requests still unanswered after the hold (their process died?) count from now: they may
-- still reach the server. So does a holder asking again while in flight (a duplicate worker).
local inFlight = 0
local flight = redis.call('HGETALL', KEYS[3])
for j = 1, #flight, 2 do
  if tonumber(flight[j + 1]) + hold < now or flight[j] == holder then
    for _, log in ipairs(logs) do redis.call('ZADD', log.key, 'GT', now, flight[j]) end
    redis.call('HDEL', KEYS[3], flight[j])
  else
    inFlight = inFlight + 1
  end
end
-- The line: a refused holder is told when the slot at its place frees and keeps its place when
-- it comes back early or finds the slot taken; a newcomer's place is behind everyone waiting.
-- Places only spread the returns: whoever finds a free slot takes it, so a holder that is late
-- (or never comes back, then dropped after the hold) leaves no slot idle.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - hold)
local place = redis.call('ZCARD', KEYS[2])
if holder ~= '' then
  local told = tonumber(redis.call('ZSCORE', KEYS[2], holder))
  if told and told > now then return {0, fmtUp(told), fmt(now)} end
  if told then place = redis.call('ZRANK', KEYS[2], holder) end
end
-- When the k-th slot (from 0) of a window is free: first those free now, then the answered ones
-- as they leave the window, then those in flight (a window from now at the earliest); past the
-- limit, one window later per round.
local function slotAt(log, answered, k)
  local cycle = log.period + margin
  local rounds = math.floor(k / log.limit)
  k = k % log.limit
  local freeNow = math.max(0, log.limit - answered - inFlight)
  local at = now + cycle
  if k < freeNow then
    at = now
  elseif k - freeNow < answered then
    at = tonumber(redis.call('ZRANGE', log.key, k - freeNow, k - freeNow, 'WITHSCORES')[2]) + cycle
  end
  return at + rounds * cycle
end
local admitAt = tonumber(redis.call('GET', KEYS[1]) or '-1')
local toldAt = admitAt
local slot = 0
for _, log in ipairs(logs) do
  redis.call('ZREMRANGEBYSCORE', log.key, '-inf', now - log.period - margin)
  local answered = redis.call('ZCARD', log.key)
  admitAt = math.max(admitAt, slotAt(log, answered, 0))
  toldAt = math.max(toldAt, slotAt(log, answered, place))
  slot = math.max(slot, log.period / log.limit)
end
local gap = smoothing * slot
local last = tonumber(redis.call('GET', KEYS[4]))
if last then admitAt = math.max(admitAt, last + gap) end
if admitAt <= now then
  local ttl = 0
  for _, log in ipairs(logs) do ttl = math.max(ttl, math.ceil(log.period + margin + hold) + 60000) end
  if holder ~= '' then
    -- the holder's previous answered request keeps its slot under a name of its own
    for _, log in ipairs(logs) do
      local previous = redis.call('ZSCORE', log.key, holder)
      if previous then
        redis.call('ZADD', log.key, previous, '#' .. redis.call('INCR', KEYS[5]))
        redis.call('ZREM', log.key, holder)
      end
    end
    redis.call('HSET', KEYS[3], holder, fmt(now))
    redis.call('PEXPIRE', KEYS[3], ttl)
    redis.call('ZREM', KEYS[2], holder)
  else
    local member = '#' .. redis.call('INCR', KEYS[5])
    for _, log in ipairs(logs) do redis.call('ZADD', log.key, now, member) end
  end
  for _, log in ipairs(logs) do redis.call('PEXPIRE', log.key, ttl) end
  redis.call('PEXPIRE', KEYS[5], ttl)
  redis.call('SET', KEYS[4], fmt(now), 'PX', ttl)
  return {1, fmt(now), fmt(now)}
end
-- told at least the smoothing gap after the one ahead in line, so the returns do not collide
toldAt = math.max(toldAt, admitAt)
if place > 0 then
  local ahead = redis.call('ZRANGE', KEYS[2], place - 1, place - 1, 'WITHSCORES')[2]
  if ahead then toldAt = math.max(toldAt, tonumber(ahead) + gap) end
end
if holder ~= '' then
  redis.call('ZADD', KEYS[2], toldAt, holder)
  redis.call('PEXPIRE', KEYS[2], math.ceil(toldAt - now + hold) + 60000)
end
return {0, fmtUp(toldAt), fmt(now)}
`);

// KEYS = flight, then one log per window. ARGV[1] = holder, ARGV[2] = caller's time of the answer
// ('' = server clock: now, just after the answer), ARGV[3] = the logs' time to live.
// The slot counts from the answer; GT: an answer reported twice, or after the hold, only moves
// it forward.
const COMPLETE = redisScript(`${PRELUDE}
local at = clock(ARGV[2])
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], 'GT', at, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 1
`);

// KEYS[1] = block key. ARGV[1] = until, ARGV[2] = caller's now ('' = \`until\` is already on the
// clock in use), in server mode the wait is re-based on Redis's clock.
const BLOCK = redisScript(`${PRELUDE}
local untilAt = tonumber(ARGV[1])
local callerNow = tonumber(ARGV[2])
local now = untilAt
if callerNow then
  now = clock('')
  untilAt = now + (untilAt - callerNow)
end
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if untilAt > current then
  redis.call('SET', KEYS[1], fmt(untilAt), 'PX', math.ceil(untilAt - now) + 60000)
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
 * `holder` (the run asking) names the request in flight, whose answer `complete` reports, and a
 * refused caller's place in the line.
 */
export interface RedisRateLimiter extends RateLimiter {
  reserve(key: string, cls: RateLimitClass, now: number, holder?: string): Promise<Reservation>;
  block(key: string, until: number): Promise<void>;
  complete(key: string, holder: string, at: number): Promise<void>;
  cancel(key: string, holder: string): Promise<void>;
  /** `reserve` plus the script's own time of decision. */
  reserveDetailed(key: string, cls: RateLimitClass, now: number, holder?: string): Promise<RedisReservation>;
}

export function createRedisRateLimiter(
  redis: Redis,
  options: RedisRateLimiterOptions = {},
): RedisRateLimiter {
  const prefix = options.prefix ?? 'autopilot:';
  const marginMs = options.marginMs ?? 5;
  const holdMs = options.holdMs ?? 2000;
  const smoothing = options.smoothing ?? 0.5;
  const serverClock = (options.clock ?? 'server') === 'server';
  const callerNow = options.now ?? Date.now;
  if (!(marginMs >= 0 && marginMs < 1000))
    throw new RangeError(`marginMs must be in [0, 1000), got ${marginMs}`);
  if (!(holdMs >= 0 && Number.isFinite(holdMs))) throw new RangeError(`holdMs must be ≥ 0, got ${holdMs}`);
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new RangeError(`smoothing must be in [0, 1], got ${smoothing}`);

  // One hash tag per limiter key: its cells share a slot, different keys spread over a cluster.
  const keyBase = (key: string) => `${prefix}rl:{${key}}`;
  // The windows each key was last admitted with, for `complete` (whose caller does not repeat the
  // class). A few keys per token and endpoint; capped so rotated tokens cannot make it grow.
  const windowsOf = new Map<string, Array<{ limit: number; periodMs: number }>>();
  const remember = (key: string, windows: Array<{ limit: number; periodMs: number }>) => {
    windowsOf.delete(key);
    windowsOf.set(key, windows);
    if (windowsOf.size > MAX_REMEMBERED_KEYS) windowsOf.delete(windowsOf.keys().next().value as string);
  };

  const reserveDetailed = async (
    key: string,
    cls: RateLimitClass,
    now: number,
    holder?: string,
  ): Promise<RedisReservation> => {
    const windows = limitWindows(cls).map(checkedWindow);
    if (holder !== undefined) remember(key, windows);
    const base = keyBase(key);
    const keys = [
      ...KEY_PARTS.map((part) => `${base}:${part}`),
      ...windows.map((w) => `${base}:${w.periodMs}`),
    ];
    const args = [
      serverClock ? '' : String(now),
      String(marginMs),
      String(smoothing),
      String(holdMs),
      holder ?? '',
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
    async reserve(key, cls, now, holder) {
      return (await reserveDetailed(key, cls, now, holder)).reservation;
    },
    async complete(key, holder, at) {
      const windows = windowsOf.get(key) ?? [];
      if (windows.length === 0) return; // nothing was admitted on this key by this limiter
      const base = keyBase(key);
      const ttl = Math.max(...windows.map((w) => Math.ceil(w.periodMs + marginMs + holdMs))) + 60_000;
      await COMPLETE.run(
        redis,
        [`${base}:flight`, ...windows.map((w) => `${base}:${w.periodMs}`)],
        [holder, serverClock ? '' : String(at), String(ttl)],
      );
    },
    async cancel(key, holder) {
      // Not sent after all: the slot in flight is free again (nothing reached the server).
      await redis.hdel(`${keyBase(key)}:flight`, holder);
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
