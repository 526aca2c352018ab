/**
 * What a poll remembers of a work item (its status and watched fields, values as rule authors
 * compare them) and the changes between two snapshots. Pure.
 */
import type { Change } from '../events/event.ts';
import { plainFieldValue } from '../ingest/feishu/changes.ts';
import type { FoundItem } from './search-items.ts';

export interface Snapshot {
  updatedAt: number;
  status?: string;
  fields: Record<string, unknown>;
  /** Our clock when it was taken: a webhook seen after this already told us what changed since. */
  takenAt: number;
}

export interface DetectedChange {
  type: 'work_item.status_changed' | 'work_item.updated';
  change: Change;
}

/** Fields never compared when `watch` is empty: structure, not content. */
const UNWATCHED = new Set(['role_owners', 'aborted', 'template']);

export function takeSnapshot(item: FoundItem, watch: readonly string[], takenAt: number): Snapshot {
  const fields: Record<string, unknown> = {};
  for (const field of item.fields ?? []) {
    const key = field.field_key;
    if (key === undefined) continue;
    const watched =
      watch.length === 0
        ? !UNWATCHED.has(key)
        : watch.includes(key) || watch.includes(field.field_alias ?? '');
    if (watched) fields[key] = plainFieldValue(field.field_value) ?? null;
  }
  const status = item.work_item_status?.state_key;
  return { updatedAt: Number(item.updated_at ?? 0), ...(status ? { status } : {}), fields, takenAt };
}

/** Status first, then fields in key order: the order events are emitted in. */
export function diffSnapshots(before: Snapshot, after: Snapshot): DetectedChange[] {
  const changes: DetectedChange[] = [];
  if (before.status !== after.status && after.status !== undefined) {
    changes.push({
      type: 'work_item.status_changed',
      change: { kind: 'status', from: before.status, to: after.status },
    });
  }
  const keys = [...new Set([...Object.keys(before.fields), ...Object.keys(after.fields)])].sort();
  for (const field of keys) {
    const from = before.fields[field] ?? null;
    const to = after.fields[field] ?? null;
    if (canonical(from) !== canonical(to)) {
      changes.push({ type: 'work_item.updated', change: { kind: 'field', field, from, to } });
    }
  }
  return changes;
}

/** A stable text of a value: object keys sorted, so equal values always print the same. */
export function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : typeof v === 'bigint'
        ? v.toString()
        : v,
  );
}
