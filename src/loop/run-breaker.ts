/**
 * A circuit breaker per (rule, work item): more than `maxRuns` runs within `windowMs` pauses the
 * pair for one window. Two rules that keep answering each other's changes stop here even when
 * their events do not look self-caused. Pure apart from the memory it keeps; time is passed in.
 */
export interface BreakerDecision {
  allowed: boolean;
  /** Set when this call tripped the breaker (log and count once, not on every refusal). */
  tripped?: boolean;
  pausedUntil?: number;
}

export class RunBreaker {
  readonly #maxRuns: number;
  readonly #windowMs: number;
  readonly #recent = new Map<string, number[]>();
  readonly #pausedUntil = new Map<string, number>();

  constructor(maxRuns: number, windowMs: number) {
    this.#maxRuns = maxRuns;
    this.#windowMs = windowMs;
  }

  check(ruleId: string, lane: string, now: number): BreakerDecision {
    const key = `${ruleId}\u0000${lane}`;
    const paused = this.#pausedUntil.get(key);
    if (paused !== undefined) {
      if (now < paused) return { allowed: false, pausedUntil: paused };
      this.#pausedUntil.delete(key);
      this.#recent.delete(key);
    }
    const since = now - this.#windowMs;
    const times = (this.#recent.get(key) ?? []).filter((t) => t > since);
    times.push(now);
    if (times.length > this.#maxRuns) {
      const until = now + this.#windowMs;
      this.#pausedUntil.set(key, until);
      this.#recent.delete(key);
      return { allowed: false, tripped: true, pausedUntil: until };
    }
    this.#recent.set(key, times);
    this.#sweep(since);
    return { allowed: true };
  }

  /** Pairs currently paused, for the admin API. */
  paused(now: number): { ruleId: string; lane: string; until: number }[] {
    return [...this.#pausedUntil]
      .filter(([, until]) => until > now)
      .map(([key, until]) => {
        const [ruleId = '', lane = ''] = key.split('\u0000');
        return { ruleId, lane, until };
      });
  }

  /** Pairs held in memory (recent runs and pauses), for `autopilot_memory_entries`. */
  size(): number {
    return this.#recent.size + this.#pausedUntil.size;
  }

  // Keeps memory bounded by the pairs active within one window: a pause that ended is only
  // deleted when its pair runs again, so a pair that never does would stay forever.
  #sweep(since: number): void {
    if (this.#recent.size + this.#pausedUntil.size < 10_000) return;
    for (const [key, times] of this.#recent) if ((times.at(-1) ?? 0) <= since) this.#recent.delete(key);
    const now = since + this.#windowMs;
    for (const [key, until] of this.#pausedUntil) if (until <= now) this.#pausedUntil.delete(key);
  }
}
