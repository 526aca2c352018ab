/**
 * The identity of a change, as opposed to the identity of one delivery of it. A Feishu webhook
 * carries a random `header.uuid`; the operation record of the same change carries none. Both
 * are normalized into canonical events first, and this one function derives the change's id
 * from what the two have in common: the work item, the engine event type, when it happened
 * (the webhook's `payload.updated_at`, the record's `operation_time`) and, where one API call
 * makes several events of one type, what it was about (the node, the sub-task, a node's
 * schedule). Values are left out on purpose: webhooks give them typed, records as strings.
 *
 * Webhook events keep their uuid as `id` and carry this as `changeId`; events made from
 * operation records use it as their `id`. The event log treats an event whose id or
 * changeId it already holds (as either) as a duplicate, so the change is stored once, in
 * whichever order the two arrive.
 */
import { createHash } from 'node:crypto';
import { eventIds } from './event-ids.ts';
import type { Event } from './event.ts';

/** What tells apart several events of one type made by one API call (one node completed, the next reached). */
function subject(event: Pick<Event, 'type' | 'change'>): string | undefined {
  const change = event.change ?? {};
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  switch (event.type) {
    case 'node.reached':
    case 'node.completed':
    case 'node.rolled_back':
      return `node:${text(change.nodeId)}`;
    case 'subtask.changed':
      return `task:${text(change.taskId)}`;
    case 'work_item.roles_changed':
      return change.nodeId === undefined ? 'roles' : `node:${text(change.nodeId)}`;
    case 'work_item.updated':
      if (change.kind === 'schedule') return `schedule:${text(change.nodeId)}`;
      // A node event whose sub-kind could not be read has no counterpart to match.
      return change.kind === 'node' ? undefined : 'fields';
    default:
      return '';
  }
}

/**
 * The change id of a work item event, or undefined when the event cannot be tied to one change
 * (no work item, no time of its own, a sub-kind the webhook did not say).
 */
export function changeIdOf(
  event: Pick<Event, 'type' | 'workItem' | 'occurredAt' | 'change'>,
): string | undefined {
  if (!event.workItem || !Number.isFinite(event.occurredAt)) return undefined;
  const about = subject(event);
  if (about === undefined) return undefined;
  const parts = [event.workItem.id, event.type, String(event.occurredAt), about];
  return eventIds.change(createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32));
}

/**
 * The second id an event log must deduplicate an event under: its change id when that differs
 * from its id (a webhook's; an operation record's id is its change id already).
 */
export function changeAlias(event: Pick<Event, 'id' | 'changeId'>): string | undefined {
  const alias = event.changeId;
  return typeof alias === 'string' && alias !== '' && alias !== event.id ? alias : undefined;
}
