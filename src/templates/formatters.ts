/**
 * The template formatters: `default`, `join`, `date`, `json`, `upper`, `lower`, and the person
 * formatters `name` and `mention` (see person-markers.ts). Data in, data out; nothing a
 * template says is ever run as code.
 */
import { AutopilotError } from '../errors.ts';
import type { FormatterName } from './parse.ts';
import { personFormatter } from './person-markers.ts';

export type Formatter = (value: unknown, args: readonly string[]) => unknown;

export const FORMATTERS: Readonly<Record<FormatterName, Formatter>> = {
  default: (value, [fallback]) => (value === undefined || value === null ? fallback : value),
  join: (value, [separator = ', ']) => (Array.isArray(value) ? value.map(toText).join(separator) : value),
  date: (value, [format = 'YYYY-MM-DD', timeZone = 'UTC']) => formatDate(value, format, timeZone),
  json: (value) => JSON.stringify(value ?? null),
  upper: (value) => mapText(value, (s) => s.toUpperCase()),
  lower: (value) => mapText(value, (s) => s.toLowerCase()),
  name: personFormatter('name'),
  mention: personFormatter('mention'),
};

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
