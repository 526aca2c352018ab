/**
 * Client-side rate limiting per (token, operation), one window per limit of the operation's
 * class (15/s; 15/s + 450/min; 10/s; 1/s). Pure: time is passed in, nothing sleeps. A caller
 * that is refused learns when to come back and reschedules its run.
 *
 * A window of `limit` per `period` holds the requests admitted and not answered yet (in flight)
 * plus those answered within `period + marginMs`; a request is admitted while that count is
 * below `limit`. A slot counts from the API's answer (`complete`), which the server saw before
 * it, so a request delayed between admission and leaving the process cannot crowd the next
 * period; `marginMs` only covers clock granularity.
 *
 * Refused callers that name themselves (`holder`) wait in a line, as in the cluster profile's
 * Redis limiter (redis-rate-limiter.ts): each is told when the slot at its place in the line
 * frees, one period later per round past the limit, so a burst of a thousand runs is
 * rescheduled once each instead of coming back every period to find the slots taken. A
 * newcomer waits behind a holder whose time has come, for `graceMs`; holders whose time has
 * come take the free slots in the order they ask, so one that never comes back leaves a slot
 * idle for `graceMs` at most. Holders are dropped from the line `holdMs` after their time.
 *
 * A reservation costs O(limit + line length).
 */
import type { RateLimit } from '../openapi/operation.ts';

/** The catalogue's rate limit of one operation: `qps`, plus `qpm` where the endpoint has it. */
export type RateLimitClass = RateLimit;

export type Reservation = { ok: true } | { ok: false; retryAt: number };

/** One limit a call must fit in: the limiter key (without the token) and its class. */
export interface LimitSpec {
  key: string;
  cls: RateLimitClass;
}

/**
 * The limiter as the executor sees it. The embedded profile keeps it in process
 * (`createLocalLimiter`); the cluster profile can implement it on Redis with the same contract.
 */
export interface RateLimiter {
  /**
   * Admits one request on `key` at `now` if every limit of `cls` allows it; otherwise says when
   * to come back and, when `holder` is given, keeps a slot for it. Never blocks.
   */
  reserve(key: string, cls: RateLimitClass, now: number, holder?: string): Reservation | Promise<Reservation>;
  /** The server answered 10429 on `key`: admit nothing there before `until`. */
  block(key: string, until: number): void | Promise<void>;
  /**
   * The request admitted for `holder` on `key` was answered at `at`. Optional: a limiter that
   * counts from the answer (which the server saw before it) is immune to delays between our
   * admission and the request leaving the process.
   */
  complete?(key: string, holder: string, at: number): void | Promise<void>;
  /**
   * The request admitted for `holder` on `key` was not sent after all (another limit of the
   * same call refused it): the slot is free again. Optional: without it the slot stays used,
   * which costs throughput but never lets too much through.
   */
  cancel?(key: string, holder: string): void | Promise<void>;
}

/**
 * Admits one request on every key, or on none: a key that refuses gives back the slots the
 * keys before it admitted, and its answer (when to come back) is the caller's.
 */
export async function reserveAll(
  limiter: RateLimiter,
  limits: readonly LimitSpec[],
  now: number,
  holder: string,
): Promise<Reservation> {
  const admitted: string[] = [];
  for (const { key, cls } of limits) {
    const reservation = await limiter.reserve(key, cls, now, holder);
    if (!reservation.ok) {
      for (const done of admitted) await limiter.cancel?.(done, holder);
      return reservation;
    }
    admitted.push(key);
  }
  return { ok: true };
}

/** The in-process limiter answers at once. */
export interface LocalRateLimiter extends RateLimiter {
  reserve(key: string, cls: RateLimitClass, now: number, holder?: string): Reservation;
  block(key: string, until: number): void;
  complete(key: string, holder: string, at: number): void;
  cancel(key: string, holder: string): void;
  /** Keys held in memory (idle ones are swept), for `autopilot_memory_entries`. */
  keyCount(): number;
}

export interface LocalLimiterOptions {
  /**
   * How long a slot stays taken beyond its period. With `complete` called, a slot counts from
   * the answer, so this only covers clock granularity; without it, it must also cover every
   * delay between admission and the server receiving the request.
   * @defaultValue 5
   */
  marginMs?: number;
  /**
   * How long past its time a refused holder keeps its place in the line, and how long an
   * admitted holder's slot waits for `complete` before counting from then.
   * @defaultValue 2000
   */
  holdMs?: number;
  /**
   * How long a free slot is kept for the holder told to come back at its time, before a later
   * holder or a newcomer may take it. Longer keeps the line's order under a slow event loop;
   * shorter leaves less idle when a holder never comes back.
   * @defaultValue 100
   */
  graceMs?: number;
  /**
   * Smallest gap between two admissions on a key, as a fraction of `1000 / qps`. Bursts queue
   * up in connection pools and reach the server spread out, which would eat the margin;
   * spacing them keeps what the server sees close to what we sent.
   * @defaultValue 0.5
   */
  smoothing?: number;
  /** How often idle keys are swept out of memory. @defaultValue 60000 */
  sweepEveryMs?: number;
}

export function limitWindows(cls: RateLimitClass): Array<{ limit: number; periodMs: number }> {
  const windows = [{ limit: cls.qps, periodMs: 1000 }];
  if (cls.qpm !== undefined) windows.push({ limit: cls.qpm, periodMs: 60_000 });
  return windows;
}

/** A request that left a slot taken: from `at` for one period plus the margin. */
interface Counted {
  at: number;
  /** Set while its answer may still move `at` forward (admitted with a holder, answer overdue). */
  holder?: string;
}

interface KeyState {
  /** Answered (or overdue) requests by window period, sorted by `at`. */
  logs: Map<number, Counted[]>;
  /** Admitted with a holder, answer not seen yet: holder → admission time. */
  inFlight: Map<string, number>;
  /** Refused holders → the time each was told to come back. */
  line: Map<string, number>;
  /** Set by a 10429: nothing is admitted before. */
  blockedUntil: number;
  /** The latest admission, for the smoothing gap. */
  last: number;
  /** Recent time from admission to answer (a moving average), to tell when flights land. */
  latencyMs: number;
}

function newState(): KeyState {
  return {
    logs: new Map(),
    inFlight: new Map(),
    line: new Map(),
    blockedUntil: -Infinity,
    last: -Infinity,
    latencyMs: 0,
  };
}

/** Inserts keeping `log` sorted by `at` (answers arrive nearly in order: found from the end). */
function insertCounted(log: Counted[], entry: Counted): void {
  let i = log.length;
  while (i > 0 && (log[i - 1] as Counted).at > entry.at) i--;
  log.splice(i, 0, entry);
}

export function createLocalLimiter(options: LocalLimiterOptions = {}): LocalRateLimiter {
  const marginMs = options.marginMs ?? 5;
  const holdMs = options.holdMs ?? 2000;
  const graceMs = options.graceMs ?? 100;
  const smoothing = options.smoothing ?? 0.5;
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new RangeError(`smoothing must be in [0, 1], got ${smoothing}`);
  if (!(marginMs >= 0)) throw new RangeError(`marginMs must be ≥ 0, got ${marginMs}`);
  if (!(holdMs >= 0)) throw new RangeError(`holdMs must be ≥ 0, got ${holdMs}`);
  if (!(graceMs >= 0)) throw new RangeError(`graceMs must be ≥ 0, got ${graceMs}`);
  const keys = new Map<string, KeyState>();
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  let lastSweep = -Infinity;

  /** Forgets what no longer counts at `now`: old answers, overdue flights, stale line places. */
  const settle = (state: KeyState, now: number, asking?: string) => {
    for (const [holder, since] of state.inFlight) {
      // A holder asking again while in flight (a second worker on the same run) keeps its first
      // request counted too.
      if (since + holdMs >= now && holder !== asking) continue;
      // No answer seen: it may still reach the server, so it counts from now; a late answer
      // still moves it forward.
      state.inFlight.delete(holder);
      for (const log of state.logs.values()) insertCounted(log, { at: now, holder });
    }
    for (const [periodMs, log] of state.logs) {
      let expired = 0;
      while (expired < log.length && (log[expired] as Counted).at <= now - periodMs - marginMs) expired++;
      if (expired > 0) log.splice(0, expired);
    }
    for (const [holder, told] of state.line) if (told + holdMs < now) state.line.delete(holder);
  };

  /**
   * Deletes the keys a fresh state would treat the same: nothing blocked, waiting or in flight,
   * no answer still counting. Keys carry the token (`<token> <operation>`), so without this
   * each token rotation left a full set behind.
   */
  const sweep = (now: number) => {
    if (now - lastSweep < sweepEveryMs) return;
    lastSweep = now;
    for (const [key, state] of keys) {
      if (state.blockedUntil > now || state.last + 1000 > now) continue;
      settle(state, now);
      const idle =
        state.inFlight.size === 0 &&
        state.line.size === 0 &&
        [...state.logs.values()].every((log) => log.length === 0);
      if (idle) keys.delete(key);
    }
  };

  const stateOf = (key: string): KeyState => {
    let state = keys.get(key);
    if (!state) {
      state = newState();
      keys.set(key, state);
    }
    return state;
  };

  return {
    reserve(key, cls, now, holder) {
      sweep(now);
      const state = stateOf(key);
      if (now < state.blockedUntil) return { ok: false, retryAt: Math.ceil(state.blockedUntil) };
      settle(state, now, holder);
      const windows = limitWindows(cls).map((w) => {
        let log = state.logs.get(w.periodMs);
        if (!log) state.logs.set(w.periodMs, (log = []));
        return { ...w, log, cycle: w.periodMs + marginMs };
      });

      /**
       * When the k-th slot (from 0) is free in every window: first those free now, then the
       * answered ones as they leave the window, then those in flight (a window after they are
       * expected to land, by the recent answer times); past the limit, one window later per round.
       */
      const landings = [...state.inFlight.values()].map((since) => Math.max(now, since + state.latencyMs));
      const slotAt = (k: number) =>
        Math.max(
          ...windows.map(({ limit, log, cycle }) => {
            const rounds = Math.floor(k / limit);
            const place = k % limit;
            const freeNow = Math.max(0, limit - log.length - landings.length);
            let at: number;
            if (place < freeNow) at = now;
            else if (place - freeNow < log.length) at = (log[place - freeNow] as Counted).at + cycle;
            else at = (landings[place - freeNow - log.length] ?? now) + cycle;
            return at + rounds * cycle;
          }),
        );

      const told = holder === undefined ? undefined : state.line.get(holder);
      if (told !== undefined && told > now) return { ok: false, retryAt: Math.ceil(told) };
      // Holders ahead: told before this one (a newcomer is behind everyone). A newcomer waits
      // while one of them is due (told within the grace before now, or within the smoothing
      // gap after it); holders whose time has come take the free slots in the order they ask.
      const gap = (1000 / cls.qps) * smoothing;
      let waiting = false;
      let ahead = 0;
      let lastAhead = -Infinity;
      for (const [other, otherTold] of state.line) {
        if (other === holder || (told !== undefined && otherTold >= told)) continue;
        // Past the grace a holder has lost its slot: it is told anew when it comes back.
        if (otherTold + graceMs < now) continue;
        ahead++;
        lastAhead = Math.max(lastAhead, otherTold);
        if (otherTold <= now || otherTold < now + gap) waiting = true;
      }
      const admitAt = Math.max(state.last + gap, slotAt(0));
      if (admitAt <= now && !(told === undefined && waiting)) {
        if (holder !== undefined) {
          state.line.delete(holder);
          state.inFlight.set(holder, now);
        } else for (const w of windows) insertCounted(w.log, { at: now });
        // A holder late for its time spaces the next one from its time, not from now: each
        // one's lateness would otherwise push back everyone told after it.
        state.last = told === undefined ? now : Math.min(now, Math.max(told, state.last + gap));
        return { ok: true };
      }
      const retryAt = Math.max(admitAt, slotAt(ahead), lastAhead + gap, now + 1);
      if (holder !== undefined) state.line.set(holder, retryAt);
      return { ok: false, retryAt: Math.ceil(retryAt) };
    },
    block(key, until) {
      const state = stateOf(key);
      state.blockedUntil = Math.max(state.blockedUntil, until);
      // The places were told for slots before the block: everyone asks again after it.
      state.line.clear();
    },
    cancel(key, holder) {
      // Not sent after all (another limit of the call refused it): its slot is free again.
      keys.get(key)?.inFlight.delete(holder);
    },
    keyCount: () => keys.size,
    complete(key, holder, at) {
      const state = keys.get(key);
      if (!state) return;
      const since = state.inFlight.get(holder);
      if (since !== undefined) {
        state.inFlight.delete(holder);
        state.latencyMs += (Math.max(0, at - since) - state.latencyMs) / 8;
        for (const log of state.logs.values()) insertCounted(log, { at });
        return;
      }
      // Answered after its hold: it was counted from then; the answer moves it forward.
      for (const log of state.logs.values()) {
        const index = log.findIndex((entry) => entry.holder === holder);
        if (index < 0) continue;
        const [entry] = log.splice(index, 1) as [Counted];
        insertCounted(log, { at: Math.max(entry.at, at) });
      }
    },
  };
}

/** The first name of `createLocalLimiter`, kept for callers that use it. */
export const createGcraLimiter = createLocalLimiter;
