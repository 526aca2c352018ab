import { AutopilotError } from '../errors.ts';
import { isInt64Text } from '../openapi/json.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import type { ReadData } from './work-item-loader.ts';

/** workItem.query takes at most 50 ids (20028 beyond). */
const MAX_IDS = 50;

interface Pending {
  projectKey: string;
  typeKey: string;
  waiters: Map<string, Array<{ resolve: (raw: unknown) => void; reject: (error: unknown) => void }>>;
}

/**
 * Work items asked for in the same turn of the event loop (events matched in parallel) are read
 * with one workItem.query per (space, type) and up to 50 ids, instead of one call each: reads
 * share the endpoint's 15/s with every other caller. Resolves each id with its raw item, or
 * undefined when the API did not return it.
 */
export function createBatchedQuery(
  read: ReadData,
): (projectKey: string, typeKey: string, id: string) => Promise<unknown> {
  const pending = new Map<string, Pending>();

  function flush(key: string): void {
    const batch = pending.get(key);
    pending.delete(key);
    if (!batch) return;
    const ids = [...batch.waiters.keys()];
    for (let start = 0; start < ids.length; start += MAX_IDS) {
      const chunk = ids.slice(start, start + MAX_IDS);
      // Built inside the promise: this runs in a setImmediate callback, where a throw would end
      // the process instead of failing the events that asked.
      const answer = Promise.resolve().then(() =>
        read(projectCalls.queryWorkItems(batch.projectKey, batch.typeKey, chunk)),
      );
      answer.then(
        (data) => {
          const byId = new Map<string, unknown>();
          for (const raw of Array.isArray(data) ? data : [])
            byId.set(String((raw as { id?: unknown }).id), raw);
          for (const id of chunk) for (const w of batch.waiters.get(id) ?? []) w.resolve(byId.get(id));
        },
        (error: unknown) => {
          for (const id of chunk) for (const w of batch.waiters.get(id) ?? []) w.reject(error);
        },
      );
    }
  }

  return (projectKey, typeKey, id) =>
    new Promise((resolve, reject) => {
      // One id the API cannot take must not fail the 49 others batched with it.
      if (!isInt64Text(id)) {
        reject(new AutopilotError('AP_API_CALL_INVALID', `"${id}" is not an int64 id`, { value: id }));
        return;
      }
      const key = `${projectKey}\u0000${typeKey}`;
      let batch = pending.get(key);
      if (!batch) {
        batch = { projectKey, typeKey, waiters: new Map() };
        pending.set(key, batch);
        setImmediate(() => flush(key));
      }
      const waiters = batch.waiters.get(id) ?? [];
      waiters.push({ resolve, reject });
      batch.waiters.set(id, waiters);
    });
}
