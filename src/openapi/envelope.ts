/**
 * Reads both Open API envelopes leniently (the reference warns that fields may be added at any
 * time): `{err_code, err_msg, err:{code,msg,log_id}, data, pagination}` and the token
 * endpoints' `{data, error:{code,msg}}`.
 */
import type { ApiOutcome } from './types.ts';

export interface Envelope {
  code: number;
  msg?: string;
  innerCode?: number;
  innerMsg?: string;
  logId?: string;
  data?: unknown;
  pagination?: ApiOutcome['pagination'];
}

/** `undefined` when the body is not an envelope of either kind. */
export function readEnvelope(body: unknown): Envelope | undefined {
  if (!isRecord(body)) return undefined;
  const err = isRecord(body.err) ? body.err : {};
  const error = isRecord(body.error) ? body.error : undefined;
  const code = toCode(body.err_code) ?? toCode(error?.code);
  if (code === undefined) return undefined;
  const envelope: Envelope = { code };
  assign(envelope, 'msg', toText(body.err_msg) ?? toText(error?.msg));
  assign(envelope, 'innerCode', toCode(err.code));
  assign(envelope, 'innerMsg', toText(err.msg));
  assign(envelope, 'logId', toText(err.log_id));
  assign(envelope, 'data', bareIdToString(body.data ?? topLevelRecords(body)));
  assign(envelope, 'pagination', readPagination(body.pagination));
  return envelope;
}

/**
 * op_record/work_item/list: the doc's parameter table puts `op_records` and its cursor at the top
 * level, its example and the SDK under `data` (README §4): read either.
 */
function topLevelRecords(body: Record<string, unknown>): unknown {
  if (!Array.isArray(body.op_records)) return undefined;
  const { has_more, start_from, total, op_records } = body;
  return { has_more, start_from, total, op_records };
}

/** `create`, `comment/create` and `subtask create` answer the new id as a bare number. */
function bareIdToString(data: unknown): unknown {
  return typeof data === 'number' && Number.isInteger(data) ? String(data) : data;
}

function readPagination(value: unknown): ApiOutcome['pagination'] | undefined {
  if (!isRecord(value)) return undefined;
  const out: NonNullable<ApiOutcome['pagination']> = {};
  assign(out, 'page_num', toCode(value.page_num));
  assign(out, 'page_size', toCode(value.page_size));
  assign(out, 'total', toCode(value.total));
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Codes arrive as numbers, or as strings once large enough to have been kept lossless. */
function toCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

function toText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
