/**
 * How a poll avoids redelivering a change a webhook already brought. Every stored Feishu
 * webhook event that reports a status or field change records, per (work item, status or
 * field), the value it changed to and when it was seen. A poll that detects the same change
 * (same work item, same field, same new value) skips it when that webhook was seen after the
 * poll's previous snapshot of the item: the webhook's event has run, or will, through the
 * same rules. A webhook that arrives after the poll has already emitted the change is not
 * suppressed: the webhook path stays authoritative and never waits for polls.
 */
import type { Change, Event } from '../events/event.ts';
import type { StateStore } from '../store/ports.ts';
import { canonical } from './snapshot.ts';

interface Seen {
  to: string;
  at: number;
}

function key(projectKey: string, workItemId: string, field: string): string {
  return `webhook-change:${projectKey}:${workItemId}:${field}`;
}

/** The (field, new value) pairs a webhook event reports; `status` for a status change. */
function reported(event: Event): Array<{ field: string; to: unknown }> {
  const change = event.change;
  if (change === undefined) return [];
  if (event.type === 'work_item.status_changed') return [{ field: 'status', to: change.to }];
  if (event.type !== 'work_item.updated') return [];
  const list = Array.isArray(change.fields) ? (change.fields as Change[]) : [change];
  return list.flatMap((c) => (typeof c.field === 'string' ? [{ field: c.field, to: c.to }] : []));
}

export interface WebhookChangeLog {
  /** Records what a stored webhook event reports (Feishu webhooks only). */
  record(event: Event): Promise<void>;
  /** Whether a webhook reported `field` of this item changing to `to` at or after `since`. */
  seen(projectKey: string, workItemId: string, field: string, to: unknown, since: number): Promise<boolean>;
}

export function createWebhookChangeLog(state: StateStore, now: () => number): WebhookChangeLog {
  return {
    async record(event) {
      if (event.source !== 'feishu' || !event.projectKey || !event.workItem) return;
      for (const { field, to } of reported(event)) {
        const seen: Seen = { to: canonical(to), at: now() };
        await state.set(key(event.projectKey, event.workItem.id, field), seen);
      }
    },
    async seen(projectKey, workItemId, field, to, since) {
      const seen = await state.get<Seen>(key(projectKey, workItemId, field));
      return seen !== undefined && seen.at >= since && seen.to === canonical(to);
    },
  };
}
