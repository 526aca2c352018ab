/**
 * A person clicking a button of a card the app sent: the fake builds the `card.action.trigger`
 * callback Lark would push (schema 2.0: operator ids, the button's `value`, the card's message
 * and chat), encrypts and signs it when the target has an encrypt key, POSTs it, and applies a
 * card the target answers with (`{card: {type: 'raw', data}}`), as Lark does within 3 seconds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { encryptLarkPayload, larkSignature } from '../../ingest/chat/lark-crypto.ts';
import type { SimCore } from '../http/core.ts';
import type { LarkUser } from '../model/types.ts';
import { cardElements } from './card-shape.ts';
import { findLarkUser, USER_ID_TYPES } from './directory.ts';
import { applyCard } from './message-routes.ts';
import type { CardCallbackDelivery, LarkMessage } from './lark-state.ts';

export interface ClickInput {
  message_id: string;
  /** The button: its `value.action`, its `name`, or its text. @defaultValue the card's first callback button */
  button?: string;
  /** Who clicks: a Feishu Project user key, or a Lark open_id, union_id, user_id or e-mail. */
  user: string;
}

/** Lark waits this long for the callback's answer before the client shows an error. */
const ANSWER_WINDOW_MS = 3000;

export class ClickError extends Error {}

export function findClicker(core: SimCore, who: string): LarkUser {
  const fp = core.tenant.data.users.find((u) => u.user_key === who);
  const outId = fp?.out_id;
  const byUnion = outId ? findLarkUser(core.tenant, 'union_id', outId) : undefined;
  if (byUnion) return byUnion;
  for (const type of USER_ID_TYPES) {
    const found = findLarkUser(core.tenant, type, who);
    if (found) return found;
  }
  throw new ClickError(
    `no Lark user ${who} (a user key with an out_id, or an open_id, union_id, user_id or e-mail)`,
  );
}

function buttonValue(message: LarkMessage, button: string | undefined): { value: unknown; tag: string } {
  const buttons = cardElements(message.content).filter(
    (e) => e.tag === 'button' && typeof e.value === 'object' && e.value !== null,
  );
  const text = (e: Record<string, unknown>) => (e.text as { content?: unknown } | undefined)?.content;
  const found =
    button === undefined
      ? buttons[0]
      : buttons.find(
          (e) =>
            (e.value as { action?: unknown }).action === button || e.name === button || text(e) === button,
        );
  if (!found) {
    const named = buttons.map((e) => String((e.value as { action?: unknown }).action ?? text(e)));
    throw new ClickError(
      `message ${message.message_id} has no callback button ${button ?? ''} (buttons: ${named.join(', ') || 'none'})`,
    );
  }
  return { value: found.value, tag: 'button' };
}

export function cardActionBody(core: SimCore, message: LarkMessage, clicker: LarkUser, button?: string) {
  const target = core.lark.callback;
  const { value, tag } = buttonValue(message, button);
  return {
    schema: '2.0',
    header: {
      event_id: randomUUID().replaceAll('-', ''),
      token: target?.verification_token ?? '',
      create_time: String(core.clock() * 1000),
      event_type: 'card.action.trigger',
      tenant_key: 'sim_tenant',
      app_id: core.tenant.data.lark.app_id,
    },
    event: {
      operator: {
        tenant_key: 'sim_tenant',
        open_id: clicker.open_id,
        union_id: clicker.union_id,
        user_id: clicker.user_id,
      },
      token: `c-${randomUUID().replaceAll('-', '')}`,
      action: { value, tag },
      host: 'im_message',
      context: { open_message_id: message.message_id, open_chat_id: message.chat_id },
    },
  };
}

/** Pushes a callback body to the target (again, for a redelivery) and records what came back. */
export async function pushCallback(
  core: SimCore,
  body: Record<string, unknown>,
): Promise<CardCallbackDelivery> {
  const target = core.lark.callback;
  if (!target)
    throw new ClickError(
      'no card callback URL registered (POST /_sim/lark/callback {url, verification_token})',
    );
  const context = (body.event as { context: { open_message_id: string } }).context;
  const header = body.header as { event_id: string };
  const plain = JSON.stringify(body);
  const text = target.encrypt_key
    ? JSON.stringify({ encrypt: encryptLarkPayload(plain, target.encrypt_key) })
    : plain;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.encrypt_key) {
    const timestamp = String(Math.floor(core.clock() / 1000));
    const nonce = randomBytes(8).toString('hex');
    headers['x-lark-request-timestamp'] = timestamp;
    headers['x-lark-request-nonce'] = nonce;
    headers['x-lark-signature'] = larkSignature(
      { timestamp, nonce, body: Buffer.from(text) },
      target.encrypt_key,
    );
  }
  const delivery: CardCallbackDelivery = {
    id: `cb_${core.lark.callbacks.length + 1}`,
    event_id: header.event_id,
    message_id: context.open_message_id,
    body,
    status: 0,
    answer: undefined,
    time: core.clock(),
  };
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers,
      body: text,
      signal: AbortSignal.timeout(ANSWER_WINDOW_MS),
    });
    delivery.status = response.status;
    const answerText = await response.text();
    try {
      delivery.answer = JSON.parse(answerText);
    } catch {
      delivery.answer = answerText;
    }
  } catch (error) {
    delivery.answer = { error: (error as Error).name };
  }
  core.lark.callbacks.push(delivery);
  applyAnsweredCard(core, delivery);
  return delivery;
}

function applyAnsweredCard(core: SimCore, delivery: CardCallbackDelivery): void {
  const card = (delivery.answer as { card?: { type?: unknown; data?: unknown } } | null)?.card;
  const message = core.lark.messages.get(delivery.message_id);
  if (delivery.status === 200 && message && card?.type === 'raw' && card.data !== undefined) {
    applyCard(message, card.data, core.clock());
  }
}

export async function click(core: SimCore, input: ClickInput): Promise<CardCallbackDelivery> {
  const message = core.lark.messages.get(input.message_id);
  if (!message) throw new ClickError(`no message ${input.message_id}`);
  if (message.msg_type !== 'interactive') throw new ClickError(`message ${input.message_id} is not a card`);
  const clicker = findClicker(core, input.user);
  return pushCallback(core, cardActionBody(core, message, clicker, input.button));
}
