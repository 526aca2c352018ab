/**
 * The one function that turns whatever came back from one Open API attempt into an outcome
 * class for the executor. Pure: it takes the HTTP answer (or the network failure) and returns
 * data; it never throws, whatever the body looks like.
 */
import type { EnvelopeKind } from './operation.ts';
import { classOfCode } from './error-table.ts';
import { readEnvelope } from './envelope.ts';
import { parseJson } from './json.ts';
import type { ApiOutcome, OutcomeClass } from './types.ts';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export type RawAnswer =
  | {
      kind: 'http';
      status: number;
      headers: Headers;
      /** The body as received (possibly truncated when `bodyError` is set). */
      body: string;
      /** The raw bytes, kept for `binary-or-standard` endpoints (file download). */
      bytes?: Buffer;
      /** Set when reading the body failed after the headers arrived (reset, body timeout). */
      bodyError?: unknown;
      envelope: EnvelopeKind;
    }
  | { kind: 'network'; error: unknown };

/** Failures that say our request was malformed, not that the network is unwell. */
const PERMANENT_NETWORK_ERRORS = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_URL',
  'TypeError',
]);

export function classifyOutcome(answer: RawAnswer, durationMs: number): ApiOutcome {
  if (answer.kind === 'network') {
    const networkError = errorName(answer.error);
    return {
      class: PERMANENT_NETWORK_ERRORS.has(networkError) ? 'permanent' : 'transient',
      networkError,
      durationMs,
    };
  }
  const base: ApiOutcome = { class: 'ok', httpStatus: answer.status, durationMs };
  const headerLogId = logIdFromHeaders(answer.headers);
  if (headerLogId !== undefined) base.logId = headerLogId;
  if (answer.bodyError !== undefined) {
    return { ...base, class: 'transient', networkError: errorName(answer.bodyError) };
  }
  if (answer.envelope === 'binary-or-standard' && isSuccess(answer.status) && !isJson(answer.headers)) {
    return { ...base, data: answer.bytes ?? answer.body };
  }
  return classifyBody(base, answer.status, answer.body);
}

function classifyBody(base: ApiOutcome, status: number, text: string): ApiOutcome {
  const envelope = readEnvelope(tryParse(text));
  if (envelope === undefined) return { ...base, class: classOfStatus(status), errMsg: describeBody(text) };
  const outcome: ApiOutcome = { ...base, errCode: envelope.code };
  if (envelope.msg !== undefined) outcome.errMsg = envelope.msg;
  if (envelope.innerMsg !== undefined) outcome.innerMsg = envelope.innerMsg;
  if (outcome.logId === undefined && envelope.logId !== undefined) outcome.logId = envelope.logId;
  if (envelope.code !== 0) {
    outcome.class = classOfCode(envelope.code, [envelope.innerMsg ?? '', envelope.msg ?? '']);
    return outcome;
  }
  if (envelope.data !== undefined) outcome.data = envelope.data;
  if (envelope.pagination !== undefined) outcome.pagination = envelope.pagination;
  return outcome;
}

/** Without a business code only the HTTP status is left to go on. */
export function classOfStatus(status: number): OutcomeClass {
  if (status >= 500 || status === 408) return 'transient';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  // A 2xx without an envelope is a body cut short or mangled on the way: the write may have
  // been applied, so it is retried with the same idempotency key.
  if (isSuccess(status)) return 'transient';
  return 'permanent';
}

function tryParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined; // not JSON: reported through describeBody, classified by status
  }
}

function describeBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty response body';
  if (trimmed.startsWith('<')) return 'HTML response instead of JSON';
  return tryParse(trimmed) === undefined
    ? 'response body is not valid JSON'
    : 'response is not an Open API envelope';
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function isJson(headers: Headers): boolean {
  return /json/i.test(firstHeader(headers, 'content-type') ?? '');
}

export function logIdFromHeaders(headers: Headers): string | undefined {
  return firstHeader(headers, 'x-tt-logid') ?? firstHeader(headers, 'x-request-id');
}

function firstHeader(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** undici errors carry `code` (UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT, ECONNRESET); aborts only `name`. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && code !== '') return code;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'Error';
}
