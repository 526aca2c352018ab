/**
 * Event ids, one namespace per source: `feishu:<uuid>`, `webhook:<name>:<webhook-id>`,
 * `chat:<message_id>`, `card:<event_id>`, `poll:<hash>`, `schedule:<hash>`, `manual:<uuid>`, and
 * `change:<hash>` for a change itself. The event log deduplicates by id, so
 * without the prefix a holder of one source's credentials could store an id another source
 * will use later (a Feishu uuid `chat:om_…`) and have that delivery dropped as a duplicate.
 */

export const eventIds = {
  /** The delivery's `uuid`, or `body-<hash>` for a legacy body without one. */
  feishu: (uuid: string) => `feishu:${uuid}`,
  webhook: (name: string, webhookId: string) => `webhook:${name}:${webhookId}`,
  chat: (messageId: string) => `chat:${messageId}`,
  /** A card callback's `header.event_id`: Lark redelivers a click with the same one. */
  card: (larkEventId: string) => `card:${larkEventId}`,
  poll: (hash: string) => `poll:${hash}`,
  schedule: (hash: string) => `schedule:${hash}`,
  /** A manual run's request id (a UUID the caller may choose, so a retried request is stored once). */
  manual: (uuid: string) => `manual:${uuid}`,
  /**
   * A change, whoever reported it (change-id.ts): a webhook carries it as `changeId`, an event
   * made from an operation record has it as its id. No delivery can choose it.
   */
  change: (hash: string) => `change:${hash}`,
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
