/**
 * Event ids, one namespace per source: `feishu:<uuid>`, `webhook:<name>:<webhook-id>`,
 * `chat:<message_id>`, `poll:<hash>`, `schedule:<hash>`. The event log deduplicates by id, so
 * without the prefix a holder of one source's credentials could store an id another source
 * will use later (a Feishu uuid `chat:om_…`) and have that delivery dropped as a duplicate.
 */

export const eventIds = {
  /** The delivery's `uuid`, or `body-<hash>` for a legacy body without one. */
  feishu: (uuid: string) => `feishu:${uuid}`,
  webhook: (name: string, webhookId: string) => `webhook:${name}:${webhookId}`,
  chat: (messageId: string) => `chat:${messageId}`,
  poll: (hash: string) => `poll:${hash}`,
  schedule: (hash: string) => `schedule:${hash}`,
};

/**
 * The ids an event had before Feishu ids were namespaced: the bare uuid, and `feishu-<hash>`
 * for a body without one. The event logs treat a stored one as the same event, so a redelivery
 * of an event an older version stored (or an older process still running beside this one during
 * a rolling upgrade stores) stays a duplicate. Only Feishu ids have them; the check can go once
 * no store can hold a pre-namespace id (the dedupe retention after the last older process).
 */
export function legacyEventIds(id: string): string[] {
  if (!id.startsWith('feishu:')) return [];
  const bare = id.slice('feishu:'.length);
  return bare.startsWith('body-') ? [bare, `feishu-${bare.slice('body-'.length)}`] : [bare];
}
