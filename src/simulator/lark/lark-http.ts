/**
 * One pipeline for every Lark Open Platform route of the fake: record, chaos, the tenant token,
 * body parsing, the handler (which admits the request through the frequency windows before it
 * changes anything), then Lark's `{code, msg, data}` envelope, errors included. Handlers are
 * synchronous and validate first, so a refused request changes nothing and counts nowhere.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { SimCore } from '../http/core.ts';
import type { Limit } from '../http/rate-limit.ts';
import { redactBody, redactHeaders, type RequestRecord } from '../http/request-log.ts';
import { LARK_APP_LIMIT } from './lark-state.ts';

export class LarkError extends Error {
  readonly code: number;
  readonly status: number;
  constructor(code: number, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function larkFail(code: number, message: string, status = 400): LarkError {
  return new LarkError(code, message, status);
}

export interface LarkCtx {
  core: SimCore;
  now: number;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** The parsed JSON body, `{}` when there was none. */
  body: Record<string, unknown>;
  /**
   * Counts the request in the app's window of this interface and in `windows` (a chat, a
   * person, a message), all or none; throws Lark's frequency error when one is full.
   */
  admit(windows?: ReadonlyArray<readonly [key: string, limit: Limit]>): void;
}

export interface LarkResult {
  data?: unknown;
  /** Fields beside `code` and `msg` instead of `data` (the token endpoint). */
  flat?: Record<string, unknown>;
}

export interface LarkRouteDef {
  /** e.g. `lark.message.create`; the request log's route and the app window's key. */
  id: string;
  method: 'get' | 'post' | 'patch';
  path: string;
  /** Requires `Authorization: Bearer <tenant_access_token>`. @defaultValue true */
  auth?: boolean;
  /** A write: may lose its answer under chaos after it was applied. */
  write?: boolean;
  handle(ctx: LarkCtx): LarkResult;
}

type Outcome = RequestRecord['outcome'];

export function mountLarkRoute(router: Router, core: SimCore, def: LarkRouteDef): void {
  router[def.method](def.path, (req, res) => {
    void handle(core, def, req, res);
  });
}

/** Unknown `/open-apis/` paths answer in Lark's envelope too. */
export function mountLarkNotFound(router: Router, core: SimCore): void {
  router.use('/open-apis', (req, res) => {
    const message = `404 page not found: ${req.method} ${req.originalUrl.split('?')[0]}`;
    send(res, 404, { code: 404, msg: message, error: { log_id: logId(core) } });
    record(core, req, 'lark.notFound', parse(req), { status: 404, err_code: 404, err_msg: message });
  });
}

function logId(core: SimCore): string {
  return `${core.clock()}${randomBytes(4).toString('hex')}`;
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

const PARSE_ERROR = Symbol('parse error');

function parse(req: Request): Record<string, unknown> | typeof PARSE_ERROR {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : PARSE_ERROR;
  } catch {
    return PARSE_ERROR;
  }
}

function record(
  core: SimCore,
  req: Request,
  route: string,
  body: unknown,
  answer: { status: number; err_code?: number; err_msg?: string; outcome?: Outcome },
  started = core.clock(),
): void {
  core.log.add({
    time: started,
    method: req.method,
    path: req.path,
    route,
    headers: redactHeaders(req.headers),
    query: { ...req.query },
    body: body === PARSE_ERROR ? '<invalid json>' : redactBody(body),
    duration_ms: core.clock() - started,
    outcome: 'answered',
    ...answer,
  });
}

function checkToken(core: SimCore, req: Request, now: number): void {
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ')) {
    throw larkFail(
      99991661,
      'Missing access token for authorization. Please make a request with token attached.',
    );
  }
  const expiresAt = core.larkTokens.get(auth.slice(7));
  if (expiresAt === undefined || expiresAt <= now) {
    throw larkFail(
      99991663,
      'Invalid access token for authorization. Please make a request with token attached.',
    );
  }
}

async function handle(core: SimCore, def: LarkRouteDef, req: Request, res: Response): Promise<void> {
  const started = core.clock();
  const body = parse(req);
  const fault = core.chaos.before();
  const delay = core.chaos.delayMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (fault === 'reset') {
    record(core, req, def.id, body, { status: 0, outcome: 'reset' }, started);
    req.socket.destroy();
    return;
  }
  if (fault === 'http5xx') {
    record(core, req, def.id, body, { status: 502, outcome: 'http5xx' }, started);
    res.status(502).type('html').send('<html><body><h1>502 Bad Gateway</h1></body></html>');
    return;
  }
  const id = logId(core);
  try {
    if (fault === 'error50006') throw larkFail(1, 'internal error, please try again later', 500);
    const now = core.clock();
    if (def.auth !== false) checkToken(core, req, now);
    if (body === PARSE_ERROR) throw larkFail(9499, 'Bad Request: the body is not a JSON object');
    let admitted = false;
    const ctx: LarkCtx = {
      core,
      now,
      params: req.params as Record<string, string>,
      query: Object.fromEntries(
        Object.entries(req.query).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]),
      ),
      body,
      admit(windows = []) {
        if (admitted) return;
        admitted = true;
        if (!core.rateLimits) return;
        const all = [[`app|${def.id}`, LARK_APP_LIMIT] as const, ...windows];
        const full = core.lark.admit(all, now);
        if (full === undefined) return;
        if (full.startsWith('app|')) throw larkFail(99991400, 'request trigger frequency limit', 429);
        throw larkFail(230020, 'This operation triggers the frequency limit.');
      },
    };
    const result = def.handle(ctx);
    ctx.admit();
    if (def.write && core.chaos.loseResponse()) {
      record(core, req, def.id, body, { status: 0, err_code: 0, outcome: 'lost' }, started);
      req.socket.destroy();
      return;
    }
    const answer = result.flat
      ? { code: 0, msg: 'ok', ...result.flat }
      : { code: 0, msg: 'success', data: result.data ?? {} };
    res.set('X-Tt-Logid', id);
    send(res, 200, answer);
    record(core, req, def.id, body, { status: 200, err_code: 0 }, started);
  } catch (error) {
    const lark = error instanceof LarkError ? error : internal(core, error);
    res.set('X-Tt-Logid', id);
    send(res, lark.status, { code: lark.code, msg: lark.message, error: { log_id: id } });
    const outcome: Outcome = fault === 'error50006' ? 'error50006' : 'answered';
    record(
      core,
      req,
      def.id,
      body,
      { status: lark.status, err_code: lark.code, err_msg: lark.message, outcome },
      started,
    );
  }
}

function internal(core: SimCore, error: unknown): LarkError {
  core.internalErrors.push(error instanceof Error ? error : new Error(String(error)));
  return larkFail(1, 'internal error', 500);
}

/** Readers of body fields that answer Lark's field validation error. */
export function bodyString(ctx: LarkCtx, key: string, code = 99992402): string {
  const value = ctx.body[key];
  if (typeof value !== 'string' || value === '') {
    throw larkFail(code, `field validation failed: ${key} is required and must be a string`);
  }
  return value;
}

export function optionalString(ctx: LarkCtx, key: string): string | undefined {
  const value = ctx.body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw larkFail(99992402, `field validation failed: ${key} must be a string`);
  return value;
}
