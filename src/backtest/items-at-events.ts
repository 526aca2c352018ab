/**
 * The work item as it was right after each event of a history, so a backtest's conditions see
 * what a live read would have shown then. Two ways, by what is at hand:
 *
 * - backwards from the item as it is now (read from the API): every later change undone with
 *   its `from` value; what no change touched is taken as it is now. A change whose old value
 *   the history does not give (a compound field) leaves that field unknown.
 * - forwards from what the events themselves carry (the stored log, an item deleted since):
 *   the payload's fields, then every change's `to` value. Anything never seen is unknown.
 *
 * An unknown field is left out and the fact is marked not live, so a condition that needs it
 * says so (AP_CONDITION_NEEDS_LIVE_DATA), as `autopilot test` does.
 */
import type { Change, Event } from '../events/event.ts';
import { workItemFromPayload, type WorkItemFact } from '../match/facts.ts';
import type { FieldMeta, NormalizedWorkItem } from '../match/work-item.ts';

export interface CurrentItem {
  item: NormalizedWorkItem;
  fieldMeta: readonly FieldMeta[];
}

const itemKey = (event: Event): string | undefined =>
  event.workItem ? `${event.projectKey ?? ''}:${event.workItem.id}` : undefined;

/** Events in the order they happened (ties by id, so the order never depends on how they were read). */
export function inHistoryOrder(events: readonly Event[]): Event[] {
  return [...events].sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The work item fact per event id. */
export function itemsAtEvents(
  events: readonly Event[],
  current: ReadonlyMap<string, CurrentItem> = new Map(),
): Map<string, WorkItemFact> {
  const byItem = new Map<string, Event[]>();
  for (const event of inHistoryOrder(events)) {
    const key = itemKey(event);
    if (key !== undefined) byItem.set(key, [...(byItem.get(key) ?? []), event]);
  }
  const facts = new Map<string, WorkItemFact>();
  for (const [key, history] of byItem) {
    const now = current.get(key);
    const rebuilt = now ? backwards(history, now) : forwards(history);
    for (const [id, fact] of rebuilt) facts.set(id, fact);
  }
  return facts;
}

/** The field changes an event reports (the first and every one listed in `fields`). */
function fieldChanges(change: Change | undefined): Change[] {
  if (change?.kind !== 'field') return [];
  return Array.isArray(change.fields) ? (change.fields as Change[]) : [change];
}

type Item = Partial<NormalizedWorkItem> & { fields: Record<string, unknown> };

/** Values are never changed in place, only replaced: a copy of the item and its field map is enough. */
function clone(item: Item): Item {
  return { ...item, fields: { ...item.fields } };
}

function backwards(history: Event[], now: CurrentItem): Map<string, WorkItemFact> {
  const aliasOf = new Map(now.fieldMeta.map((m) => [m.field_key, m.field_alias]));
  const facts = new Map<string, WorkItemFact>();
  let state: Item = clone(now.item);
  let live = true;
  for (const event of [...history].reverse()) {
    facts.set(event.id, { value: clone(state), live });
    const set = (key: string, value: unknown) => {
      state.fields[key] = value;
      const alias = aliasOf.get(key);
      if (alias) state.fields[alias] = value;
    };
    for (const change of fieldChanges(event.change)) {
      if (typeof change.field !== 'string') continue;
      if ('from' in change) set(change.field, change.from);
      else {
        delete state.fields[change.field];
        live = false;
      }
    }
    if (event.type === 'work_item.status_changed' && typeof event.change?.from === 'string')
      state = { ...state, state: event.change.from };
  }
  return facts;
}

function forwards(history: Event[]): Map<string, WorkItemFact> {
  const facts = new Map<string, WorkItemFact>();
  let state: Item = { fields: {} };
  for (const event of history) {
    const known = workItemFromPayload(event);
    if (known) state = { ...state, ...known, fields: { ...state.fields, ...(known.fields ?? {}) } };
    for (const change of fieldChanges(event.change)) {
      if (typeof change.field === 'string' && 'to' in change) state.fields[change.field] = change.to;
    }
    if (event.type === 'work_item.status_changed' && typeof event.change?.to === 'string')
      state = { ...state, state: event.change.to };
    const value = Object.keys(state.fields).length === 0 ? withoutFields(state) : clone(state);
    facts.set(event.id, { value, live: false });
  }
  return facts;
}

/** No field seen yet: leave `fields` out so a condition on one says it needs data. */
function withoutFields(item: Item): Partial<NormalizedWorkItem> {
  const { fields: _none, ...rest } = clone(item);
  return rest;
}
