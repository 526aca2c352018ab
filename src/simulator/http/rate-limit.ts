/**
 * Sliding-window limits per (token, method + path template): 15 per second everywhere, plus
 * the per-minute caps of the search endpoints (README §5). Rejected calls do not count.
 */
export interface Limit {
  /** Requests allowed per second. @defaultValue 15 */
  qps: number;
  /** Requests allowed per minute, where documented. */
  qpm?: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  tryAcquire(key: string, limit: Limit, now: number): boolean {
    const kept = (this.hits.get(key) ?? []).filter((t) => t > now - 60_000);
    const lastSecond = kept.filter((t) => t > now - 1000).length;
    const allowed = lastSecond < limit.qps && (limit.qpm === undefined || kept.length < limit.qpm);
    if (allowed) kept.push(now);
    this.hits.set(key, kept);
    return allowed;
  }

  clear(): void {
    this.hits.clear();
  }
}

/**
 * Idempotency keys per (token, endpoint): a key that already carried a successful write
 * answers 10430. `effects` counts writes applied per key so tests can prove "exactly once".
 */
export class IdempotencyLedger {
  private readonly used = new Set<string>();
  private readonly applied = new Map<string, number>();
  private withoutKey = 0;

  isUsed(scope: string, key: string): boolean {
    return this.used.has(`${scope}|${key}`);
  }

  recordApplied(scope: string, key: string | undefined): void {
    if (key === undefined) {
      this.withoutKey += 1;
      return;
    }
    this.used.add(`${scope}|${key}`);
    this.applied.set(key, (this.applied.get(key) ?? 0) + 1);
  }

  effects(): { by_key: Record<string, number>; without_key: number; total: number } {
    const byKey = Object.fromEntries(this.applied);
    const keyed = [...this.applied.values()].reduce((a, b) => a + b, 0);
    return { by_key: byKey, without_key: this.withoutKey, total: keyed + this.withoutKey };
  }

  clear(): void {
    this.used.clear();
    this.applied.clear();
    this.withoutKey = 0;
  }
}
