/**
 * The executor of the `http` action (operation `http.request`): one attempt, classified as an
 * `ApiOutcome` so the executor's retry policy treats it like an Open API call. Only hosts of
 * `http.allowedHosts` are called; the connection goes to an address that was checked (the
 * agent's own DNS look-up refuses every private, loopback, link-local or metadata answer), and
 * redirects are never followed, so a 3xx cannot lead anywhere the check did not see.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, request, type Dispatcher } from 'undici';
import type { ApiCaller, ApiOutcome, CallOptions } from '../openapi/types.ts';
import type { ApiCall } from '../plan/run.ts';
import { refusedAddressReason } from './address-policy.ts';
import { checkTarget } from './target-policy.ts';

export const HTTP_OPERATION = 'http.request';
export const REFUSED_NETWORK_ERROR = 'AP_HTTP_ACTION_REFUSED';

type LookupFn = (
  hostname: string,
  options: { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface HttpActionOptions {
  /** Hosts the action may call (config `http.allowedHosts`). */
  allowedHosts: readonly string[];
  /** Addresses exempt from the private-address check. @defaultValue [] */
  trustedAddresses?: readonly string[];
  /** Whole-attempt timeout. @defaultValue 10000 */
  timeoutMs?: number;
  /** Largest response body read; a bigger one fails the attempt. @defaultValue 1 MiB */
  maxResponseBytes?: number;
  /** DNS resolution (tests resolve names to local listeners). @defaultValue node:dns lookup */
  lookup?: LookupFn;
  now?: () => number;
}

export interface HttpActionCaller extends ApiCaller {
  close(): Promise<void>;
}

class TargetRefused extends Error {
  readonly code = REFUSED_NETWORK_ERROR;
}

export function createHttpActionCaller(options: HttpActionOptions): HttpActionCaller {
  const now = options.now ?? Date.now;
  const trusted = new Set(options.trustedAddresses ?? []);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const resolve: LookupFn = options.lookup ?? ((host, opts, cb) => dnsLookup(host, opts, cb));
  const agent = new Agent({
    connect: { lookup: checkedLookup(resolve, trusted), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    maxResponseSize: maxBytes,
  });

  async function call(apiCall: ApiCall, callOptions: CallOptions = {}): Promise<ApiOutcome> {
    const started = now();
    const elapsed = () => now() - started;
    if (apiCall.operation !== HTTP_OPERATION) {
      return refused(`operation ${apiCall.operation} is not ${HTTP_OPERATION}`, elapsed());
    }
    const target = checkTarget(apiCall.path, options.allowedHosts, trusted);
    if (!target.ok) return refused(target.reason, elapsed());
    const signal = combinedSignal(timeoutMs, callOptions.signal);
    try {
      const answer = await request(target.url, {
        dispatcher: agent,
        method: apiCall.method,
        headers: requestHeaders(apiCall, callOptions.idempotencyKey),
        body: requestBody(apiCall.body),
        signal,
      });
      return await readAnswer(answer, maxBytes, elapsed);
    } catch (error) {
      return failure(error, elapsed());
    }
  }

  return {
    call,
    dropToken: () => undefined,
    tokenKey: () => Promise.resolve('http'),
    close: () => agent.close(),
  };
}

/** Resolves like `dns.lookup` but fails when any answer is an address we refuse. */
function checkedLookup(resolve: LookupFn, trusted: ReadonlySet<string>) {
  return (
    hostname: string,
    opts: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname, { all: true }, (error, addresses) => {
      if (error) {
        // Named in the message: the executor keeps it as the run's error.
        if (error.code === 'ENOTFOUND') error.message = `${hostname} does not resolve (ENOTFOUND)`;
        return callback(error, []);
      }
      for (const { address } of addresses) {
        const why = trusted.has(address) ? undefined : refusedAddressReason(address);
        if (why !== undefined) {
          return callback(new TargetRefused(`${hostname} resolves to ${address}, which is ${why}`), []);
        }
      }
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENODATA' }), []);
      }
      if (opts.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

const DROPPED_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade']);

/** The headers an `http` call is sent with (the dry run shows the same). */
export function requestHeaders(call: ApiCall, idempotencyKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  if (call.body !== undefined && typeof call.body !== 'string' && headers['content-type'] === undefined) {
    headers['content-type'] = 'application/json';
  }
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  return headers;
}

function requestBody(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function combinedSignal(timeoutMs: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([timeout, signal]) : timeout;
}

async function readAnswer(
  answer: Dispatcher.ResponseData,
  maxBytes: number,
  elapsed: () => number,
): Promise<ApiOutcome> {
  const status = answer.statusCode;
  if (status >= 300 && status < 400) {
    await answer.body.dump();
    return {
      class: 'permanent',
      httpStatus: status,
      errMsg: 'redirects are not followed by the http action',
      durationMs: elapsed(),
    };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      answer.body.destroy();
      return {
        class: 'permanent',
        httpStatus: status,
        errMsg: `response larger than ${maxBytes} bytes`,
        durationMs: elapsed(),
      };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const outcome: ApiOutcome = { class: classOfHttpStatus(status), httpStatus: status, durationMs: elapsed() };
  if (outcome.class === 'ok') outcome.data = parseBody(text, answer.headers['content-type']);
  else outcome.errMsg = text.slice(0, 200);
  return outcome;
}

/** Like the Open API's statuses, but a target's 401/403 is the rule's problem, not our token's. */
function classOfHttpStatus(status: number): ApiOutcome['class'] {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'transient';
  return 'permanent';
}

function parseBody(text: string, contentType: string | string[] | undefined): unknown {
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (!type?.includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A target that labels text as JSON still answered 2xx; its body is kept as text.
    return text;
  }
}

/**
 * Failures no retry can change: the request as the rule wrote it cannot be sent (a header value
 * or name the HTTP client refuses, an `expect` header), the answer is too large, or the host
 * name does not exist. Retrying them only held the rule's other runs back for hours.
 */
const PERMANENT_ERRORS: Readonly<Record<string, string>> = {
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'response too large',
  UND_ERR_INVALID_ARG: 'the request cannot be sent as written',
  UND_ERR_NOT_SUPPORTED: 'the request cannot be sent as written',
  ENOTFOUND: 'the host name does not resolve',
  ENODATA: 'the host name has no address',
};

function failure(error: unknown, durationMs: number): ApiOutcome {
  const refusal = findRefusal(error);
  if (refusal) return refused(refusal.message, durationMs);
  const name = errorName(error);
  const permanent =
    PERMANENT_ERRORS[name] ??
    (error instanceof TypeError ? 'the request cannot be sent as written' : undefined);
  if (permanent !== undefined) {
    const detail = (error as Error)?.message;
    return {
      class: 'permanent',
      networkError: name,
      errMsg: detail ? `${permanent}: ${detail}` : permanent,
      durationMs,
    };
  }
  return { class: 'transient', networkError: name, durationMs };
}

function refused(reason: string, durationMs: number): ApiOutcome {
  return { class: 'permanent', networkError: REFUSED_NETWORK_ERROR, errMsg: reason, durationMs };
}

function findRefusal(error: unknown): TargetRefused | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof TargetRefused) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (typeof name === 'string') return name;
  }
  return 'Error';
}
