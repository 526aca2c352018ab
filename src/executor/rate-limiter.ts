/**
 * Client-side rate limiting per (token, operation), one cell per limit of the operation's class
 * (15/s; 15/s + 450/min; 10/s; 1/s). Pure: time is passed in, nothing sleeps. A caller that is
 * refused learns when to come back and reschedules its run.
 *
 * A cell of `limit` per `period` is `limit` lanes ("lineages"), each used at most once per
 * `period + marginMs`. Any sliding window of `period` then holds at most `limit` admissions,
 * and `marginMs` absorbs jitter between our clock and the server's. Unlike evenly spaced
 * slots, a caller that comes back a little late costs only its lineage that delay once per
 * period, instead of shifting every later slot.
 *
 * A refused caller that names itself (`holder`) books the lineage that frees first; the
 * lineage waits for it (up to `holdMs` past the slot), so refused callers come back one by one
 * instead of all at once. Callers refused while every lineage is booked are spread over the
 * following period.
 *
 * A reservation costs O(limit) (at most 450 for the catalogue's classes).
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
   * Extra spacing per lineage beyond the period. With `complete` called, a lineage counts
   * from the answer, so this only covers clock granularity; without it, it must also cover
   * every delay between admission and the server receiving the request.
   * @defaultValue 5
   */
  marginMs?: number;
  /**
   * How long past its slot a booking is kept for a holder that has not come back, and how long
   * an admitted holder's lineage waits for `complete` before counting from the admission.
   * @defaultValue 2000
   */
  holdMs?: number;
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

interface Lineage {
  /** Earliest time of its next admission. */
  free: number;
  /** Booked for this holder at `slot`. */
  holder?: string;
  slot?: number;
  /** Admitted for this holder at `since`, answer not seen yet. */
  inFlight?: string;
  since?: number;
  /** `free` before that admission, to give the slot back when the request is not sent. */
  previousFree?: number;
}

interface Cell {
  lineages: Lineage[];
  spacing: number;
}

interface KeyState {
  cells: Map<number, Cell>;
  /** Set by a 10429: nothing is admitted before. */
  blockedUntil: number;
  /** Callers refused while every lineage was booked, for spreading their return. */
  overflow: number;
  /** Earliest time of the next admission or booking, by the smoothing gap. */
  gapFree: number;
}

function newState(): KeyState {
  return { cells: new Map(), blockedUntil: -Infinity, overflow: 0, gapFree: -Infinity };
}

function unbook(l: Lineage): void {
  delete l.holder;
  delete l.slot;
}

function land(l: Lineage): void {
  delete l.inFlight;
  delete l.since;
  delete l.previousFree;
}

export function createLocalLimiter(options: LocalLimiterOptions = {}): LocalRateLimiter {
  const marginMs = options.marginMs ?? 5;
  const holdMs = options.holdMs ?? 2000;
  const smoothing = options.smoothing ?? 0.5;
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new RangeError(`smoothing must be in [0, 1], got ${smoothing}`);
  if (!(marginMs >= 0)) throw new RangeError(`marginMs must be ≥ 0, got ${marginMs}`);
  if (!(holdMs >= 0)) throw new RangeError(`holdMs must be ≥ 0, got ${holdMs}`);
  const keys = new Map<string, KeyState>();
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  let lastSweep = -Infinity;

  /**
   * Deletes the keys a fresh state would treat the same: nothing blocked, booked or in flight,
   * every lineage free by now. Keys carry the token (`<token> <operation>`), so without this
   * each token rotation left a full set behind.
   */
  const sweep = (now: number) => {
    if (now - lastSweep < sweepEveryMs) return;
    lastSweep = now;
    for (const [key, state] of keys) {
      if (state.blockedUntil > now || state.gapFree > now) continue;
      const idle = [...state.cells.values()].every((cell) =>
        cell.lineages.every((l) => l.holder === undefined && l.inFlight === undefined && l.free <= now),
      );
      if (idle) keys.delete(key);
    }
  };

  const cellsOf = (key: string, cls: RateLimitClass): { state: KeyState; cells: Cell[] } => {
    let state = keys.get(key);
    if (!state) {
      state = newState();
      keys.set(key, state);
    }
    const cells = limitWindows(cls).map((w) => {
      let cell = state.cells.get(w.periodMs);
      if (!cell || cell.lineages.length !== w.limit) {
        cell = {
          lineages: Array.from({ length: w.limit }, () => ({ free: -Infinity })),
          spacing: w.periodMs + marginMs,
        };
        state.cells.set(w.periodMs, cell);
      }
      return cell;
    });
    return { state, cells };
  };

  const release = (cell: Cell, now: number) => {
    for (const l of cell.lineages) {
      if (l.holder !== undefined && (l.slot as number) + holdMs < now) unbook(l);
      if (l.inFlight !== undefined && (l.since as number) + holdMs < now) {
        // No answer seen: it may still reach the server, so count from now.
        l.free = Math.max(l.free, now + cell.spacing);
        land(l);
      }
    }
  };

  /** The lineage neither booked nor in flight that frees first, if any. */
  const firstFree = (cell: Cell): Lineage | undefined => {
    let best: Lineage | undefined;
    for (const l of cell.lineages) {
      if (l.holder === undefined && l.inFlight === undefined && (!best || l.free < best.free)) best = l;
    }
    return best;
  };

  const admit = (cells: Cell[], lineages: Lineage[], now: number, holder: string | undefined) => {
    lineages.forEach((l, i) => {
      unbook(l);
      const previous = l.free;
      l.free = now + (cells[i] as Cell).spacing;
      if (holder !== undefined) {
        l.inFlight = holder;
        l.since = now;
        l.previousFree = previous;
      }
    });
  };

  return {
    reserve(key, cls, now, holder) {
      sweep(now);
      const { state, cells } = cellsOf(key, cls);
      if (now < state.blockedUntil) return { ok: false, retryAt: Math.ceil(state.blockedUntil) };
      for (const cell of cells) release(cell, now);

      if (holder !== undefined) {
        const mine = cells.map((c) => c.lineages.find((l) => l.holder === holder));
        if (mine.every((l) => l !== undefined)) {
          const slot = Math.max(...mine.map((l) => l.slot as number));
          if (now < slot) return { ok: false, retryAt: Math.ceil(slot) };
          admit(cells, mine, now, holder);
          return { ok: true };
        }
        for (const l of mine) if (l) unbook(l);
      }

      const gap = (1000 / cls.qps) * smoothing;
      const picks = cells.map(firstFree);
      if (picks.every((l) => l !== undefined)) {
        const at = Math.max(state.gapFree, ...picks.map((l) => l.free));
        if (at <= now) {
          admit(cells, picks, now, holder);
          state.gapFree = now + gap;
          return { ok: true };
        }
        if (holder === undefined) return { ok: false, retryAt: Math.ceil(at) };
        for (const l of picks) {
          l.holder = holder;
          l.slot = at;
        }
        state.gapFree = at + gap;
        return { ok: false, retryAt: Math.ceil(at) };
      }
      // Every lineage of some cell is booked: come back around when those bookings are used,
      // spread over the period so the returns do not collide.
      const retryAt = Math.max(
        ...cells.map((cell) => {
          const slots = cell.lineages.map((l) => l.slot ?? (l.inFlight !== undefined ? now : l.free));
          const step = cell.spacing / cell.lineages.length;
          return Math.min(...slots) + cell.spacing + (state.overflow % cell.lineages.length) * step;
        }),
      );
      state.overflow++;
      return { ok: false, retryAt: Math.ceil(Math.max(retryAt, now + 1)) };
    },
    block(key, until) {
      const state = keys.get(key) ?? newState();
      keys.set(key, state);
      state.blockedUntil = Math.max(state.blockedUntil, until);
      for (const cell of state.cells.values()) for (const l of cell.lineages) unbook(l);
    },
    cancel(key, holder) {
      const state = keys.get(key);
      if (!state) return;
      for (const cell of state.cells.values()) {
        for (const l of cell.lineages) {
          if (l.inFlight !== holder) continue;
          l.free = l.previousFree ?? l.free;
          land(l);
        }
      }
    },
    keyCount: () => keys.size,
    complete(key, holder, at) {
      const state = keys.get(key);
      if (!state) return;
      for (const cell of state.cells.values()) {
        for (const l of cell.lineages) {
          if (l.inFlight !== holder) continue;
          l.free = Math.max(l.free, at + cell.spacing);
          land(l);
        }
      }
    },
  };
}

/** The first name of `createLocalLimiter`, kept for callers that use it. */
export const createGcraLimiter = createLocalLimiter;
