/**
 * One round of a poll rule: search what changed since the watermark (updated_at ≥ it), compare
 * each item with its snapshot, store a `work_item.*` event per change (the same types and change
 * shapes webhooks produce), then move the snapshots and the watermark on. The first round, and
 * the first after the rule's search or watch list changed, only records the baseline.
 *
 * Event ids hash (rule, work item, updated_at, change): a round interrupted after storing its
 * events detects the same changes again and the event log drops them as duplicates. The rule
 * id is part of the hash so two poll rules watching one item both fire.
 */
import { eventIds } from '../events/event-ids.ts';
import type { Event } from '../events/event.ts';
import type { PollTrigger, Rule } from '../rules/rule.ts';
import type { EventLog, StateStore } from '../store/ports.ts';
import { searchItems, type FoundItem, type ReadData } from './search-items.ts';
import { canonical, diffSnapshots, takeSnapshot, type DetectedChange, type Snapshot } from './snapshot.ts';
import { idHash, readFenced, writeFenced } from './trigger-state.ts';
import type { WebhookChangeLog } from './webhook-changes.ts';

export interface PollDeps {
  state: StateStore;
  eventLog: EventLog;
  read: ReadData;
  webhookChanges: WebhookChangeLog;
  now: () => number;
  onStored: (event: Event, inserted: boolean) => void;
}

interface PollMeta {
  /** search + watch as last polled; a different one starts a new baseline. */
  spec: string;
  /** Largest updated_at seen; the next search asks for updated_at ≥ it. Absent: nothing seen yet. */
  watermark?: number;
  lastRunAt: number;
  fencingToken: number;
}

export interface PollRound {
  ruleId: string;
  baseline: boolean;
  items: number;
  /** Events newly stored (duplicates left out). */
  stored: Event[];
  /** Changes a webhook had already delivered. */
  skippedAsDelivered: number;
}

export function pollMetaKey(ruleId: string): string {
  return `poll:${ruleId}`;
}

/** When the rule's next round is due, from its stored state; undefined = never polled. */
export async function lastPolledAt(state: StateStore, ruleId: string): Promise<number | undefined> {
  return (await state.get<PollMeta>(pollMetaKey(ruleId)))?.lastRunAt;
}

export async function pollOnce(rule: Rule, deps: PollDeps, fencingToken: number): Promise<PollRound> {
  const { poll } = rule.on as PollTrigger;
  const now = deps.now();
  const metaKey = pollMetaKey(rule.id);
  const meta = await readFenced<PollMeta>(deps.state, metaKey, fencingToken);
  const spec = canonical({ search: poll.search, watch: poll.watch ?? [] });
  const baseline = meta === undefined || meta.spec !== spec;
  const since = baseline ? undefined : meta.watermark;
  const items = await searchItems(deps.read, poll.search, since === undefined ? {} : { updatedSince: since });
  const round: PollRound = {
    ruleId: rule.id,
    baseline,
    items: items.length,
    stored: [],
    skippedAsDelivered: 0,
  };
  for (const item of items) {
    const snapshot = takeSnapshot(item, poll.watch ?? [], now);
    const key = `${metaKey}:${item.project_key ?? poll.search.project}:${item.id}`;
    const previous = baseline ? undefined : await deps.state.get<Snapshot>(key);
    if (!baseline) {
      const events = await changesOf(rule, item, previous, snapshot, meta, deps, round);
      for (const event of events) await store(event, deps, round);
    }
    await deps.state.set(key, snapshot);
  }
  const seen = items.map((i) => Number(i.updated_at ?? 0));
  const watermark = seen.length === 0 ? since : Math.max(since ?? 0, ...seen);
  const next: PollMeta = {
    spec,
    lastRunAt: now,
    fencingToken,
    ...(watermark === undefined ? {} : { watermark }),
  };
  await writeFenced(deps.state, metaKey, meta, next);
  return round;
}

async function changesOf(
  rule: Rule,
  item: FoundItem,
  previous: Snapshot | undefined,
  snapshot: Snapshot,
  meta: PollMeta | undefined,
  deps: PollDeps,
  round: PollRound,
): Promise<Event[]> {
  if (previous === undefined) {
    // New to this search: created after the last item seen (or, while the search was empty,
    // after the last round) is a creation; an older item that only now matches the search is
    // taken as its baseline, since what changed before it matched is unknown.
    const created = Number(item.created_at ?? 0);
    const since = meta?.watermark ?? meta?.lastRunAt ?? Infinity;
    return created > since ? [pollEvent(rule, item, snapshot, undefined, deps.now())] : [];
  }
  const events: Event[] = [];
  const projectKey = item.project_key ?? (rule.on as PollTrigger).poll.search.project;
  for (const detected of diffSnapshots(previous, snapshot)) {
    const field = detected.change.kind === 'status' ? 'status' : String(detected.change.field);
    if (await deps.webhookChanges.seen(projectKey, item.id, field, detected.change.to, previous.takenAt)) {
      round.skippedAsDelivered++;
      continue;
    }
    events.push(pollEvent(rule, item, snapshot, detected, deps.now()));
  }
  return events;
}

function pollEvent(
  rule: Rule,
  item: FoundItem,
  snapshot: Snapshot,
  detected: DetectedChange | undefined,
  now: number,
): Event {
  const search = (rule.on as PollTrigger).poll.search;
  const projectKey = item.project_key ?? search.project;
  const type = detected?.type ?? 'work_item.created';
  const change = detected?.change;
  return {
    id: eventIds.poll(
      idHash(rule.id, projectKey, item.id, String(snapshot.updatedAt), type, canonical(change)),
    ),
    source: 'poll',
    type,
    occurredAt: snapshot.updatedAt || now,
    projectKey,
    workItem: { id: item.id, typeKey: item.work_item_type_key ?? search.work_item_type },
    ...(item.updated_by ? { operator: String(item.updated_by) } : {}),
    ...(change ? { change } : {}),
    payload: { rule_id: rule.id, work_item: item },
  };
}

async function store(event: Event, deps: PollDeps, round: PollRound): Promise<void> {
  const { inserted } = await deps.eventLog.append(event, deps.now());
  deps.onStored(event, inserted);
  if (inserted) round.stored.push(event);
}
