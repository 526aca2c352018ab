/**
 * The plugin token, cached until shortly before it expires and fetched single-flight: however
 * many calls need a token at once, one request goes out and all of them share its answer.
 */
import { errorName } from './classify.ts';
import type { ApiOutcome } from './types.ts';

export type TokenResult = { ok: true; token: string } | { ok: false; outcome: ApiOutcome };

export type IssuedToken =
  { ok: true; token: string; expiresInSec: number } | { ok: false; outcome: ApiOutcome };

export interface TokenCacheOptions {
  /** One token request; must not reject (failures are outcomes). */
  fetch: () => Promise<IssuedToken>;
  /** Wall clock in ms. @defaultValue Date.now */
  now?: () => number;
  /** Refresh this long before expiry, as the official SDK does. @defaultValue 180_000 */
  marginMs?: number;
}

export class TokenCache {
  readonly #fetch: () => Promise<IssuedToken>;
  readonly #now: () => number;
  readonly #marginMs: number;
  #cached: { token: string; refreshAt: number } | undefined;
  #inflight: Promise<TokenResult> | undefined;

  constructor(options: TokenCacheOptions) {
    this.#fetch = options.fetch;
    this.#now = options.now ?? Date.now;
    this.#marginMs = options.marginMs ?? 180_000;
  }

  get(): Promise<TokenResult> {
    const cached = this.#cached;
    if (cached !== undefined && this.#now() < cached.refreshAt)
      return Promise.resolve({ ok: true, token: cached.token });
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /**
   * Forgets the cached token. With `token`, only if that is still the cached one: a call that
   * was rejected with an old token must not throw away the fresh token another call fetched.
   */
  drop(token?: string): void {
    if (token === undefined || this.#cached?.token === token) this.#cached = undefined;
  }

  /** The cached token, for redaction; never for sending. */
  peek(): string | undefined {
    return this.#cached?.token;
  }

  async #refresh(): Promise<TokenResult> {
    const issued = await this.#fetch().catch((error: unknown): IssuedToken => ({
      ok: false,
      outcome: { class: 'transient', networkError: errorName(error), durationMs: 0 },
    }));
    if (!issued.ok) return issued;
    const lifetimeMs = issued.expiresInSec * 1000;
    // A lifetime shorter than the margin (a test server's) would refresh on every call.
    const usableMs = lifetimeMs > 2 * this.#marginMs ? lifetimeMs - this.#marginMs : lifetimeMs / 2;
    this.#cached = { token: issued.token, refreshAt: this.#now() + usableMs };
    return { ok: true, token: issued.token };
  }
}
