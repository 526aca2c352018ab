/**
 * One reconcile round per space: the work items updated since the space's watermark
 * (work_item/filter by updated_at), their operation records from the watermark on, translated
 * into the webhook path's events and appended. The event log drops every change a webhook
 * already delivered (same change id); what is left was missed: counted and audited, one record
 * each, then matched like any event. Changes younger than `settleMs` wait for the next round,
 * so a webhook that is merely late is not taken for a missed one.
 *
 * Items are found by `updated_at ≥ watermark` with no upper bound (an item updated in the
 * window and again since has the later time); their records are read for the window only
 * (each record is read by one round), so a deletion marks the item's earlier records of the
 * same round as deleted since.
 */
import type { Event } from '../events/event.ts';
import type { FieldMeta } from '../match/work-item.ts';
import { OP_RECORDS_SINCE } from '../records/op-record.ts';
import { readOpRecords } from '../records/read-op-records.ts';
import type { EngineIdentity } from '../records/record-origin.ts';
import { translateRecords, type RecordSkip } from '../records/translate-records.ts';
import type { AuditRecord, AuditStore, EventLog, StateStore } from '../store/ports.ts';
import type { ReadData } from '../triggers/search-items.ts';
import { readFenced, writeFenced } from '../triggers/trigger-state.ts';
import { findUpdated } from './find-updated.ts';
import type { SpaceScope } from './reconcile-scope.ts';

export interface ReconcileDeps {
  state: StateStore;
  eventLog: EventLog;
  audit: AuditStore;
  /** The reconciler's reads (paced to its share of the budget, through the shared limiter). */
  read: ReadData;
  engine: EngineIdentity;
  /** Field definitions of a work item type, to type record values; absent: values stay text. */
  fieldMeta?: (projectKey: string, typeKey: string) => Promise<readonly FieldMeta[]>;
  now: () => number;
  /** Changes younger than this are left to their webhooks this round. */
  settleMs: number;
  /** A space seen for the first time is looked at this far back. */
  lookBackMs: number;
  onStored?: (event: Event, inserted: boolean) => void;
}

interface SpaceMeta {
  /** Everything up to here (inclusive) has been reconciled. */
  watermark: number;
  lastRunAt: number;
  fencingToken: number;
}

export interface SpaceRound {
  space: string;
  from: number;
  to: number;
  items: number;
  records: number;
  requests: number;
  /** How long the round took (its reads are paced). */
  durationMs: number;
  /** Events stored because no webhook had delivered them. */
  missed: Event[];
  skips: RecordSkip[];
}

export function reconcileKey(space: string): string {
  return `reconcile:${space}`;
}

export async function reconcileSpace(
  scope: SpaceScope,
  deps: ReconcileDeps,
  fencingToken: number,
): Promise<SpaceRound> {
  const now = deps.now();
  const key = reconcileKey(scope.space);
  const meta = await readFenced<SpaceMeta>(deps.state, key, fencingToken);
  const to = now - deps.settleMs;
  const from = Math.max(OP_RECORDS_SINCE, meta ? meta.watermark + 1 : to - deps.lookBackMs);
  const round: SpaceRound = {
    space: scope.space,
    from,
    to,
    items: 0,
    records: 0,
    requests: 0,
    durationMs: 0,
    missed: [],
    skips: [],
  };
  if (to < from) return round;
  const items = await findUpdated(countingRead(deps.read, round), scope, from);
  round.items = items.length;
  const audit: AuditRecord[] = [];
  for (const [projectKey, ids] of byProject(items)) {
    const read = await readOpRecords(deps.read, {
      projectKey,
      workItemIds: ids,
      start: from,
      end: to,
    });
    round.requests += read.requests;
    round.records += read.records.length;
    const fieldType = await fieldTypes(deps, projectKey, items);
    const simpleName = items.find((i) => i.projectKey === projectKey && i.simpleName)?.simpleName;
    const { events, skips } = translateRecords(read.records, {
      engine: deps.engine,
      fieldType,
      until: to,
      simpleName: (key) => (key === projectKey ? simpleName : undefined),
    });
    round.skips.push(...skips);
    audit.push(...skips.map((skip) => skipRecord(skip, now)));
    for (const event of events) {
      const { inserted } = await deps.eventLog.append(event, deps.now());
      deps.onStored?.(event, inserted);
      if (!inserted) continue;
      round.missed.push(event);
      audit.push(missedRecord(event, now));
    }
  }
  await deps.audit.record(audit);
  await writeFenced(deps.state, key, meta, { watermark: to, lastRunAt: now, fencingToken });
  round.durationMs = deps.now() - now;
  return round;
}

function countingRead(read: ReadData, round: SpaceRound): ReadData {
  return (call) => {
    round.requests++;
    return read(call);
  };
}

function byProject(items: ReadonlyArray<{ id: string; projectKey: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of items) out.set(item.projectKey, [...(out.get(item.projectKey) ?? []), item.id]);
  return out;
}

/** The field types of every work item type among the found items, read once per round. */
async function fieldTypes(
  deps: ReconcileDeps,
  projectKey: string,
  items: ReadonlyArray<{ projectKey: string; typeKey: string }>,
): Promise<(p: string, t: string, field: string) => string | undefined> {
  const types = new Map<string, Map<string, string>>();
  if (!deps.fieldMeta) return () => undefined;
  for (const typeKey of new Set(items.filter((i) => i.projectKey === projectKey).map((i) => i.typeKey))) {
    const meta = await deps.fieldMeta(projectKey, typeKey);
    const byKey = new Map<string, string>();
    for (const field of meta) if (field.field_type_key) byKey.set(field.field_key, field.field_type_key);
    types.set(typeKey, byKey);
  }
  return (_p, typeKey, field) => types.get(typeKey)?.get(field);
}

function workItemKey(projectKey: string | undefined, id: string | undefined): string | undefined {
  return id === undefined ? undefined : `${projectKey ?? ''}:${id}`;
}

function missedRecord(event: Event, at: number): AuditRecord {
  return {
    at,
    kind: 'webhook.missed',
    eventId: event.id,
    workItem: workItemKey(event.projectKey, event.workItem?.id),
    detail: {
      space: event.projectKey,
      type: event.type,
      occurredAt: event.occurredAt,
      lagMs: at - event.occurredAt,
      origin: event.origin,
    },
  };
}

function skipRecord(skip: RecordSkip, at: number): AuditRecord {
  return {
    at,
    kind: 'record.skipped',
    workItem: workItemKey(skip.projectKey, skip.workItemId),
    detail: { ...skip },
  };
}
