/**
 * What a batch of audit records changes in the dashboard's read models (pure): hourly counts per
 * kind (in total and per rule) and the per-event summary rows. Both adapters apply these in the
 * same transaction as the records themselves, so the summaries never disagree with the audit.
 */
import { COUNT_BUCKET_MS, type AuditKind, type AuditRecord, type EventSummary, type Page } from './ports.ts';

export interface CountDelta {
  bucket: number;
  kind: AuditKind;
  /** '' for the all-rules total. */
  ruleId: string;
  n: number;
  lastAt: number;
}

/** An event row: `describe` set by its `event.processed` record, counters by run outcomes. */
export interface EventDelta {
  eventId: string;
  at: number;
  describe?: {
    type?: string;
    source?: string;
    workItem?: string;
    workItemName?: string;
    candidates: number;
    matchedRules: string[];
  };
  succeeded: number;
  dead: number;
}

/** Sorted by key, so concurrent writers lock counter rows in one order (no deadlocks). */
export function countDeltas(entries: readonly AuditRecord[]): CountDelta[] {
  const byKey = new Map<string, CountDelta>();
  const add = (bucket: number, kind: AuditKind, ruleId: string, at: number) => {
    const key = `${bucket}\u0000${kind}\u0000${ruleId}`;
    const delta = byKey.get(key);
    if (delta) {
      delta.n += 1;
      delta.lastAt = Math.max(delta.lastAt, at);
    } else byKey.set(key, { bucket, kind, ruleId, n: 1, lastAt: at });
  };
  for (const entry of entries) {
    const bucket = Math.floor(entry.at / COUNT_BUCKET_MS) * COUNT_BUCKET_MS;
    add(bucket, entry.kind, '', entry.at);
    if (entry.ruleId) add(bucket, entry.kind, entry.ruleId, entry.at);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
}

const OUTCOME_DELTAS: Partial<Record<AuditKind, { succeeded: number; dead: number }>> = {
  'run.succeeded': { succeeded: 1, dead: 0 },
  'run.dead_lettered': { succeeded: 0, dead: 1 },
  // A retried dead letter is no longer one; its outcome is counted again when it finishes.
  'run.requeued': { succeeded: 0, dead: -1 },
};

/** One delta per event id, sorted by it. */
export function eventDeltas(entries: readonly AuditRecord[]): EventDelta[] {
  const byId = new Map<string, EventDelta>();
  for (const entry of entries) {
    if (entry.eventId === undefined) continue;
    const outcome = OUTCOME_DELTAS[entry.kind];
    if (entry.kind !== 'event.processed' && !outcome) continue;
    const delta = byId.get(entry.eventId) ?? { eventId: entry.eventId, at: entry.at, succeeded: 0, dead: 0 };
    byId.set(entry.eventId, delta);
    if (outcome) {
      delta.succeeded += outcome.succeeded;
      delta.dead += outcome.dead;
      continue;
    }
    const d = entry.detail ?? {};
    delta.at = entry.at;
    delta.describe = {
      type: text(d.type),
      source: text(d.source),
      workItem: entry.workItem,
      workItemName: text(d.workItemName),
      candidates: typeof d.candidates === 'number' ? d.candidates : 0,
      matchedRules: Array.isArray(d.matchedRules) ? d.matchedRules.map(String) : [],
    };
  }
  return [...byId.values()].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `at:eventId` (events) or `at:seq` (records): the position after which the next page starts. */
export function encodeCursor(at: number, tail: string | number): string {
  return `${at}:${tail}`;
}

export function decodeCursor(cursor: string | undefined): { at: number; tail: string } | undefined {
  if (cursor === undefined) return undefined;
  const split = cursor.indexOf(':');
  const at = Number(cursor.slice(0, split));
  if (split < 1 || !Number.isSafeInteger(at)) return undefined;
  return { at, tail: cursor.slice(split + 1) };
}

/** An `audit_events` row as either database returns it (PostgreSQL gives bigints as text). */
export interface EventRow {
  event_id: string;
  at: number | string;
  type: string | null;
  source: string | null;
  work_item: string | null;
  work_item_name: string | null;
  candidates: number | string;
  matched_rules: string;
  succeeded: number | string;
  dead: number | string;
}

/** A page of event rows fetched with one row more than `limit` (that one tells there is a next page). */
export function eventPage(rows: readonly EventRow[], limit: number): Page<EventSummary> {
  const items = rows.slice(0, limit).map(toSummary);
  const last = items.at(-1);
  return { items, ...(rows.length > limit && last ? { next: encodeCursor(last.at, last.eventId) } : {}) };
}

function toSummary(row: EventRow): EventSummary {
  const summary: EventSummary = {
    eventId: row.event_id,
    at: Number(row.at),
    candidates: Number(row.candidates),
    matchedRules: JSON.parse(row.matched_rules) as string[],
    succeeded: Number(row.succeeded),
    dead: Number(row.dead),
  };
  if (row.type !== null) summary.type = row.type;
  if (row.source !== null) summary.source = row.source;
  if (row.work_item !== null) summary.workItem = row.work_item;
  if (row.work_item_name !== null) summary.workItemName = row.work_item_name;
  return summary;
}
