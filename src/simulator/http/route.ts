/**
 * One pipeline for every Open API route: record, chaos, token and X-USER-KEY checks, rate
 * limit, body parsing, idempotency, the handler, the envelope, then webhooks. Handlers are
 * synchronous and validate before they mutate, so a rejected call changes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { stringify as losslessStringify } from 'lossless-json';
import { Changes, type Actor } from '../model/changes.ts';
import type { Tenant } from '../model/tenant.ts';
import { asBody, type Body } from './body.ts';
import type { SimCore } from './core.ts';
import type { Limit } from './rate-limit.ts';
import { redactBody, redactHeaders, type RequestRecord } from './request-log.ts';
import { SimError, fail } from './sim-error.ts';
import type { TokenInfo } from './tokens.ts';

export interface Ctx {
  core: SimCore;
  tenant: Tenant;
  now: number;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Body;
  /** The acting user: X-USER-KEY, or the user token's user; '' when none was needed. */
  operator: string;
  token?: TokenInfo;
  changes: Changes;
  rawBody: Buffer | undefined;
  headers: Request['headers'];
}

export interface Result {
  data?: unknown;
  /** Raw bytes instead of an envelope (file/download). */
  raw?: { name: string; type: string; bytes: Buffer };
  pagination?: { page_num: number; page_size: number; total: number };
}

export interface RouteDef {
  /** Catalogue id, e.g. `workItem.create`. */
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** @defaultValue 15 per second */
  limit?: Limit;
  /** Writes are de-duplicated by X-IDEM-UUID and may lose their response under chaos. */
  write?: boolean;
  /** `none`: no token (plugin_token); `token`: X-USER-KEY optional; `user` (default): required with plugin tokens. */
  auth?: 'none' | 'token' | 'user';
  /** `token`: the authen endpoints' `{data, error}` envelope. */
  envelope?: 'standard' | 'token';
  /** Skip JSON parsing (multipart uploads). */
  rawBody?: boolean;
  handle: (ctx: Ctx) => Result | void;
}

export function mount(router: Router, core: SimCore, def: RouteDef): void {
  const method = def.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  router[method](def.path, (req, res) => {
    void handle(core, def, req, res);
  });
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(def: RouteDef, req: Request): unknown {
  if (def.rawBody || !Buffer.isBuffer(req.body) || req.body.length === 0) return undefined;
  const text = req.body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return PARSE_ERROR;
  }
}

const PARSE_ERROR = Symbol('parse error');

/**
 * Who the call acts as, as the operation records will name it: a user token is the user; a
 * plugin token with X-USER-KEY is the plugin acting for that user (operator_type `plugin`,
 * source the plugin id) [inferred: the doc names the values, not which call gets which].
 */
function authenticate(
  core: SimCore,
  def: RouteDef,
  req: Request,
  now: number,
): Actor & { token?: TokenInfo } {
  const plugin = { sourceType: 'plugin', source: core.tenant.data.plugin.plugin_id };
  if (def.auth === 'none') return { operator: '', operatorType: 'plugin', ...plugin };
  const token = header(req, 'x-plugin-token');
  if (!token) throw fail(10021, 'X-PLUGIN-TOKEN is not set');
  const info = core.tokens.check(token, now);
  if (info === 'expired') throw fail(10022, 'token expired');
  if (info === 'unknown') throw fail(10022, 'token invalid');
  if (info.kind === 'user') return { operator: info.userKey ?? '', operatorType: 'user', token: info };
  const userKey = header(req, 'x-user-key');
  if (!userKey) {
    if (def.auth === 'token') return { operator: '', operatorType: 'plugin', ...plugin, token: info };
    throw fail(20039);
  }
  if (!core.tenant.findUser(userKey)) throw fail(30006, `user: ${userKey} not exist`);
  return { operator: userKey, operatorType: 'plugin', ...plugin, token: info };
}

function send(res: Response, status: number, body: unknown, logId: string): void {
  res.status(status).set('X-Tt-Logid', logId).type('application/json').send(losslessStringify(body));
}

function errorBody(def: RouteDef, error: SimError, logId: string): unknown {
  if (def.envelope === 'token') return { data: {}, error: { code: error.code, msg: error.message } };
  return {
    err_code: error.code,
    err_msg: error.outer,
    err: { code: error.code, msg: error.message, log_id: logId },
  };
}

function successBody(def: RouteDef, result: Result | void): unknown {
  if (def.envelope === 'token') return { data: result?.data ?? {}, error: { code: 0, msg: 'success' } };
  const body: Record<string, unknown> = { err_code: 0, err_msg: '', err: {} };
  if (result && 'data' in result) body.data = result.data;
  if (result?.pagination) body.pagination = result.pagination;
  return body;
}

type RecordAnswer = (r: Pick<RequestRecord, 'status' | 'err_code' | 'err_msg' | 'outcome'>) => void;

const GATEWAY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';

/** The checks the real API makes before it looks at the request: token, user, limit, body, idempotency. */
function admit(
  core: SimCore,
  def: RouteDef,
  req: Request,
  parsed: unknown,
  idemKey: string | undefined,
  now: number,
) {
  const auth = authenticate(core, def, req, now);
  const scope = `${auth.token?.token ?? 'anonymous'}|${def.method} ${def.path}`;
  if (core.rateLimits && !core.limiter.tryAcquire(scope, def.limit ?? { qps: 15 }, now)) {
    throw fail(10429, 'request frequency exceeds the limit');
  }
  if (parsed === PARSE_ERROR) throw fail(9999, 'request body is not valid JSON');
  if (def.write && idemKey !== undefined && core.ledger.isUsed(scope, idemKey)) {
    throw fail(10430, `X-IDEM-UUID ${idemKey} was already used`);
  }
  return { ...auth, scope };
}

/** Run the handler; a write that returns has been applied (idempotency key used, snapshot due). */
function apply(core: SimCore, def: RouteDef, req: Request, parsed: unknown, idemKey: string | undefined) {
  const now = core.clock();
  const auth = admit(core, def, req, parsed, idemKey, now);
  const { token: _token, scope: _scope, ...actor } = auth;
  const changes = new Changes(core.tenant, actor, now, core.webhooks.token);
  const result = def.handle({
    core,
    tenant: core.tenant,
    now,
    params: req.params as Record<string, string>,
    query: { ...req.query },
    body: asBody(parsed),
    operator: auth.operator,
    token: auth.token,
    changes,
    rawBody: Buffer.isBuffer(req.body) ? req.body : undefined,
    headers: req.headers,
  });
  if (def.write) {
    core.ledger.recordApplied(auth.scope, idemKey);
    core.afterWrite();
  }
  return { result, changes };
}

function answer(
  core: SimCore,
  def: RouteDef,
  req: Request,
  res: Response,
  result: Result | void,
  logId: string,
  record: RecordAnswer,
) {
  if (def.write && core.chaos.loseResponse()) {
    record({ status: 0, err_code: 0, outcome: 'lost' });
    req.socket.destroy();
  } else if (result?.raw) {
    res.status(200).type(result.raw.type).attachment(result.raw.name).send(result.raw.bytes);
    record({ status: 200, err_code: 0, outcome: 'answered' });
  } else {
    send(res, 200, successBody(def, result), logId);
    record({ status: 200, err_code: 0, outcome: 'answered' });
  }
}

async function handle(core: SimCore, def: RouteDef, req: Request, res: Response): Promise<void> {
  const started = core.clock();
  const logId = `${started}${randomBytes(3).toString('hex')}`;
  const parsed = parseJson(def, req);
  const idemKey = header(req, 'x-idem-uuid');
  const record: RecordAnswer = (r) =>
    core.log.add({
      time: started,
      method: req.method,
      path: req.path,
      route: def.id,
      headers: redactHeaders(req.headers),
      query: { ...req.query },
      body: parsed === PARSE_ERROR ? '<invalid json>' : redactBody(parsed),
      idempotency_key: idemKey,
      duration_ms: core.clock() - started,
      ...r,
    });

  const fault = core.chaos.before();
  const delay = core.chaos.delayMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (fault === 'reset') {
    record({ status: 0, outcome: 'reset' });
    req.socket.destroy();
    return;
  }
  if (fault === 'http5xx') {
    record({ status: 502, outcome: 'http5xx' });
    res.status(502).type('html').send(GATEWAY_PAGE);
    return;
  }
  try {
    if (fault === 'error50006') throw fail(50006, 'openapi system err, please try again later');
    const { result, changes } = apply(core, def, req, parsed, idemKey);
    answer(core, def, req, res, result, logId, record);
    core.webhooks.push(changes.events);
    core.automations.react(core, changes.records);
  } catch (error) {
    const simError = error instanceof SimError ? error : internal(core, error);
    send(res, simError.status, errorBody(def, simError, logId), logId);
    const outcome = fault === 'error50006' ? 'error50006' : 'answered';
    record({ status: simError.status, err_code: simError.code, err_msg: simError.message, outcome });
  }
}

function internal(core: SimCore, error: unknown): SimError {
  core.internalErrors.push(error instanceof Error ? error : new Error(String(error)));
  return fail(50006, 'openapi system err, please try again later');
}
