import type { AuditRecord, RunRecord, StoredEvent, Stores } from '../store/ports.ts';

export interface EventStory {
  event: StoredEvent | undefined;
  audit: AuditRecord[];
  runs: RunRecord[];
}

/** Everything known about one event, in time order; undefined when nothing is. */
export async function traceEvent(
  stores: Pick<Stores, 'events' | 'audit' | 'runs'>,
  eventId: string,
): Promise<EventStory | undefined> {
  const story = {
    event: await stores.events.get(eventId),
    audit: await stores.audit.query({ eventId, order: 'oldest', limit: 10_000 }),
    runs: await stores.runs.list({ eventId }),
  };
  if (!story.event && story.audit.length === 0 && story.runs.length === 0) return undefined;
  return story;
}
