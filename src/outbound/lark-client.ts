/**
 * The Lark IM client: the app's tenant_access_token (cached, fetched single-flight, renewed
 * before it expires) and the `lark.*` operations the engine sends: messages to chats and people,
 * replies to a chat command's message, card updates, contact look-ups. One attempt per call, every answer classified, never a rejection: the
 * executor's retry policy decides, as for the Open API.
 */
import { Pool, type Dispatcher } from 'undici';
import type { ApiCall } from '../plan/run.ts';
import type { ApiCaller, ApiOutcome, CallOptions } from '../openapi/types.ts';
import { classifyLark } from './lark-outcome.ts';

export interface LarkClientOptions {
  /** e.g. `https://open.feishu.cn` or `https://open.larksuite.com`, or the simulator's URL. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** Tests may pass an undici MockAgent. @defaultValue a Pool for the origin */
  dispatcher?: Dispatcher;
  now?: () => number;
  /** @defaultValue 10_000 */
  timeoutMs?: number;
  /** Renew the token this long before it expires. @defaultValue 300_000 */
  tokenMarginMs?: number;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

interface Token {
  value: string;
  expiresAt: number;
}

type TokenResult = { ok: true; token: Token } | { ok: false; outcome: ApiOutcome };

export class LarkClient implements ApiCaller {
  readonly #options: LarkClientOptions;
  readonly #origin: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #now: () => number;
  #token: Token | undefined;
  #fetching: Promise<TokenResult> | undefined;

  constructor(options: LarkClientOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`LARK_BASE_URL must be http(s), got ${url.protocol}`);
    }
    this.#options = options;
    this.#origin = url.origin;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Pool(this.#origin, { connections: 8 });
    this.#now = options.now ?? Date.now;
  }

  async call(call: ApiCall, options: CallOptions = {}): Promise<ApiOutcome> {
    const started = this.#now();
    const token = await this.#currentToken();
    if (!token.ok) return token.outcome;
    const body =
      options.idempotencyKey && isObject(call.body) && call.body.uuid === undefined
        ? { ...call.body, uuid: options.idempotencyKey }
        : call.body;
    return this.#send(call.method, pathWithQuery(call), body, started, token.token.value, options.signal);
  }

  /** Reply to a message outside the run queue (help, refusals, failures); `uuid` dedupes at Lark. */
  reply(messageId: string, text: string, uuid: string): Promise<ApiOutcome> {
    return this.call(larkReplyCall(messageId, text), { idempotencyKey: uuid });
  }

  dropToken(): void {
    this.#token = undefined;
  }

  async tokenKey(): Promise<string> {
    return `lark:${this.#options.appId}`;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #currentToken(): Promise<TokenResult> {
    const margin = this.#options.tokenMarginMs ?? 300_000;
    if (this.#token && this.#token.expiresAt - margin > this.#now()) return { ok: true, token: this.#token };
    this.#fetching ??= this.#fetchToken().finally(() => (this.#fetching = undefined));
    return this.#fetching;
  }

  async #fetchToken(): Promise<TokenResult> {
    const started = this.#now();
    const body = { app_id: this.#options.appId, app_secret: this.#options.appSecret };
    const outcome = await this.#send('POST', TOKEN_PATH, body, started);
    const raw = outcome.data as { tenant_access_token?: unknown; expire?: unknown } | undefined;
    if (outcome.class !== 'ok' || typeof raw?.tenant_access_token !== 'string') {
      // A refused app secret is the operator's to fix: the executor's one token retry then gives up.
      const cls = outcome.class === 'permanent' ? 'auth' : outcome.class;
      const errMsg = `Lark tenant_access_token refused: ${outcome.errMsg ?? outcome.networkError ?? 'no token'}`;
      return { ok: false, outcome: { ...outcome, class: cls === 'ok' ? 'auth' : cls, errMsg } };
    }
    const expire = typeof raw.expire === 'number' ? raw.expire : 7200;
    this.#token = { value: raw.tenant_access_token, expiresAt: started + expire * 1000 };
    return { ok: true, token: this.#token };
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    started: number,
    token?: string,
    signal?: AbortSignal,
  ): Promise<ApiOutcome> {
    const timeout = this.#options.timeoutMs ?? 10_000;
    try {
      const answer = await this.#dispatcher.request({
        origin: this.#origin,
        method: method as Dispatcher.HttpMethod,
        path,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(signal ? { signal } : {}),
      });
      const text = await answer.body.text();
      const logId = answer.headers['x-tt-logid'];
      const outcome = classifyLark(answer.statusCode, text, this.#now() - started, first(logId));
      // A token-shaped answer has no `data`: the token fields sit beside `code`.
      if (path === TOKEN_PATH && outcome.class === 'ok') outcome.data = JSON.parse(text);
      return outcome;
    } catch (error) {
      const name = (error as { code?: string; name?: string }).code ?? (error as Error).name ?? 'Error';
      return { class: 'transient', networkError: name, durationMs: this.#now() - started };
    }
  }
}

/** The call the `reply` action plans, built the same way for replies made outside a rule. */
export function larkReplyCall(messageId: string, text: string): ApiCall {
  return {
    operation: 'lark.reply',
    method: 'POST',
    path: `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/reply`,
    body: { msg_type: 'text', content: JSON.stringify({ text }) },
    write: true,
  };
}

function pathWithQuery(call: ApiCall): string {
  if (!call.query || Object.keys(call.query).length === 0) return call.path;
  return `${call.path}?${new URLSearchParams(call.query).toString()}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
