/**
 * The template formatters: `default`, `join`, `date`, `json`, `upper`, `lower`, and the person
 * formatters `name` and `mention` (see person-markers.ts), arithmetic (`plus`, `minus`, `times`),
 * time (`add`, `days_since`) and lists (`size`, `first`, `last`, `map`). Data in, data out; nothing a
 * template says is ever run as code.
 */
import { AutopilotError } from '../errors.ts';
import { resolvePath } from '../match/resolve-path.ts';
import { parseDuration } from '../rules/duration.ts';
import { NUMBER_ARGUMENT, type FormatterName } from './parse.ts';
import { personFormatter } from './person-markers.ts';

/** `now` is the run's time (epoch ms) when the template is rendered with the facts. */
export type Formatter = (value: unknown, args: readonly string[], now?: number) => unknown;

export const FORMATTERS: Readonly<Record<FormatterName, Formatter>> = {
  // Empty counts as missing: Feishu Project answers an unset text field as "" and an unset
  // multi-value field as [], and a rule author writing default("none") means those too.
  default: (value, [fallback]) =>
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
      ? fallback
      : value,
  join: (value, [separator = ', ']) => (Array.isArray(value) ? value.map(toText).join(separator) : value),
  date: (value, [format = 'YYYY-MM-DD', timeZone = 'UTC']) => formatDate(value, format, timeZone),
  json: (value) => JSON.stringify(value ?? null),
  upper: (value) => mapText(value, (s) => s.toUpperCase()),
  lower: (value) => mapText(value, (s) => s.toLowerCase()),
  name: personFormatter('name'),
  mention: personFormatter('mention'),
  plus: (value, [n = '0']) => arithmetic('plus', value, (a) => a + Number(n)),
  minus: (value, [n = '0']) => arithmetic('minus', value, (a) => a - Number(n)),
  times: (value, [n = '1']) => arithmetic('times', value, (a) => a * Number(n)),
  add: (value, [duration = '0s']) => timeOf('add', value) + signedDuration(duration),
  days_since: (value, _args, now = Date.now()) => Math.trunc((now - timeOf('days_since', value)) / DAY_MS),
  size: (value) => sizeOf(value),
  first: (value) => listOf('first', value)[0],
  last: (value) => listOf('last', value).at(-1),
  map: (value, [key = '']) =>
    listOf('map', value)
      .map((item) => resolvePath(item, key))
      .filter((picked) => picked !== undefined && picked !== null),
};

const DAY_MS = 86_400_000;

function templateValueError(formatter: string, expected: string, value: unknown): AutopilotError {
  const shown = JSON.stringify(value) ?? String(value);
  return new AutopilotError(
    'AP_TEMPLATE_INVALID',
    `${formatter}: expected ${expected}, got ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}`,
    { formatter },
  );
}

/** A number, or a string that is exactly a decimal number ("3", "-1.5"). */
function numberOf(formatter: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && NUMBER_ARGUMENT.test(value.trim())) return Number(value.trim());
  throw templateValueError(formatter, 'a number', value);
}

function arithmetic(formatter: string, value: unknown, fn: (a: number) => number): number {
  const result = fn(numberOf(formatter, value));
  if (!Number.isFinite(result))
    throw templateValueError(formatter, 'a result that is a finite number', value);
  return result;
}

/** Epoch ms from epoch ms, a digit string, or an ISO 8601 time ("2026-12-02T10:00:00Z", "2026-12-02"). */
function timeOf(formatter: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    if (/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
      const ms = Date.parse(value);
      if (Number.isFinite(ms)) return ms;
    }
  }
  throw templateValueError(formatter, 'epoch milliseconds or an ISO 8601 time', value);
}

function signedDuration(text: string): number {
  return text.startsWith('-') ? -parseDuration(text.slice(1)) : parseDuration(text);
}

function sizeOf(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  throw templateValueError('size', 'a list, a text or an object', value);
}

function listOf(formatter: string, value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw templateValueError(formatter, 'a list', value);
}

/** How a value reads inside a longer text: lists of scalars comma-separated, objects as JSON. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object'))
    return value.map(toText).join(', ');
  return JSON.stringify(value ?? null);
}

function mapText(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? fn(v) : v));
  return value;
}

const DATE_TOKENS = /YYYY|MM|DD|HH|mm|ss/g;
const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatDate(value: unknown, format: string, timeZone: string): string {
  const ms = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new AutopilotError(
      'AP_TEMPLATE_INVALID',
      `date: expected epoch milliseconds, got ${JSON.stringify(value)}`,
      {
        value,
      },
    );
  }
  const parts = dateParts(ms, timeZone);
  return format.replace(DATE_TOKENS, (token) => parts[token] ?? token);
}

function dateParts(ms: number, timeZone: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(new Date(ms))) parts[part.type] = part.value;
  return {
    YYYY: parts.year ?? '',
    MM: parts.month ?? '',
    DD: parts.day ?? '',
    HH: parts.hour === '24' ? '00' : (parts.hour ?? ''),
    mm: parts.minute ?? '',
    ss: parts.second ?? '',
  };
}

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new AutopilotError('AP_TEMPLATE_INVALID', `date: unknown time zone '${timeZone}'`, { timeZone });
    }
    formatterCache.set(timeZone, formatter);
  }
  return formatter;
}
