import { eventIds } from '../events/event-ids.ts';
import type { AuditRecord, RunRecord, StoredEvent, Stores } from '../store/ports.ts';

export interface EventStory {
  event: StoredEvent | undefined;
  audit: AuditRecord[];
  runs: RunRecord[];
}

/**
 * Everything known about one event, in time order; undefined when nothing is. A Feishu event
 * is found by its bare uuid too (what Feishu's delivery log shows), as `feishu:<uuid>`.
 */
export async function traceEvent(
  stores: Pick<Stores, 'events' | 'audit' | 'runs'>,
  eventId: string,
): Promise<EventStory | undefined> {
  const story = await storyOf(stores, eventId);
  if (story || eventId.startsWith('feishu:')) return story;
  return storyOf(stores, eventIds.feishu(eventId));
}

async function storyOf(
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
