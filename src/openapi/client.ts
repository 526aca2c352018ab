/**
 * The Open API client: one undici pool per origin, the plugin token cached and refreshed
 * single-flight, one attempt per call, every answer classified (never a rejection).
 */
import { createHash } from 'node:crypto';
import { Pool, type Dispatcher } from 'undici';
import { AutopilotError } from '../errors.ts';
import type { ApiCall } from '../plan/run.ts';
import { findOperation } from './catalogue.ts';
import { classifyOutcome } from './classify.ts';
import { stringifyJson } from './json.ts';
import type { Operation } from './operation.ts';
import { redact } from './redact.ts';
import { TokenCache, type IssuedToken } from './token-cache.ts';
import { exchange } from './transport.ts';
import type { ApiCaller, ApiOutcome, CallOptions } from './types.ts';
import { outcomeError } from './outcome-error.ts';
import { isTokenRejection } from './token-retry.ts';
import { readUserToken, type UserToken } from './user-token.ts';

export { callWithTokenRetry, isTokenRejection } from './token-retry.ts';
export { outcomeError } from './outcome-error.ts';

export interface OpenApiClientOptions {
  /** e.g. `https://project.feishu.cn`; a path prefix is kept. */
  baseUrl: string;
  pluginId: string;
  pluginSecret: string;
  /** The engine's own user, sent as `X-USER-KEY` unless a call names another. */
  userKey: string;
  /** 0 = plugin_access_token, 1 = virtual_plugin_token. @defaultValue 0 */
  pluginTokenType?: 0 | 1;
  /** Tests pass a MockAgent or an Agent; by default the client owns one Pool for the origin. */
  dispatcher?: Dispatcher;
  /** Wall clock in ms, for token expiry. @defaultValue Date.now */
  now?: () => number;
  /** Used only for the pool the client creates. @defaultValue 5_000 */
  connectTimeoutMs?: number;
  /** @defaultValue 30_000 */
  headersTimeoutMs?: number;
  /** Longest pause between body chunks. @defaultValue 30_000 */
  bodyTimeoutMs?: number;
  /** Refresh the plugin token this long before it expires. @defaultValue 180_000 */
  tokenMarginMs?: number;
}

export class OpenApiClient implements ApiCaller {
  readonly #options: OpenApiClientOptions;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #tokens: TokenCache;
  #lastRejectedToken: string | undefined;
  readonly #userTokens = new Set<string>();

  constructor(options: OpenApiClientOptions) {
    const url = parseBaseUrl(options.baseUrl);
    this.#options = options;
    this.#origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Pool(url.origin, {
        connect: { timeout: options.connectTimeoutMs ?? 5_000 },
        headersTimeout: options.headersTimeoutMs ?? 30_000,
        bodyTimeout: options.bodyTimeoutMs ?? 30_000,
      });
    const cacheOptions: ConstructorParameters<typeof TokenCache>[0] = {
      fetch: () => this.#fetchPluginToken(),
    };
    if (options.now !== undefined) cacheOptions.now = options.now;
    if (options.tokenMarginMs !== undefined) cacheOptions.marginMs = options.tokenMarginMs;
    this.#tokens = new TokenCache(cacheOptions);
  }

  /** Exactly one attempt; the only repeat is the explicit one of `callWithTokenRetry`. */
  async call(call: ApiCall, options: CallOptions = {}): Promise<ApiOutcome> {
    const started = performance.now();
    const op = findOperation(call.operation);
    const refusal = op === undefined ? `unknown operation "${call.operation}"` : refuseCall(call);
    if (op === undefined || refusal !== undefined)
      return { class: 'permanent', errMsg: refusal, durationMs: 0 };
    let token = options.userToken;
    if (token === undefined && op.id !== 'auth.pluginToken') {
      const issued = await this.#tokens.get();
      if (!issued.ok) return { ...issued.outcome, durationMs: performance.now() - started };
      token = issued.token;
    }
    const outcome = await this.#send(
      op,
      call,
      this.#headers(op, call, options, token),
      options.signal,
      started,
    );
    if (token !== undefined && isTokenRejection(outcome) && options.userToken === undefined) {
      this.#lastRejectedToken = token;
      this.#tokens.drop(token);
    }
    return redact(outcome, this.#secrets());
  }

  /** Forgets the plugin token (the one last rejected, so a fresh token fetched meanwhile stays). */
  dropToken(): void {
    this.#tokens.drop(this.#lastRejectedToken ?? this.#tokens.peek());
  }

  /** A stable digest of the current plugin token: the limiter's key, safe to log. */
  async tokenKey(): Promise<string> {
    const issued = await this.#tokens.get();
    if (!issued.ok) throw outcomeError('plugin token unavailable', issued.outcome);
    return `tok_${createHash('sha256').update(issued.token).digest('hex').slice(0, 16)}`;
  }

  /** Exchanges a front-end auth code for a user token (`authen/user_plugin_token`). */
  async exchangeUserToken(code: string, options: Pick<CallOptions, 'signal'> = {}): Promise<UserTokenAnswer> {
    const body = { code, grant_type: 'authorization_code' };
    return this.#userToken('auth.userPluginToken', '/open_api/authen/user_plugin_token', body, options);
  }

  /** Refreshes a user token (`authen/refresh_token`; type 1, sent with the plugin token). */
  async refreshUserToken(
    refreshToken: string,
    options: Pick<CallOptions, 'signal'> = {},
  ): Promise<UserTokenAnswer> {
    const body = { refresh_token: refreshToken, type: 1 };
    return this.#userToken('auth.refreshToken', '/open_api/authen/refresh_token', body, options);
  }

  /** Closes the pool the client created (an injected dispatcher belongs to the caller). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #userToken(
    operation: string,
    path: string,
    body: Record<string, unknown>,
    options: Pick<CallOptions, 'signal'>,
  ): Promise<UserTokenAnswer> {
    const call: ApiCall = { operation, method: 'POST', path, body, write: false };
    const started = performance.now();
    const issued = await this.#tokens.get();
    if (!issued.ok) return { outcome: issued.outcome };
    const op = findOperation(operation) as Operation;
    const outcome = await this.#send(
      op,
      call,
      this.#headers(op, call, {}, issued.token),
      options.signal,
      started,
    );
    const token =
      outcome.class === 'ok' ? readUserToken(outcome.data, this.#options.now?.() ?? Date.now()) : undefined;
    if (token !== undefined) this.#userTokens.add(token.token).add(token.refreshToken);
    const safe = redact({ ...outcome, data: undefined }, this.#secrets());
    delete safe.data;
    if (outcome.class === 'ok' && token === undefined) return { outcome: malformedToken(safe) };
    return token === undefined ? { outcome: safe } : { outcome: safe, token };
  }

  async #fetchPluginToken(): Promise<IssuedToken> {
    const body = {
      plugin_id: this.#options.pluginId,
      plugin_secret: this.#options.pluginSecret,
      type: this.#options.pluginTokenType ?? 0,
    };
    const call: ApiCall = {
      operation: 'auth.pluginToken',
      method: 'POST',
      path: '/open_api/authen/plugin_token',
      body,
      write: false,
    };
    const op = findOperation(call.operation) as Operation;
    const outcome = await this.#send(
      op,
      call,
      this.#headers(op, call, {}, undefined),
      undefined,
      performance.now(),
    );
    const data = outcome.data as { token?: unknown; expire_time?: unknown } | undefined;
    const safe = redact({ ...outcome }, this.#secrets());
    delete safe.data;
    if (outcome.class !== 'ok') return { ok: false, outcome: safe };
    if (typeof data?.token !== 'string' || data.token === '' || typeof data.expire_time !== 'number') {
      return { ok: false, outcome: malformedToken(safe) };
    }
    return { ok: true, token: data.token, expiresInSec: data.expire_time };
  }

  async #send(
    op: Operation,
    call: ApiCall,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    started: number,
  ): Promise<ApiOutcome> {
    const query = call.query === undefined ? '' : new URLSearchParams(call.query).toString();
    const request: Parameters<typeof exchange>[1] = {
      origin: this.#origin,
      path: `${this.#prefix}${call.path}${query === '' ? '' : `?${query}`}`,
      method: call.method,
      headers,
      headersTimeoutMs: this.#options.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: this.#options.bodyTimeoutMs ?? 30_000,
      envelope: op.envelope,
    };
    if (call.body instanceof FormData) {
      // undici's request() takes bytes, not a form: let the platform encode it with a boundary.
      const encoded = new Response(call.body);
      request.headers = {
        ...headers,
        'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data',
      };
      request.body = Buffer.from(await encoded.arrayBuffer());
    } else if (call.body !== undefined) request.body = stringifyJson(call.body);
    if (signal !== undefined) request.signal = signal;
    const answer = await exchange(this.#dispatcher, request);
    return classifyOutcome(answer, performance.now() - started);
  }

  #headers(
    op: Operation,
    call: ApiCall,
    options: CallOptions,
    token: string | undefined,
  ): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers['x-plugin-token'] = token;
    if (options.userToken === undefined && !op.id.startsWith('auth.')) {
      headers['x-user-key'] = options.userKey ?? this.#options.userKey;
    }
    if (call.write && options.idempotencyKey !== undefined) headers['x-idem-uuid'] = options.idempotencyKey;
    return headers;
  }

  #secrets(): string[] {
    const secrets = [this.#options.pluginSecret, ...this.#userTokens];
    const token = this.#tokens.peek();
    if (token !== undefined) secrets.push(token);
    if (this.#lastRejectedToken !== undefined) secrets.push(this.#lastRejectedToken);
    return secrets;
  }
}

export interface UserTokenAnswer {
  outcome: ApiOutcome;
  token?: UserToken;
}

/** Calls the client builds from the catalogue are safe; a hand-made path must stay under /open_api/. */
function refuseCall(call: ApiCall): string | undefined {
  if (!call.path.startsWith('/open_api/') || call.path.split('/').some((s) => s === '..' || s === '.')) {
    return `call path "${call.path}" is not an /open_api/ path`;
  }
  if (/[\s?#]/.test(call.path)) return `call path "${call.path}" contains a space, "?" or "#"`;
  return undefined;
}

function malformedToken(outcome: ApiOutcome): ApiOutcome {
  return { ...outcome, class: 'permanent', errMsg: 'token endpoint answered without a token' };
}

function parseBaseUrl(baseUrl: string): URL {
  const url = URL.parse(baseUrl);
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new AutopilotError(
      'AP_CONFIG_INVALID',
      `Open API base URL "${baseUrl}" is not an http(s) URL without query`,
      {
        baseUrl,
      },
    );
  }
  return url;
}
