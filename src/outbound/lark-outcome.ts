/**
 * Lark Open Platform answers → the executor's outcome classes. Lark's envelope is
 * `{code, msg, data}`; code 0 is success. Pure.
 */
import type { ApiOutcome, OutcomeClass } from '../openapi/types.ts';

/** Token missing, invalid or expired: fetch a new tenant_access_token and try once more. */
const AUTH_CODES = new Set([99991661, 99991663, 99991664, 99991665, 99991668, 99991671]);
/** Frequency limit. */
const RATE_CODES = new Set([99991400, 11232, 230020]);
/** Lark's "internal error, retry" family. */
const TRANSIENT_CODES = new Set([1, 99991401, 230024, 230028]);

export function classifyLark(status: number, text: string, durationMs: number, logId?: string): ApiOutcome {
  const base: ApiOutcome = { class: 'ok', httpStatus: status, durationMs };
  if (logId) base.logId = logId;
  let body: { code?: unknown; msg?: unknown; data?: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as typeof body;
  } catch {
    body = undefined;
  }
  const code = typeof body?.code === 'number' ? body.code : undefined;
  if (code === undefined) {
    return { ...base, class: statusClass(status), errMsg: `not a Lark answer (HTTP ${status})` };
  }
  if (code === 0 && status < 300) return { ...base, data: body?.data };
  return { ...base, class: codeClass(code, status), errCode: code, errMsg: String(body?.msg ?? '') };
}

function codeClass(code: number, status: number): OutcomeClass {
  if (AUTH_CODES.has(code)) return 'auth';
  if (RATE_CODES.has(code) || status === 429) return 'rate_limited';
  if (TRANSIENT_CODES.has(code) || status >= 500) return 'transient';
  return 'permanent';
}

function statusClass(status: number): OutcomeClass {
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408) return 'transient';
  if (status === 401 || status === 403) return 'auth';
  return status < 300 ? 'ok' : 'permanent';
}
