/**
 * Failures in a row of the events (or runs) one process tried, for the retry's backoff. An outage
 * is not counted against an event's or a run's claims, so the store cannot tell how long one has
 * been failing. Bounded: past the cap the oldest entry goes (that one's backoff starts again,
 * nothing else).
 */
export class FailureCounts {
  static readonly CAP = 10_000;
  readonly #counts = new Map<string, number>();

  /** One more failure of `id`; returns how many in a row. */
  add(id: string): number {
    const count = (this.#counts.get(id) ?? 0) + 1;
    this.#counts.delete(id);
    this.#counts.set(id, count);
    if (this.#counts.size > FailureCounts.CAP)
      this.#counts.delete(this.#counts.keys().next().value as string);
    return count;
  }

  forget(id: string): void {
    this.#counts.delete(id);
  }

  get size(): number {
    return this.#counts.size;
  }
}

/** The wait before the `failures`-th retry in a row: `baseMs` doubled each time, at most `maxMs`. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}
