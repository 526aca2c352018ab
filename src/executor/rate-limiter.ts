/**
 * Client-side rate limiting per (token, operation): a GCRA cell per limit of the operation's
 * class (15/s; 15/s + 450/min; 10/s; 1/s). Pure: time is passed in, nothing sleeps. A caller
 * that is refused gets the time at which it would be admitted and reschedules its run.
 *
 * Each cell has no burst tolerance: admissions are spaced by at least `period / limit`, which
 * is what keeps every sliding window of `period` at or under `limit` (a bursty bucket would
 * let `limit + 1` through a window straddling a refill). `safety` (< 1) spaces requests a bit
 * wider, so that network jitter between us and the server cannot squeeze two admissions into
 * the server's window.
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
   * Admits one request on `key` at `now` if every limit of `cls` allows it, booking it;
   * otherwise books nothing and says when to come back. Never blocks.
   */
  reserve(key: string, cls: RateLimitClass, now: number): Reservation | Promise<Reservation>;
  /** The server answered 10429 on `key`: admit nothing there before `until`. */
  block(key: string, until: number): void | Promise<void>;
}

/** The in-process limiter answers at once. */
export interface LocalRateLimiter extends RateLimiter {
  reserve(key: string, cls: RateLimitClass, now: number): Reservation;
  block(key: string, until: number): void;
}

export interface GcraLimiterOptions {
  /**
   * Fraction of the nominal rate actually used, leaving room for jitter on the wire.
   * @defaultValue 0.97
   */
  safety?: number;
}

interface Cell {
  /** Theoretical arrival time: the earliest time the next request may be admitted. */
  tat: number;
}

export function limitWindows(cls: RateLimitClass): Array<{ limit: number; periodMs: number }> {
  const windows = [{ limit: cls.qps, periodMs: 1000 }];
  if (cls.qpm !== undefined) windows.push({ limit: cls.qpm, periodMs: 60_000 });
  return windows;
}

export function createGcraLimiter(options: GcraLimiterOptions = {}): LocalRateLimiter {
  const safety = options.safety ?? 0.97;
  if (!(safety > 0 && safety <= 1)) throw new RangeError(`safety must be in (0, 1], got ${safety}`);
  const cells = new Map<string, Cell>();

  const cellFor = (name: string): Cell => {
    let cell = cells.get(name);
    if (!cell) {
      cell = { tat: -Infinity };
      cells.set(name, cell);
    }
    return cell;
  };

  return {
    reserve(key, cls, now) {
      const windows = limitWindows(cls).map((w) => ({
        cell: cellFor(`${key}\u0000${w.periodMs}`),
        interval: w.periodMs / (w.limit * safety),
      }));
      const admitAt = Math.max(...windows.map((w) => w.cell.tat));
      if (admitAt > now) return { ok: false, retryAt: Math.ceil(admitAt) };
      for (const w of windows) w.cell.tat = Math.max(w.cell.tat, now) + w.interval;
      return { ok: true };
    },
    block(key, until) {
      for (const [name, cell] of cells) {
        if (name.startsWith(`${key}\u0000`)) cell.tat = Math.max(cell.tat, until);
      }
      const second = cellFor(`${key}\u00001000`);
      second.tat = Math.max(second.tat, until);
    },
  };
}
