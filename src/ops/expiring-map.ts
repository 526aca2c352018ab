/**
 * A map whose entries expire at a time of their own. Expired entries are dropped when read and,
 * at most once per `sweepEveryMs`, all together when one is set: keys that are never read again
 * (a user mentioned once, a space no longer written to) do not stay for the life of the process.
 */
export class ExpiringMap<K, V> {
  readonly #entries = new Map<K, { value: V; until: number }>();
  readonly #now: () => number;
  readonly #sweepEveryMs: number;
  #lastSweep: number;

  constructor(now: () => number, sweepEveryMs: number) {
    this.#now = now;
    this.#sweepEveryMs = sweepEveryMs;
    this.#lastSweep = now();
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > this.#now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: K, value: V, until: number): void {
    this.#entries.set(key, { value, until });
    const now = this.#now();
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    for (const [k, entry] of this.#entries) if (entry.until <= now) this.#entries.delete(k);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Entries held, expired ones not swept yet included. */
  get size(): number {
    return this.#entries.size;
  }
}
