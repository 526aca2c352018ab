import { ExpiringMap } from '../ops/expiring-map.ts';
import { isAutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';
import {
  normalizeWorkItem,
  subtaskViews,
  type FieldMeta,
  type NormalizedWorkItem,
} from '../match/work-item.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import type { ApiCall } from '../plan/run.ts';
import { createBatchedQuery } from './batched-query.ts';
import { readParent, readRelated, type LinkedItem } from './linked-items.ts';

/** Performs one read (through the limiter) and returns the envelope's `data`; throws when it fails. */
export type ReadData = (call: ApiCall) => Promise<unknown>;

export interface LoadedWorkItem {
  item: NormalizedWorkItem;
  fieldMeta: readonly FieldMeta[];
}

export interface WorkItemLoader {
  /**
   * The live work item of an event, or undefined when the event has none or it no longer exists.
   * With `subtasks`, its sub-tasks are read too (only rules that mention them pay for it).
   */
  load(
    event: Pick<Event, 'projectKey' | 'workItem'>,
    options?: { subtasks?: boolean },
  ): Promise<LoadedWorkItem | undefined>;
  /**
   * The event's related work items by space relation rule, and its parent (src/engine/
   * linked-items.ts), through the same read and batches; fakes may leave them out.
   */
  related?(
    event: Pick<Event, 'projectKey' | 'workItem'>,
    relationRules: readonly string[],
  ): Promise<Record<string, LinkedItem[]>>;
  parent?(event: Pick<Event, 'projectKey' | 'workItem'>): Promise<LinkedItem | undefined>;
  /** The field definitions of a work item type (cached like the loads' own); fakes may leave it out. */
  fieldMeta?(projectKey: string, typeKey: string): Promise<readonly FieldMeta[]>;
  /** (space, type) pairs whose field definitions are cached, for `autopilot_memory_entries`. */
  cachedTypes?(): number;
  /**
   * One work item read through `read` (the executor's limited read, whose waits reschedule the
   * run), normalized with the cached field meta; undefined when the API no longer returns it.
   */
  loadWith(
    read: ReadData,
    ref: { projectKey: string; typeKey: string; id: string },
    options?: { subtasks?: boolean },
  ): Promise<NormalizedWorkItem | undefined>;
}

/**
 * Loads work items for conditions and rechecks. Field definitions (keys, aliases, types) change
 * rarely, so they are cached per (space, type) for `fieldTtlMs`; the work item itself is always
 * read fresh.
 */
export function createWorkItemLoader(
  read: ReadData,
  now: () => number,
  fieldTtlMs = 5 * 60_000,
): WorkItemLoader {
  const fieldCache = new ExpiringMap<string, Promise<FieldMeta[]>>(now, fieldTtlMs);
  const queryOne = createBatchedQuery(read);

  function fieldMeta(projectKey: string, typeKey: string, through: ReadData = read): Promise<FieldMeta[]> {
    const key = `${projectKey}\u0000${typeKey}`;
    const cached = fieldCache.get(key);
    if (cached) return cached;
    const meta = through(projectCalls.allFields(projectKey, typeKey)).then(toFieldMeta);
    // A failed read must not be cached: the next event tries again.
    meta.catch(() => fieldCache.delete(key));
    fieldCache.set(key, meta, now() + fieldTtlMs);
    return meta;
  }

  const linkedReads = { read, queryOne, fieldMeta };
  const refOf = (event: Pick<Event, 'projectKey' | 'workItem'>) =>
    event.projectKey && event.workItem
      ? { projectKey: event.projectKey, typeKey: event.workItem.typeKey, id: event.workItem.id }
      : undefined;

  return {
    fieldMeta,
    cachedTypes: () => fieldCache.size,
    async related(event, relationRules) {
      const ref = refOf(event);
      return ref && relationRules.length > 0 ? readRelated(linkedReads, ref, relationRules) : {};
    },
    async parent(event) {
      const ref = refOf(event);
      return ref && readParent(linkedReads, ref);
    },
    async load(event, options = {}) {
      if (!event.projectKey || !event.workItem) return undefined;
      const { id, typeKey } = event.workItem;
      const ref = { projectKey: event.projectKey, typeKey, id };
      const [raw, meta, tasks] = await Promise.all([
        queryOne(event.projectKey, typeKey, id),
        fieldMeta(event.projectKey, typeKey),
        options.subtasks ? readSubtasks(read, ref) : undefined,
      ]);
      if (raw === undefined) return undefined;
      const item = normalizeWorkItem(raw, meta);
      const withTasks = options.subtasks && tasks !== undefined ? { ...item, ...subtaskViews(tasks) } : item;
      return { item: withTasks, fieldMeta: meta };
    },
    async loadWith(through, ref, options = {}) {
      const meta = await fieldMeta(ref.projectKey, ref.typeKey, through);
      const data = await through(projectCalls.queryWorkItems(ref.projectKey, ref.typeKey, [ref.id]));
      const raw = Array.isArray(data) ? data[0] : undefined;
      if (raw === undefined) return undefined;
      const item = normalizeWorkItem(raw, meta);
      if (!options.subtasks) return item;
      const tasks = await readSubtasks(through, ref);
      return tasks === undefined ? item : { ...item, ...subtaskViews(tasks) };
    },
  };
}

/**
 * Sub-tasks exist on node-flow items only; the API refuses the list for a state-flow item. A
 * refused list leaves the views out (conditions on them are false), a transient failure throws.
 */
async function readSubtasks(
  read: ReadData,
  ref: { projectKey: string; typeKey: string; id: string },
): Promise<unknown> {
  try {
    return await read(projectCalls.listSubtasks(ref));
  } catch (error) {
    if (isAutopilotError(error, 'AP_API_PERMANENT')) return undefined;
    throw error;
  }
}

/** The field definitions of a `config.fieldsAll` answer. */
export function toFieldMeta(data: unknown): FieldMeta[] {
  if (!Array.isArray(data)) return [];
  return data.flatMap((entry) => {
    const field = entry as Record<string, unknown>;
    if (typeof field.field_key !== 'string') return [];
    return [
      {
        field_key: field.field_key,
        ...(typeof field.field_alias === 'string' && { field_alias: field.field_alias }),
        ...(typeof field.field_type_key === 'string' && { field_type_key: field.field_type_key }),
      },
    ];
  });
}
