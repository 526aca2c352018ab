/**
 * The contract between the executor and the Open API client. The client makes one attempt
 * and classifies it; it never retries (retrying is the executor's decision).
 */
import type { ApiCall } from '../plan/run.ts';

/** What the executor should do about an outcome (see `classifyOutcome` in classify.ts). */
export type OutcomeClass = 'ok' | 'rate_limited' | 'transient' | 'auth' | 'already_applied' | 'permanent';

export interface ApiOutcome {
  class: OutcomeClass;
  /** The envelope's `data` on success (ids as strings: parsed losslessly). */
  data?: unknown;
  /** `pagination` when the endpoint pages. */
  pagination?: { page_num?: number; page_size?: number; total?: number };
  errCode?: number;
  errMsg?: string;
  /** Inner `err.msg`, which often names the offending field. */
  innerMsg?: string;
  logId?: string;
  httpStatus?: number;
  /** Network-level failure name when there was no HTTP answer (e.g. UND_ERR_SOCKET, timeout). */
  networkError?: string;
  durationMs: number;
}

export interface CallOptions {
  /** Sent as X-IDEM-UUID on writes. */
  idempotencyKey?: string;
  /** Acting user (X-USER-KEY); defaults to the engine's own user. */
  userKey?: string;
  /**
   * Act with a user access token (`u-…`, from `authen/user_plugin_token`) instead of the plugin
   * token; no `X-USER-KEY` is sent then.
   */
  userToken?: string;
  signal?: AbortSignal;
}

export interface ApiCaller {
  call(call: ApiCall, options?: CallOptions): Promise<ApiOutcome>;
  /** Forget the cached plugin token (after 10021 / 10022 / 10211). */
  dropToken(): void;
  /** The rate-limit key of the current token (the limiter budgets per token and endpoint). */
  tokenKey(): Promise<string>;
}
