/**
 * A Lark event subscription body (after decryption) read into what the chat route acts on:
 * the url_verification challenge, a text message for the bot, or anything else (acknowledged
 * and ignored). Pure. Only the v2.0 schema carries `im.message.receive_v1`.
 */
import { AutopilotError } from '../../errors.ts';
import { requireDeliveryId } from '../ids.ts';

export interface ChatMessage {
  /** The Lark event_id: Lark redelivers with the same one. */
  eventId: string;
  messageId: string;
  chatId: string;
  chatType: string;
  /** user_id when the app may read it, otherwise open_id: what `on.command.users` lists. */
  sender: string;
  /** The message text with @mentions removed and spaces collapsed. */
  text: string;
  /**
   * The text with only the leading @mentions (the ones addressing the bot) removed; a later
   * mention stays as its key (`@_user_2`), so a command argument can be a person.
   */
  textWithMentions?: string;
  /** The people mentioned, by their key in the text. */
  mentions?: LarkMention[];
  /** Epoch ms the message was sent (create_time), or undefined. */
  sentAt?: number;
}

export interface LarkMention {
  /** As it stands in the text: `@_user_1`. */
  key: string;
  name?: string;
  openId?: string;
  unionId?: string;
  userId?: string;
}

export type LarkDelivery =
  | { kind: 'challenge'; token: unknown; challenge: string }
  | { kind: 'message'; token: unknown; message: ChatMessage }
  | { kind: 'ignored'; token: unknown; why: string };

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function readLarkDelivery(body: unknown): LarkDelivery {
  const root = obj(body);
  if (!root) throw new AutopilotError('AP_BAD_REQUEST', 'body must be a JSON object');
  if (root.type === 'url_verification') {
    const challenge = str(root.challenge);
    if (!challenge) throw new AutopilotError('AP_BAD_REQUEST', 'url_verification without a challenge');
    return { kind: 'challenge', token: root.token, challenge };
  }
  const header = obj(root.header);
  if (!header) {
    throw new AutopilotError(
      'AP_BAD_REQUEST',
      'not a Lark event: expected a v2.0 body with `header` and `event`',
    );
  }
  const token = header.token;
  const eventType = str(header.event_type);
  if (eventType !== 'im.message.receive_v1') {
    return { kind: 'ignored', token, why: `event type ${eventType ?? '(none)'} is not handled` };
  }
  return readMessage(header, obj(root.event) ?? {}, token);
}

function readMessage(header: Obj, event: Obj, token: unknown): LarkDelivery {
  const message = obj(event.message) ?? {};
  const sender = obj(event.sender) ?? {};
  const ids = obj(sender.sender_id) ?? {};
  const messageId = str(message.message_id);
  const chatId = str(message.chat_id);
  const senderId = str(ids.user_id) ?? str(ids.open_id) ?? str(ids.union_id);
  if (!messageId || !chatId || !senderId) {
    throw new AutopilotError(
      'AP_EVENT_INVALID',
      'im.message.receive_v1 without message.message_id, message.chat_id or sender.sender_id',
    );
  }
  requireDeliveryId(messageId, 'message.message_id');
  if (sender.sender_type === 'app') return { kind: 'ignored', token, why: 'message sent by an app' };
  if (message.message_type !== 'text') {
    return { kind: 'ignored', token, why: `message type ${String(message.message_type)} is not text` };
  }
  const sentAt = Number(message.create_time);
  const text = textOf(message.content);
  const mentions = readMentions(message.mentions);
  return {
    kind: 'message',
    token,
    message: {
      eventId: requireDeliveryId(str(header.event_id) ?? messageId, 'header.event_id'),
      messageId,
      chatId,
      chatType: str(message.chat_type) ?? 'group',
      sender: senderId,
      text: stripMentions(text, message.mentions),
      ...(mentions.length > 0
        ? { mentions, textWithMentions: collapse(text.replace(LEADING_MENTIONS, ' ')) }
        : {}),
      ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}),
    },
  };
}

/** `content` is itself a JSON string: `{"text": "@_user_1 move 42 to done"}`. */
function textOf(content: unknown): string {
  if (typeof content !== 'string') return '';
  try {
    return str(obj(JSON.parse(content))?.text) ?? '';
  } catch {
    throw new AutopilotError('AP_EVENT_INVALID', 'message.content is not the JSON string Lark sends');
  }
}

/** The mentions before any other word: they address the bot, they are not arguments. */
const LEADING_MENTIONS = /^(\s*@_(?:user_\d+|all)\b)+/;

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function readMentions(list: unknown): LarkMention[] {
  const out: LarkMention[] = [];
  for (const entry of Array.isArray(list) ? list : []) {
    const mention = obj(entry);
    const key = str(mention?.key);
    if (!mention || !key) continue;
    const ids = obj(mention.id) ?? {};
    const name = str(mention.name);
    const openId = str(ids.open_id);
    const unionId = str(ids.union_id);
    const userId = str(ids.user_id);
    out.push({
      key,
      ...(name ? { name } : {}),
      ...(openId ? { openId } : {}),
      ...(unionId ? { unionId } : {}),
      ...(userId ? { userId } : {}),
    });
  }
  return out;
}

function stripMentions(text: string, mentions: unknown): string {
  let out = text;
  for (const mention of Array.isArray(mentions) ? mentions : []) {
    const key = str(obj(mention)?.key);
    if (key) out = out.split(key).join(' ');
  }
  return out
    .replace(/@_user_\d+/g, ' ')
    .replace(/@_all\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
