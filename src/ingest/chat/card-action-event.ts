/**
 * A Lark `card.action.trigger` callback (schema 2.0, after decryption) read into the canonical
 * `card.action` event. Pure. The id is `card:<header.event_id>`, so a click Lark delivers twice
 * is stored once. Only buttons the engine made (their value carries the `autopilot` mark and an
 * `action`) become events; the work item comes from the value's `work_item`, which the
 * `message` action's buttons carry when the rule's event had one.
 */
import { AutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import { eventIds } from '../../events/event-ids.ts';
import { CARD_BUTTON_MARK } from '../../actions/lark-card.ts';
import { requireDeliveryId, requireWorkItemId } from '../ids.ts';

export type CardDelivery =
  | { kind: 'challenge'; challenge: string }
  | { kind: 'click'; event: Event }
  | { kind: 'ignored'; why: string };

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function readCardDelivery(body: unknown, receivedAt: number): CardDelivery {
  const root = obj(body);
  if (!root) throw new AutopilotError('AP_BAD_REQUEST', 'body must be a JSON object');
  if (root.type === 'url_verification') {
    const challenge = str(root.challenge);
    if (!challenge) throw new AutopilotError('AP_BAD_REQUEST', 'url_verification without a challenge');
    return { kind: 'challenge', challenge };
  }
  const header = obj(root.header);
  if (!header) {
    throw new AutopilotError(
      'AP_BAD_REQUEST',
      'not a Lark card callback: expected a v2.0 body with `header` and `event`',
    );
  }
  const eventType = str(header.event_type);
  if (eventType !== 'card.action.trigger') {
    return { kind: 'ignored', why: `event type ${eventType ?? '(none)'} is not a card callback` };
  }
  const event = obj(root.event) ?? {};
  const value = obj(obj(event.action)?.value);
  const action = str(value?.action);
  if (!value || !action || value[CARD_BUTTON_MARK] === undefined) {
    return {
      kind: 'ignored',
      why: 'the button was not made by the engine (no autopilot action in its value)',
    };
  }
  return { kind: 'click', event: toEvent(header, event, value, action, receivedAt) };
}

function toEvent(header: Obj, event: Obj, value: Obj, action: string, receivedAt: number): Event {
  const context = obj(event.context) ?? {};
  const message = str(context.open_message_id);
  const larkEventId = str(header.event_id) ?? str(event.token);
  if (!message || !larkEventId) {
    throw new AutopilotError(
      'AP_EVENT_INVALID',
      'card.action.trigger without header.event_id or event.context.open_message_id',
    );
  }
  const ids = obj(event.operator) ?? {};
  const operator = Object.fromEntries(
    (['open_id', 'union_id', 'user_id'] as const).flatMap((k) => (str(ids[k]) ? [[k, str(ids[k])]] : [])),
  ) as { open_id?: string; union_id?: string; user_id?: string };
  const chat = str(context.open_chat_id);
  const out: Event = {
    id: eventIds.card(requireDeliveryId(larkEventId, 'header.event_id')),
    source: 'chat',
    type: 'card.action',
    occurredAt: receivedAt,
    card: {
      action,
      value: obj(value.value) ?? {},
      operator,
      ...(chat ? { chat } : {}),
      message: requireDeliveryId(message, 'event.context.open_message_id'),
    },
    payload: { lark_event_id: larkEventId },
  };
  const item = obj(value.work_item);
  const project = str(item?.project);
  const type = str(item?.type);
  const id = typeof item?.id === 'number' ? String(item.id) : str(item?.id);
  if (project && type && id) {
    out.projectKey = project;
    out.workItem = { id: requireWorkItemId(id, 'the button value work_item.id'), typeKey: type };
  }
  return out;
}
