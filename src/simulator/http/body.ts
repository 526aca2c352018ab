/**
 * Reading request bodies the way the Open API validates them: a missing required parameter is
 * 20005, a present one of the wrong type is 20006. Every reader names the parameter.
 */
import { fail } from './sim-error.ts';

export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw fail(9999, 'request body must be a JSON object');
  return value as Body;
}

function missing(value: unknown): boolean {
  return value === undefined || value === null;
}

export function optString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (missing(value)) return undefined;
  if (typeof value !== 'string') throw fail(20006, `${key} must be a string`);
  return value;
}

export function reqString(body: Body, key: string): string {
  const value = optString(body, key);
  if (value === undefined || value === '') throw fail(20005, `${key} is required`);
  return value;
}

/** int64 ids arrive as numbers or numeric strings (the docs' examples use both). */
export function optInt(body: Body, key: string): number | undefined {
  const value = body[key];
  if (missing(value)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw fail(20006, `${key} must be an integer`);
}

export function reqInt(body: Body, key: string): number {
  const value = optInt(body, key);
  if (value === undefined) throw fail(20005, `${key} is required`);
  return value;
}

export function optBool(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (missing(value)) return undefined;
  if (typeof value !== 'boolean') throw fail(20006, `${key} must be a bool`);
  return value;
}

export function optArray(body: Body, key: string): unknown[] | undefined {
  const value = body[key];
  if (missing(value)) return undefined;
  if (!Array.isArray(value)) throw fail(20006, `${key} must be an array`);
  return value;
}

export function optStrings(body: Body, key: string): string[] | undefined {
  const list = optArray(body, key);
  if (list === undefined) return undefined;
  if (!list.every((v) => typeof v === 'string')) throw fail(20006, `${key} must be a list of strings`);
  return list as string[];
}

export function optInts(body: Body, key: string): number[] | undefined {
  const list = optArray(body, key);
  if (list === undefined) return undefined;
  return list.map((v, i) => {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
    throw fail(20006, `${key}[${i}] must be an integer`);
  });
}

/** Work item id lists: required, 1 to 50 entries (20028 beyond). */
export function reqIdList(body: Body, key: string): number[] {
  const ids = optInts(body, key);
  if (ids === undefined || ids.length === 0) throw fail(20005, `${key} is required`);
  if (ids.length > 50) throw fail(20028, `${key} has ${ids.length} ids, at most 50`);
  return ids;
}

export function optObject(body: Body, key: string): Body | undefined {
  const value = body[key];
  if (missing(value)) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw fail(20006, `${key} must be an object`);
  return value as Body;
}

/** page_num from 1; page_size capped per endpoint (20002 beyond). */
export function paging(
  body: Body,
  defaultSize: number,
  maxSize: number,
): { pageNum: number; pageSize: number } {
  const pageNum = optInt(body, 'page_num') ?? 1;
  const pageSize = optInt(body, 'page_size') ?? defaultSize;
  if (pageNum < 1) throw fail(20006, 'page_num must be >= 1');
  if (pageSize < 1) throw fail(20006, 'page_size must be >= 1');
  if (pageSize > maxSize) throw fail(20002, `page_size must be <= ${maxSize}`);
  return { pageNum, pageSize };
}

export function page<T>(
  items: T[],
  { pageNum, pageSize }: { pageNum: number; pageSize: number },
): { items: T[]; pagination: { page_num: number; page_size: number; total: number } } {
  const start = (pageNum - 1) * pageSize;
  return {
    items: items.slice(start, start + pageSize),
    pagination: { page_num: pageNum, page_size: pageSize, total: items.length },
  };
}
