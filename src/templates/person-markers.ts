/**
 * The `name` and `mention` formatters need to know who a user key is, which only Feishu
 * Project's user/query can say: templates are rendered without network, so the formatters
 * leave a marker (private-use characters around the kind and the key) that the executor
 * replaces once it has looked the people up — a display name, or Lark's @mention markup.
 * Values read from events and work items are stripped of those characters first, so a work
 * item named to look like a marker can never make the engine @mention someone. Pure.
 */
import { AutopilotError } from '../errors.ts';

export type PersonFormat = 'name' | 'mention';

const OPEN = '\uE000';
const CLOSE = '\uE001';
const KIND: Record<PersonFormat, string> = { name: '1', mention: '2' };
const KIND_OF: Record<string, PersonFormat> = { '1': 'name', '2': 'mention' };
const USER_KEY = /^\d{1,24}$/;
const MARKER = /\uE000([12])(\d{1,24})\uE001/g;
const MARKER_CHARS = /[\uE000\uE001]/g;

/** The formatter itself: a user key (or a list of them) becomes marker text. */
export function personFormatter(format: PersonFormat) {
  return (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((v) => markerOf(format, v));
    return markerOf(format, value);
  };
}

function markerOf(format: PersonFormat, value: unknown): string {
  const key = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof key !== 'string' || !USER_KEY.test(key)) {
    throw new AutopilotError(
      'AP_TEMPLATE_INVALID',
      `${format}: expected a user key (or a list of them), got ${JSON.stringify(value)}`,
      { value },
    );
  }
  return `${OPEN}${KIND[format]}${key}${CLOSE}`;
}

export function hasPersonMarkers(text: string): boolean {
  return text.includes(OPEN);
}

/** The user keys marked in a text. */
export function markedKeys(text: string): string[] {
  return [...text.matchAll(MARKER)].map((m) => m[2] as string);
}

/** Each marker replaced by what `render` makes of its kind and key. */
export function replacePersonMarkers(
  text: string,
  render: (format: PersonFormat, key: string) => string,
): string {
  if (!hasPersonMarkers(text)) return text;
  return text.replace(MARKER, (_, kind: string, key: string) => render(KIND_OF[kind] as PersonFormat, key));
}

/** A value from the facts without marker characters, deeply; the same value when it has none. */
export function stripPersonMarkers<T>(value: T): T {
  return carriesMarkerChars(value) ? strip(value) : value;
}

function carriesMarkerChars(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(OPEN) || value.includes(CLOSE);
  if (Array.isArray(value)) return value.some(carriesMarkerChars);
  if (value !== null && typeof value === 'object') return Object.values(value).some(carriesMarkerChars);
  return false;
}

function strip<T>(value: T): T {
  if (typeof value === 'string') return value.replace(MARKER_CHARS, '') as T;
  if (Array.isArray(value)) return value.map(strip) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)])) as T;
  }
  return value;
}

/** Every user key marked anywhere inside a value (call bodies, params). */
export function markedKeysIn(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const key of markedKeys(value)) into.add(key);
  else if (Array.isArray(value)) for (const v of value) markedKeysIn(v, into);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) markedKeysIn(v, into);
  return into;
}
