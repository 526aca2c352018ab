/**
 * Every condition operator, built-in and custom, as plain functions. The same table is
 * registered into each json-rules-engine Engine (replacing its built-ins) and used by the
 * direct evaluator, so both evaluation paths share one set of semantics by construction.
 *
 * Built-ins keep json-rules-engine's meaning but never throw a TypeError on odd input: a value
 * of the wrong kind in the rule is an AP_RULE_INVALID error, a fact of the wrong kind is false.
 */
import { AutopilotError } from '../errors.ts';
import type { Change } from '../events/event.ts';
import { parseDuration } from '../rules/duration.ts';
import { changedFieldNames } from './change-field.ts';
import { compileSafeRegex } from '../rules/safe-regex.ts';
import type { BUILTIN_OPERATORS, CUSTOM_OPERATORS } from './operator-names.ts';

export type OperatorFn = (factValue: unknown, expected: unknown) => boolean;

/** What the change- and time-relative operators compare against. */
export interface OperatorContext {
  change: Change | undefined;
  /** Epoch ms of the `now` fact. */
  now: number;
}

type OperatorName = (typeof BUILTIN_OPERATORS)[number] | (typeof CUSTOM_OPERATORS)[number];

export function createOperators(ctx: OperatorContext): ReadonlyMap<string, OperatorFn> {
  const table: Record<OperatorName, OperatorFn> = {
    equal: (a, b) => a === b,
    notEqual: (a, b) => a !== b,
    in: (a, b) => searchable(b, 'in').indexOf(a as never) > -1,
    notIn: (a, b) => searchable(b, 'notIn').indexOf(a as never) === -1,
    contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
    doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
    lessThan: (a, b) => isNumeric(a) && (a as number) < (b as number),
    lessThanInclusive: (a, b) => isNumeric(a) && (a as number) <= (b as number),
    greaterThan: (a, b) => isNumeric(a) && (a as number) > (b as number),
    greaterThanInclusive: (a, b) => isNumeric(a) && (a as number) >= (b as number),
    matches: (a, b) => typeof a === 'string' && regex(b).test(a),
    startsWith: (a, b) => typeof a === 'string' && a.startsWith(text(b, 'startsWith')),
    endsWith: (a, b) => typeof a === 'string' && a.endsWith(text(b, 'endsWith')),
    containsAny: (a, b) => list(b, 'containsAny').some((item) => holds(a, item)),
    containsAll: (a, b) => Array.isArray(a) && list(b, 'containsAll').every((item) => a.includes(item)),
    isEmpty: (a, b) => isEmptyValue(a) === flag(b, 'isEmpty'),
    changedFrom: (_a, b) => changeMatches(ctx.change, 'from', b),
    changedTo: (_a, b) => changeMatches(ctx.change, 'to', b),
    olderThan: (a, b) => age(a, ctx.now) > duration(b, 'olderThan'),
    newerThan: (a, b) => age(a, ctx.now) < duration(b, 'newerThan'),
  };
  return new Map(Object.entries(table));
}

function invalid(operator: string, message: string, value: unknown): AutopilotError {
  return new AutopilotError('AP_RULE_INVALID', `${operator}: ${message}`, { operator, value });
}

/** json-rules-engine's `numberValidator`: anything parseFloat reads as a number. */
function isNumeric(value: unknown): boolean {
  return !Number.isNaN(Number.parseFloat(value as string));
}

function searchable(value: unknown, operator: string): { indexOf(item: never): number } {
  if (Array.isArray(value) || typeof value === 'string') return value;
  throw invalid(operator, 'value must be a list', value);
}

function text(value: unknown, operator: string): string {
  if (typeof value === 'string') return value;
  throw invalid(operator, 'value must be a string', value);
}

function list(value: unknown, operator: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw invalid(operator, 'value must be a list', value);
}

function flag(value: unknown, operator: string): boolean {
  if (typeof value === 'boolean') return value;
  throw invalid(operator, 'value must be true or false', value);
}

/** A list holds an item as an element; a scalar holds only itself. */
function holds(container: unknown, item: unknown): boolean {
  return Array.isArray(container) ? container.includes(item) : container === item;
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

const CACHE_LIMIT = 5_000;
const regexCache = new Map<string, { test(input: string): boolean }>();
const durationCache = new Map<string, number>();

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const made = make();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, made);
  return made;
}

function regex(pattern: unknown): { test(input: string): boolean } {
  const source = text(pattern, 'matches');
  return remember(regexCache, source, () =>
    rethrowInvalid('matches', pattern, () => compileSafeRegex(source)),
  );
}

function duration(value: unknown, operator: string): number {
  const source = text(value, operator);
  return remember(durationCache, source, () => rethrowInvalid(operator, value, () => parseDuration(source)));
}

function rethrowInvalid<T>(operator: string, value: unknown, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof AutopilotError) throw error;
    throw invalid(operator, error instanceof Error ? error.message : String(error), value);
  }
}

/** Milliseconds between a timestamp fact and now; NaN (never older or newer) for non-timestamps. */
function age(value: unknown, now: number): number {
  const at = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof at === 'number' && Number.isFinite(at) ? now - at : Number.NaN;
}

function changeMatches(change: Change | undefined, side: 'from' | 'to', expected: unknown): boolean {
  if (change === undefined) return false;
  const { field, value } = splitChangeExpectation(expected);
  if (field !== undefined && !changedFieldNames(change).includes(field) && change.kind !== field)
    return false;
  const seen = plainChangeValue(change[side]);
  return Array.isArray(value) ? value.some((v) => sameValue(seen, v)) : sameValue(seen, value);
}

function splitChangeExpectation(expected: unknown): { field?: string; value: unknown } {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected) && 'field' in expected) {
    const { field, value } = expected as { field: unknown; value: unknown };
    if (typeof field !== 'string') throw invalid('changedFrom/changedTo', 'field must be a string', expected);
    return { field, value };
  }
  return { value: expected };
}

/** Change values arrive raw from Feishu: `{state_key}`, `{value, label}` or lists of them. */
function plainChangeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainChangeValue);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.state_key === 'string') return record.state_key;
    if ('value' in record) return record.value;
  }
  return value;
}

function sameValue(seen: unknown, expected: unknown): boolean {
  if (Array.isArray(seen) && Array.isArray(expected)) {
    return seen.length === expected.length && seen.every((item, i) => item === expected[i]);
  }
  return seen === expected;
}
