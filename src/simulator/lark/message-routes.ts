/**
 * Lark IM messages as the fake serves them: send to a chat or a person (`receive_id_type`
 * chat_id, open_id, union_id, user_id or email), reply to a message, read one, and update a
 * shared card in place. A repeated `uuid` within the hour returns the first message unchanged.
 * Frequency: 50/s and 1000/min per interface, 5/s per chat, per person and per updated message.
 */
import { randomUUID } from 'node:crypto';
import type { LarkUser } from '../model/types.ts';
import { cardProblem, isSharedCard } from './card-shape.ts';
import { directChatId, findChat, findLarkUser, USER_ID_TYPES, type UserIdType } from './directory.ts';
import { bodyString, larkFail, optionalString, type LarkCtx, type LarkRouteDef } from './lark-http.ts';
import { LARK_TARGET_LIMIT, type LarkMessage } from './lark-state.ts';

const MSG_TYPES = new Set(['text', 'post', 'interactive']);
const TEXT_LIMIT = 150 * 1024;
const CARD_LIMIT = 30 * 1024;
const UPDATE_WINDOW_MS = 14 * 24 * 3600_000;

interface Content {
  msgType: string;
  raw: string;
  parsed: unknown;
}

/** msg_type and content as Lark checks them: content is a JSON string of the type's shape. */
function readContent(ctx: LarkCtx, msgType: string): Content {
  if (!MSG_TYPES.has(msgType))
    throw larkFail(230001, `invalid msg_type ${msgType}: this fake serves text, post and interactive`);
  const raw = bodyString(ctx, 'content', 230001);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw larkFail(230001, 'Your request contains an invalid request parameter: content is not valid JSON');
  }
  const limit = msgType === 'text' ? TEXT_LIMIT : CARD_LIMIT;
  if (Buffer.byteLength(raw) > limit)
    throw larkFail(230025, 'The length of the message content reaches its limit.');
  if (msgType === 'text' && typeof (parsed as { text?: unknown } | null)?.text !== 'string') {
    throw larkFail(
      230001,
      'Your request contains an invalid request parameter: text content needs {"text": "..."}',
    );
  }
  if (msgType === 'interactive') {
    const problem = cardProblem(parsed);
    if (problem) throw larkFail(230099, `Failed to create card content, ext=${problem}`);
  }
  return { msgType, raw, parsed };
}

interface Recipient {
  chatId: string;
  window: string;
  user?: LarkUser;
}

function recipient(ctx: LarkCtx, type: string, id: string): Recipient {
  if (type === 'chat_id') {
    const chat = findChat(ctx.core.tenant, id);
    if (!chat) throw larkFail(230001, `Your request contains an invalid request parameter: no chat ${id}`);
    if (!chat.bot_member) throw larkFail(230002, 'The bot can not be outside the group.');
    return { chatId: chat.chat_id, window: `chat|${chat.chat_id}` };
  }
  if (!(USER_ID_TYPES as readonly string[]).includes(type)) {
    throw larkFail(
      99992402,
      'field validation failed: receive_id_type must be open_id, union_id, user_id, email or chat_id',
    );
  }
  const user = findLarkUser(ctx.core.tenant, type as UserIdType, id);
  if (!user) throw larkFail(230013, `Bot has NO availability to this user: ${type} ${id}`);
  return { chatId: directChatId(user), window: `user|${user.open_id}`, user };
}

function view(ctx: LarkCtx, m: LarkMessage) {
  return {
    message_id: m.message_id,
    ...(m.parent_id ? { root_id: m.parent_id, parent_id: m.parent_id } : {}),
    msg_type: m.msg_type,
    create_time: String(m.create_time),
    update_time: String(m.update_time),
    deleted: false,
    updated: m.updates > 0,
    chat_id: m.chat_id,
    sender: {
      id: ctx.core.tenant.data.lark.app_id,
      id_type: 'app_id',
      sender_type: 'app',
      tenant_key: 'sim_tenant',
    },
    body: { content: JSON.stringify(m.content) },
  };
}

function newId(): string {
  return `om_${randomUUID().replaceAll('-', '')}`;
}

function create(ctx: LarkCtx) {
  const type = ctx.query.receive_id_type;
  if (!type) throw larkFail(99992402, 'field validation failed: receive_id_type is required');
  const receiveId = bodyString(ctx, 'receive_id');
  const content = readContent(ctx, bodyString(ctx, 'msg_type', 230001));
  const uuid = optionalString(ctx, 'uuid');
  if (uuid !== undefined && uuid.length > 50)
    throw larkFail(99992402, 'field validation failed: uuid is at most 50 characters');
  const to = recipient(ctx, type, receiveId);
  ctx.admit([[to.window, LARK_TARGET_LIMIT]]);
  const scope = 'create';
  const previous = ctx.core.lark.sentWith(scope, uuid, ctx.now);
  if (previous) return { data: view(ctx, previous) };
  const message: LarkMessage = {
    message_id: newId(),
    chat_id: to.chatId,
    receive_id_type: type,
    receive_id: receiveId,
    ...(to.user ? { to_open_id: to.user.open_id } : {}),
    msg_type: content.msgType,
    content: content.parsed,
    ...(uuid !== undefined ? { uuid } : {}),
    create_time: ctx.now,
    update_time: ctx.now,
    updates: 0,
  };
  ctx.core.lark.add(message, scope);
  return { data: view(ctx, message) };
}

/** Replies go to the chat of the message answered; messages the fake never saw are chat commands typed in tests. */
function reply(ctx: LarkCtx) {
  const parentId = String(ctx.params.message_id);
  const content = readContent(ctx, bodyString(ctx, 'msg_type', 230001));
  const uuid = optionalString(ctx, 'uuid');
  const parent = ctx.core.lark.messages.get(parentId);
  const chatId = parent?.chat_id ?? 'oc_sim_chat';
  ctx.admit();
  const scope = `reply|${parentId}`;
  const previous = ctx.core.lark.sentWith(scope, uuid, ctx.now);
  if (previous) return { data: view(ctx, previous) };
  const message: LarkMessage = {
    message_id: newId(),
    chat_id: chatId,
    receive_id_type: 'reply',
    receive_id: parentId,
    parent_id: parentId,
    msg_type: content.msgType,
    content: content.parsed,
    ...(uuid !== undefined ? { uuid } : {}),
    create_time: ctx.now,
    update_time: ctx.now,
    updates: 0,
  };
  ctx.core.lark.add(message, scope);
  ctx.core.larkReplies.push({
    message_id: parentId,
    reply_message_id: message.message_id,
    msg_type: message.msg_type,
    content: message.content,
    reply_in_thread: ctx.body.reply_in_thread === true,
    ...(uuid !== undefined ? { uuid } : {}),
    time: ctx.now,
  });
  return { data: view(ctx, message) };
}

function existing(ctx: LarkCtx): LarkMessage {
  const id = String(ctx.params.message_id);
  const message = ctx.core.lark.messages.get(id);
  if (!message)
    throw larkFail(230001, `Your request contains an invalid request parameter: no message ${id}`);
  return message;
}

function get(ctx: LarkCtx) {
  const message = existing(ctx);
  ctx.admit();
  return { data: { items: [view(ctx, message)] } };
}

function update(ctx: LarkCtx) {
  const message = existing(ctx);
  if (message.msg_type !== 'interactive')
    throw larkFail(230001, 'only interactive (card) messages can be updated here');
  const content = readContent(ctx, 'interactive');
  if (!isSharedCard(message.content) || !isSharedCard(content.parsed)) {
    throw larkFail(
      230001,
      'Your request contains an invalid request parameter: the card must declare config.update_multi: true before and after the update',
    );
  }
  if (ctx.now - message.create_time > UPDATE_WINDOW_MS) {
    throw larkFail(230031, 'Message can only be modified within 14 days after sending.');
  }
  ctx.admit([[`message|${message.message_id}`, LARK_TARGET_LIMIT]]);
  applyCard(message, content.parsed, ctx.now);
  return { data: {} };
}

/** A card replaced in place, by PATCH or by a callback's answer. */
export function applyCard(message: LarkMessage, card: unknown, now: number): void {
  message.content = card;
  message.update_time = now;
  message.updates += 1;
}

export const larkMessageRoutes: LarkRouteDef[] = [
  {
    id: 'lark.message.create',
    method: 'post',
    path: '/open-apis/im/v1/messages',
    write: true,
    handle: create,
  },
  {
    id: 'lark.message.reply',
    method: 'post',
    path: '/open-apis/im/v1/messages/:message_id/reply',
    write: true,
    handle: reply,
  },
  { id: 'lark.message.get', method: 'get', path: '/open-apis/im/v1/messages/:message_id', handle: get },
  {
    id: 'lark.message.patch',
    method: 'patch',
    path: '/open-apis/im/v1/messages/:message_id',
    write: true,
    handle: update,
  },
];
