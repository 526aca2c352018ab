/**
 * Ids checked at intake, before anything is stored: whatever a delivery names as a work item is
 * later sent to the Open API as an int64, so one that cannot be (`"abc"`, `1.5`, 23 digits) is
 * the sender's error (400 `AP_ID_INVALID`), not a poison event for the processor; and a
 * delivery's own id is capped in length. Pure; every request path (webhooks, chat) calls these
 * from its normalize step.
 */
import { AutopilotError } from '../errors.ts';
import { isInt64Text } from '../openapi/json.ts';

/** A work item id the Open API accepts: a positive int64 in canonical decimal text. */
export function isWorkItemId(id: string): boolean {
  return isInt64Text(id) && !id.startsWith('-') && id !== '0';
}

/**
 * Throws `AP_ID_INVALID` unless `id` is a work item id; `where` names it for the sender
 * (`payload.id`, `the command argument "id"`).
 */
export function requireWorkItemId(id: string, where: string): string {
  if (isWorkItemId(id)) return id;
  throw new AutopilotError(
    'AP_ID_INVALID',
    `${where} ${JSON.stringify(clip(id))} is not a work item id: expected a positive integer below 2^63`,
    { field: where },
  );
}

/**
 * Longest id a delivery may give itself (Feishu `uuid`, `webhook-id`, Lark `message_id`). Real
 * ones are under 64 characters; the id is the dedupe key, logged, put in URLs and in every
 * audit record, so a 150 KB one costs memory and disk for as long as the event is kept.
 */
export const MAX_DELIVERY_ID_LENGTH = 256;

/** Throws `AP_ID_INVALID` for a delivery id longer than {@link MAX_DELIVERY_ID_LENGTH}. */
export function requireDeliveryId(id: string, where: string): string {
  if (id.length <= MAX_DELIVERY_ID_LENGTH) return id;
  throw new AutopilotError(
    'AP_ID_INVALID',
    `${where} is ${id.length} characters long; at most ${MAX_DELIVERY_ID_LENGTH}`,
    { field: where, length: id.length },
  );
}

/** Long ids are quoted shortened, so an answer never echoes a whole hostile field. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
