/**
 * What the Lark fake remembers between requests: the messages its app sent (chat messages,
 * direct messages, replies), the `uuid`s that de-duplicate sends for an hour, the card callback
 * target and every callback pushed to it, and the per-app, per-chat, per-user and per-message
 * frequency windows. Not part of tenant snapshots: like Lark's own message store it starts empty.
 */
import type { Limit } from '../http/rate-limit.ts';

export interface LarkMessage {
  message_id: string;
  /** The group chat, or the direct chat with the person it went to. */
  chat_id: string;
  /** How the sender addressed it (`chat_id`, `open_id`, `union_id`, `user_id`, `email`), or `reply`. */
  receive_id_type: string;
  receive_id: string;
  /** open_id of the person it went to, for direct messages. */
  to_open_id?: string;
  msg_type: string;
  /** The parsed `content` (a card's JSON for interactive messages). */
  content: unknown;
  uuid?: string;
  /** Set on replies: the message answered. */
  parent_id?: string;
  create_time: number;
  update_time: number;
  /** How often it was updated (card PATCH, or a card answered by a callback). */
  updates: number;
}

export interface CardCallbackTarget {
  url: string;
  /** `header.token` of pushed callbacks. */
  verification_token: string;
  /** When set, bodies are encrypted and signed (X-Lark-Signature) as Lark does. */
  encrypt_key?: string;
}

export interface CardCallbackDelivery {
  id: string;
  event_id: string;
  message_id: string;
  /** The body as sent (before encryption). */
  body: Record<string, unknown>;
  /** What the callback target answered; status 0 when it could not be reached. */
  status: number;
  answer: unknown;
  time: number;
}

/** Lark: a `uuid` de-duplicates sends for one hour. */
export const UUID_WINDOW_MS = 3_600_000;

/** Per app and interface (messages create, reply, update): 50 per second and 1000 per minute. */
export const LARK_APP_LIMIT: Limit = { qps: 50, qpm: 1000 };
/** To one chat, to one person, and updates of one message: 5 per second. */
export const LARK_TARGET_LIMIT: Limit = { qps: 5 };

export class LarkState {
  readonly messages = new Map<string, LarkMessage>();
  private readonly uuids = new Map<string, { messageId: string; at: number }>();
  private readonly hits = new Map<string, number[]>();
  callback: CardCallbackTarget | undefined;
  readonly callbacks: CardCallbackDelivery[] = [];

  /** The message an earlier request with this uuid sent, within the hour. */
  sentWith(scope: string, uuid: string | undefined, now: number): LarkMessage | undefined {
    if (uuid === undefined) return undefined;
    const seen = this.uuids.get(`${scope}|${uuid}`);
    if (!seen || now - seen.at >= UUID_WINDOW_MS) return undefined;
    return this.messages.get(seen.messageId);
  }

  add(message: LarkMessage, scope: string): void {
    this.messages.set(message.message_id, message);
    if (message.uuid !== undefined)
      this.uuids.set(`${scope}|${message.uuid}`, { messageId: message.message_id, at: message.create_time });
  }

  /**
   * Admits one request when every window allows it, and only then counts it in all of them: a
   * request refused by one window uses up none.
   */
  admit(windows: ReadonlyArray<readonly [key: string, limit: Limit]>, now: number): string | undefined {
    for (const [key, limit] of windows) {
      const kept = (this.hits.get(key) ?? []).filter((t) => t > now - 60_000);
      this.hits.set(key, kept);
      const lastSecond = kept.filter((t) => t > now - 1000).length;
      if (lastSecond >= limit.qps || (limit.qpm !== undefined && kept.length >= limit.qpm)) return key;
    }
    for (const [key] of windows) this.hits.get(key)?.push(now);
    return undefined;
  }

  list(): LarkMessage[] {
    return [...this.messages.values()];
  }

  clear(): void {
    this.messages.clear();
    this.uuids.clear();
    this.hits.clear();
    this.callbacks.length = 0;
  }
}
