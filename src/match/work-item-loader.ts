/**
 * Loads work items for the `work_item` fact in batches: every request made in the same tick
 * for the same space and type becomes one `workItem.query` (up to 50 ids, the API's limit),
 * so matching a burst of events costs a few reads, not one per event.
 */
import { buildApiCall } from '../openapi/catalogue.ts';
import { int64 } from '../openapi/json.ts';
import type { ApiCall } from '../plan/run.ts';
import type { Event } from '../events/event.ts';
import { idString, normalizeWorkItem, type NormalizedWorkItem, type WorkItemProvider } from './work-item.ts';

/** `workItem.query` accepts 1–50 ids (error 20028 beyond). */
export const MAX_QUERY_IDS = 50;

export interface WorkItemRef {
  project: string;
  type: string;
  id: string;
}

/** Performs one read and returns the envelope's `data`. */
export type ReadApi = (call: ApiCall) => Promise<unknown>;

export type WorkItemLoader = (ref: WorkItemRef) => Promise<NormalizedWorkItem | undefined>;

interface Pending {
  ref: WorkItemRef;
  resolve(item: NormalizedWorkItem | undefined): void;
  reject(error: unknown): void;
}

export function createWorkItemLoader(read: ReadApi): WorkItemLoader {
  let queue: Pending[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    for (const group of groups(batch)) void loadGroup(read, group);
  };
  return (ref) =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ ref, resolve, reject });
    });
}

/** The provider for one event's work item (undefined when the event has none). */
export function workItemProviderFor(event: Event, load: WorkItemLoader): WorkItemProvider | undefined {
  const { projectKey, workItem } = event;
  if (projectKey === undefined || workItem === undefined) return undefined;
  return () => load({ project: projectKey, type: workItem.typeKey, id: workItem.id });
}

function groups(batch: readonly Pending[]): Pending[][] {
  const byKey = new Map<string, Pending[]>();
  for (const pending of batch) {
    const key = `${pending.ref.project}\u0000${pending.ref.type}`;
    const group = byKey.get(key) ?? [];
    if (group.length === 0) byKey.set(key, group);
    group.push(pending);
  }
  return [...byKey.values()].flatMap((group) => chunks(group, MAX_QUERY_IDS));
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

async function loadGroup(read: ReadApi, group: readonly Pending[]): Promise<void> {
  const first = group[0];
  if (first === undefined) return;
  const ids = [...new Set(group.map((p) => p.ref.id))];
  try {
    const call = buildApiCall('workItem.query', {
      path: { project_key: first.ref.project, work_item_type_key: first.ref.type },
      body: { work_item_ids: ids.map((id) => int64(id)) },
    });
    const data = await read(call);
    const found = new Map<string, NormalizedWorkItem>();
    for (const raw of Array.isArray(data) ? data : []) {
      const item = normalizeWorkItem(raw);
      found.set(idString((raw as { id?: unknown })?.id), item);
    }
    for (const pending of group) pending.resolve(found.get(pending.ref.id));
  } catch (error) {
    for (const pending of group) pending.reject(error);
  }
}
