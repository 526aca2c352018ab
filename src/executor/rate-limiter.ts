/**
 * Client-side rate limiting per (token, operation): a GCRA cell per limit of the operation's
 * class (15/s; 15/s + 450/min; 10/s; 1/s). Pure: time is passed in, nothing sleeps. A caller
 * that is refused gets the time at which it will be admitted and reschedules its run.
 *
 * Admissions are spaced `period / (limit × safety)` apart on a schedule that never drifts: a
 * refused caller that names itself (`holder`) books the next free slot and is admitted when it
 * comes back, up to `lateMs` after the slot; later than that, the slot is forfeited. Every
 * sliding window of `period` then holds at most `limit` admissions as long as
 * `lateMs ≤ period × (1/safety − 1)`, and what is left of that gap absorbs jitter on the wire
 * between our clock and the server's.
 */
import type { RateLimit } from '../openapi/operation.ts';

/** The catalogue's rate limit of one operation: `qps`, plus `qpm` where the endpoint has it. */
export type RateLimitClass = RateLimit;

export type Reservation = { ok: true } | { ok: false; retryAt: number };

/**
 * The limiter as the executor sees it. The embedded profile keeps it in process
 * (`createGcraLimiter`); the cluster profile can implement it on Redis with the same contract.
 */
export interface RateLimiter {
  /**
   * Admits one request on `key` at `now` if every limit of `cls` allows it; otherwise says when
   * to come back and, when `holder` is given, keeps that slot for it. Never blocks.
   */
  reserve(key: string, cls: RateLimitClass, now: number, holder?: string): Reservation | Promise<Reservation>;
  /** The server answered 10429 on `key`: admit nothing there before `until`. */
  block(key: string, until: number): void | Promise<void>;
}

/** The in-process limiter answers at once. */
export interface LocalRateLimiter extends RateLimiter {
  reserve(key: string, cls: RateLimitClass, now: number, holder?: string): Reservation;
  block(key: string, until: number): void;
}

export interface GcraLimiterOptions {
  /**
   * Fraction of the nominal rate used; the rest is the room for late callers and wire jitter.
   * @defaultValue 0.965
   */
  safety?: number;
  /**
   * How late after its booked slot a holder may come back and still be admitted.
   * Must not exceed `1000 × (1/safety − 1)` (the per-second window's room).
   * @defaultValue 15
   */
  lateMs?: number;
}

export function limitWindows(cls: RateLimitClass): Array<{ limit: number; periodMs: number }> {
  const windows = [{ limit: cls.qps, periodMs: 1000 }];
  if (cls.qpm !== undefined) windows.push({ limit: cls.qpm, periodMs: 60_000 });
  return windows;
}

interface KeyState {
  /** Theoretical arrival time per window period: the next free slot of that cell. */
  tat: Map<number, number>;
  /** Slots booked by refused holders. */
  booked: Map<string, number>;
}

/** Bookings whose holder never came back are forgotten after this long. */
const BOOKING_TTL_MS = 120_000;

export function createGcraLimiter(options: GcraLimiterOptions = {}): LocalRateLimiter {
  const safety = options.safety ?? 0.965;
  const lateMs = options.lateMs ?? 15;
  if (!(safety > 0 && safety <= 1)) throw new RangeError(`safety must be in (0, 1], got ${safety}`);
  const room = 1000 * (1 / safety - 1);
  if (!(lateMs >= 0 && lateMs <= room + 1e-9)) {
    throw new RangeError(`lateMs must be in [0, ${room.toFixed(1)}] for safety ${safety}, got ${lateMs}`);
  }
  const keys = new Map<string, KeyState>();

  const stateOf = (key: string): KeyState => {
    let state = keys.get(key);
    if (!state) {
      state = { tat: new Map(), booked: new Map() };
      keys.set(key, state);
    }
    return state;
  };

  /** Takes the slot at `at` in every cell of the class. */
  const take = (state: KeyState, cls: RateLimitClass, at: number) => {
    for (const w of limitWindows(cls)) state.tat.set(w.periodMs, at + w.periodMs / (w.limit * safety));
  };

  const nextFree = (state: KeyState, cls: RateLimitClass) =>
    Math.max(...limitWindows(cls).map((w) => state.tat.get(w.periodMs) ?? -Infinity));

  const forgetStale = (state: KeyState, now: number) => {
    for (const [holder, slot] of state.booked) if (slot + BOOKING_TTL_MS < now) state.booked.delete(holder);
  };

  return {
    reserve(key, cls, now, holder) {
      const state = stateOf(key);
      const slot = holder === undefined ? undefined : state.booked.get(holder);
      if (holder !== undefined && slot !== undefined) {
        if (now < slot) return { ok: false, retryAt: Math.ceil(slot) };
        state.booked.delete(holder);
        if (now <= slot + lateMs) return { ok: true };
      }
      const free = nextFree(state, cls);
      if (free <= now) {
        take(state, cls, now);
        return { ok: true };
      }
      if (holder === undefined) return { ok: false, retryAt: Math.ceil(free) };
      forgetStale(state, now);
      take(state, cls, free);
      state.booked.set(holder, free);
      return { ok: false, retryAt: Math.ceil(free) };
    },
    block(key, until) {
      const state = stateOf(key);
      state.booked.clear();
      for (const w of [1000, 60_000]) state.tat.set(w, Math.max(state.tat.get(w) ?? -Infinity, until));
    },
  };
}
