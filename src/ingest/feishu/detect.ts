import { asObject } from './read.ts';

/**
 * Whether a parsed JSON body is a Feishu Project webhook (either format) rather than an
 * already canonical Event: the CLI and replay tools accept both.
 */
export function looksLikeFeishuWebhook(body: unknown): boolean {
  const object = asObject(body);
  if (!object) return false;
  if (typeof asObject(object.header)?.event_type === 'string') return true;
  return typeof object.eventType === 'string';
}
