/**
 * Where a backtest's history comes from: the engine's stored event log, or (`--from api`) the
 * operation records of the spaces the rules name, translated into the same events, together
 * with the work items as they are now (for rebuilding them as they were).
 */
import { toFieldMeta } from '../engine/work-item-loader.ts';
import { AutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';
import { normalizeWorkItem, type FieldMeta } from '../match/work-item.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import { findUpdated } from '../reconcile/find-updated.ts';
import type { SpaceScope } from '../reconcile/reconcile-scope.ts';
import { readOpRecords } from '../records/read-op-records.ts';
import type { EngineIdentity } from '../records/record-origin.ts';
import { translateRecords, type RecordSkip } from '../records/translate-records.ts';
import type { EventLog } from '../store/ports.ts';
import type { ReadData } from '../triggers/search-items.ts';
import type { CurrentItem } from './items-at-events.ts';

export interface History {
  events: Event[];
  /** Items as they are now, by `project:id` (API history only). */
  current: Map<string, CurrentItem>;
  /** Records that made no event, with their codes. */
  skips: RecordSkip[];
  /** Open API requests made. */
  requests: number;
}

export async function storedHistory(log: EventLog, since: number, until: number): Promise<History> {
  if (!log.listReceived)
    throw new AutopilotError('AP_STORE_UNSUPPORTED', 'this event log cannot list its events');
  const events: Event[] = [];
  let after: string | undefined;
  do {
    const page = await log.listReceived({ since, until, limit: 1000, ...(after ? { after } : {}) });
    events.push(...page.events.map((s) => s.event));
    after = page.next;
  } while (after !== undefined);
  return { events, current: new Map(), skips: [], requests: 0 };
}

export interface ApiHistoryOptions {
  read: ReadData;
  scope: readonly SpaceScope[];
  since: number;
  until: number;
  engine: EngineIdentity;
}

export async function apiHistory(options: ApiHistoryOptions): Promise<History> {
  const history: History = { events: [], current: new Map(), skips: [], requests: 0 };
  const read: ReadData = (call) => {
    history.requests++;
    return options.read(call);
  };
  for (const scope of options.scope) {
    const items = await findUpdated(read, scope, options.since);
    const meta = new Map<string, FieldMeta[]>();
    for (const item of items) {
      const key = `${item.projectKey}\u0000${item.typeKey}`;
      if (!meta.has(key))
        meta.set(key, toFieldMeta(await read(projectCalls.allFields(item.projectKey, item.typeKey))));
      const fieldMeta = meta.get(key) ?? [];
      history.current.set(`${item.projectKey}:${item.id}`, {
        item: normalizeWorkItem(item.raw, fieldMeta),
        fieldMeta,
      });
    }
    for (const projectKey of new Set(items.map((i) => i.projectKey))) {
      const ids = items.filter((i) => i.projectKey === projectKey).map((i) => i.id);
      const found = await readOpRecords(read, {
        projectKey,
        workItemIds: ids,
        start: options.since,
        end: options.until,
      });
      const simpleName = items.find((i) => i.projectKey === projectKey)?.simpleName;
      const fieldType = (p: string, t: string, field: string) =>
        meta.get(`${p}\u0000${t}`)?.find((m) => m.field_key === field)?.field_type_key;
      const { events, skips } = translateRecords(found.records, {
        engine: options.engine,
        fieldType,
        until: options.until,
        simpleName: (key) => (key === projectKey ? simpleName : undefined),
      });
      history.events.push(...events);
      history.skips.push(...skips);
    }
  }
  return history;
}
