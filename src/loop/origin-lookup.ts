/**
 * Where a webhook's change came from, when the webhook does not say: its operation record,
 * found by the change id both share. Lookups asked for in the same turn of the event loop
 * (events matched in parallel) are read together, one op_record call per space for up to 50
 * items, over the span their times cover.
 */
import { isAutopilotError } from '../errors.ts';
import type { Event, Origin } from '../events/event.ts';
import { OP_RECORDS_SINCE } from '../records/op-record.ts';
import { readOpRecords } from '../records/read-op-records.ts';
import type { EngineIdentity } from '../records/record-origin.ts';
import { translateRecords } from '../records/translate-records.ts';
import type { ReadData } from '../triggers/search-items.ts';

export type OriginLookup = (event: Event) => Promise<Origin>;

/** Records are looked for this far around the webhook's time (the two should agree to the ms). */
const SLACK_MS = 2000;
const UNKNOWN: Origin = { kind: 'unknown', via: 'none' };

interface Waiter {
  event: Event;
  resolve: (origin: Origin) => void;
  reject: (error: unknown) => void;
}

export function createOriginLookup(read: ReadData, engine: EngineIdentity): OriginLookup {
  const pending = new Map<string, Waiter[]>();

  async function flush(projectKey: string): Promise<void> {
    const waiters = pending.get(projectKey) ?? [];
    pending.delete(projectKey);
    const times = waiters.map((w) => w.event.occurredAt);
    const start = Math.max(OP_RECORDS_SINCE, Math.min(...times) - SLACK_MS);
    const end = Math.max(...times) + SLACK_MS;
    if (end < start) {
      for (const w of waiters) w.resolve(UNKNOWN);
      return;
    }
    try {
      const workItemIds = waiters.map((w) => w.event.workItem?.id as string);
      const { records } = await readOpRecords(read, { projectKey, workItemIds, start, end });
      const { events } = translateRecords(records, { engine });
      const byChange = new Map(events.map((e) => [e.id, e.origin ?? UNKNOWN]));
      for (const w of waiters) w.resolve(byChange.get(w.event.changeId ?? '') ?? UNKNOWN);
    } catch (error) {
      // Records the API will not give (no permission, a window it refuses) leave the origin
      // unknown; a failure that may pass leaves the events for a retry.
      const final = isAutopilotError(error) && !error.spec.retryable;
      for (const w of waiters)
        if (final) w.resolve(UNKNOWN);
        else w.reject(error);
    }
  }

  return (event) => {
    if (!event.projectKey || !event.workItem || !event.changeId) return Promise.resolve(UNKNOWN);
    const key = event.projectKey;
    return new Promise<Origin>((resolve, reject) => {
      const waiters = pending.get(key);
      if (waiters) waiters.push({ event, resolve, reject });
      else {
        pending.set(key, [{ event, resolve, reject }]);
        setImmediate(() => void flush(key));
      }
    });
  };
}
