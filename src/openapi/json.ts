/**
 * JSON for the Open API without precision loss. Comment ids are 19-digit integers and
 * `transition_id` is an int64 of unknown size: `JSON.parse` would silently round them.
 */
import { LosslessNumber, isInteger, isSafeNumber, parse, stringify } from 'lossless-json';
import { AutopilotError } from '../errors.ts';

/**
 * Parses a response body. Every integer that is not a safe integer becomes a string, and every
 * integer under an id-like key (`id`, `ID`, `*_id`, elements of `*_ids`) becomes a string too, so
 * ids have one type (string) whatever their size.
 * @throws SyntaxError on text that is not JSON.
 */
export function parseJson(text: string): unknown {
  return stringifyIds(parse(text, null, parseNumber), undefined);
}

function parseNumber(text: string): number | string {
  return isInteger(text) && !isSafeNumber(text) ? text : Number(text);
}

export function isIdKey(key: string): boolean {
  return key === 'id' || key === 'ID' || key.endsWith('_id') || key.endsWith('_ids');
}

function stringifyIds(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'number')
    return key !== undefined && isIdKey(key) && Number.isInteger(value) ? String(value) : value;
  if (Array.isArray(value))
    return value.map((item) => stringifyIds(item, key?.endsWith('_ids') ? key : undefined));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  for (const k of Object.keys(object)) object[k] = stringifyIds(object[k], k);
  return object;
}

/** Serializes a request body; `bigint` and `int64()` values are written as bare JSON numbers. */
export function stringifyJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * True for the canonical decimal text of a signed 64-bit integer: no sign but `-`, no leading
 * zeros (a JSON number cannot have them), within -2^63 … 2^63-1.
 */
export function isInt64Text(text: string): boolean {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(text)) return false;
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * An int64 for a request body from our string form of an id (e.g. `work_item_ids`,
 * `transition_id`): written as a JSON number without passing through a double.
 * @throws AutopilotError `AP_API_CALL_INVALID` when the value is not an integer id.
 */
export function int64(id: string | number | bigint): LosslessNumber {
  const text = String(id);
  if (!isInt64Text(text) || (typeof id === 'number' && !Number.isSafeInteger(id))) {
    throw new AutopilotError('AP_API_CALL_INVALID', `"${text}" is not an int64 id`, { value: text });
  }
  return new LosslessNumber(text);
}
