/**
 * Digests (`message` with `digest: 1h`): what the action would send to one chat or person in a
 * window is collected and sent as one message at the window's end. Windows are aligned to whole
 * multiples of their length since the Unix epoch (UTC): `1h` ends on the hour, `1d` at 00:00 UTC.
 * The pure part: the window, the names of a digest's list and flush run, and the digest's text.
 */
import { v5 as uuidv5 } from 'uuid';
import { AutopilotError, isAutopilotError } from '../errors.ts';
import type { LarkReceiver } from '../people/person.ts';
import { IDEMPOTENCY_NAMESPACE } from '../plan/idempotency.ts';
import { parseDuration } from '../rules/duration.ts';
import { DIGEST_PREFIX, type DigestItem } from '../store/ports.ts';

/** Shortest window: a digest of less than a minute is a message with a delay. */
export const MIN_DIGEST_MS = 60_000;
/** Longest window: its items are kept until it ends, and retention keeps the list a week more. */
export const MAX_DIGEST_MS = 7 * 86_400_000;
/** Most characters of items in one digest; the rest are counted, not listed (Lark caps a text). */
export const MAX_DIGEST_CHARS = 20_000;

/** The window's length in ms; AP_RULE_INVALID naming what is wrong. */
export function digestWindowMs(value: unknown): number {
  let ms: number;
  try {
    ms = parseDuration(typeof value === 'string' ? value : String(value));
  } catch (error) {
    if (!isAutopilotError(error)) throw error;
    throw new AutopilotError('AP_RULE_INVALID', `digest: ${error.message}`, { digest: value });
  }
  if (ms < MIN_DIGEST_MS || ms > MAX_DIGEST_MS) {
    throw new AutopilotError('AP_RULE_INVALID', `digest: ${String(value)} is not a window from 1m to 7d`, {
      digest: value,
    });
  }
  return ms;
}

export interface DigestWindow {
  /** The window's length in ms. */
  every: number;
  start: number;
  end: number;
}

/** The window `at` falls in. */
export function windowAt(every: number, at: number): DigestWindow {
  const start = Math.floor(at / every) * every;
  return { every, start, end: start + every };
}

/** One digest: a rule's messages to one receiver in one window. */
export interface DigestRef {
  ruleId: string;
  receiver: LarkReceiver;
  window: DigestWindow;
}

/** The identity of a digest, without the rule: the flush run's event id. */
export function digestEventId(ref: DigestRef): string {
  const { receiver, window } = ref;
  return `digest:${window.every}:${receiver.type}:${receiver.id}:${window.start}`;
}

/** Where the digest's items are kept in the state store. */
export function digestKey(ref: DigestRef): string {
  const { receiver, window } = ref;
  return `${DIGEST_PREFIX}${ref.ruleId}:${window.every}:${receiver.type}:${receiver.id}:${window.start}`;
}

/** Lark's `uuid` of the digest's one send: the same on every attempt of its flush. */
export function digestUuid(ref: DigestRef): string {
  return uuidv5(`lark-digest\n${digestKey(ref)}`, IDEMPOTENCY_NAMESPACE);
}

/** The digest as one Lark text: a heading with the window, then every item, numbered. */
export function digestText(items: readonly DigestItem[], window: DigestWindow): string {
  const lines: string[] = [];
  let chars = 0;
  let listed = 0;
  for (const item of items) {
    const text = item.text.replace(/\n/g, '\n   ');
    if (listed > 0 && chars + text.length > MAX_DIGEST_CHARS) break;
    lines.push(`${listed + 1}. ${text}`);
    chars += text.length;
    listed++;
  }
  const more = items.length - listed;
  if (more > 0) lines.push(`… and ${more} more`);
  const count = items.length === 1 ? '1 message' : `${items.length} messages`;
  return [`Digest: ${count}, ${span(window)}`, ...lines].join('\n');
}

function span(window: DigestWindow): string {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const start = iso(window.start);
  const end = iso(window.end);
  const sameDay = start.slice(0, 10) === end.slice(0, 10);
  return `${start}–${sameDay ? end.slice(11) : end} UTC`;
}
