/**
 * Sending a message to a Lark chat from inside the engine, outside any rule's run (an
 * operations notice, a check that failed): through the same limiter as the executor's sends
 * (the chat's 5/s and the interface's 50/s), waiting for a slot rather than being refused,
 * with a `uuid` so a repeated notice is posted once. Resolves with Lark's classified answer;
 * never rejects for a refusal.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { reserveAll, type RateLimiter } from '../executor/rate-limiter.ts';
import type { ApiCaller, ApiOutcome } from '../openapi/types.ts';
import type { ApiCall } from '../plan/run.ts';
import { outboundRateLimits } from './rate-limits.ts';

export type ChatMessage = { text: string } | { card: Record<string, unknown> };

export interface ChatSender {
  /**
   * Posts `message` to the chat `chatId` (`oc_…`). `uuid` (≤ 50 characters) makes repeats of
   * the same notice post once within Lark's hour; without it every call posts.
   */
  send(chatId: string, message: ChatMessage, uuid?: string): Promise<ApiOutcome>;
}

export interface ChatSenderOptions {
  /** The executor's caller (lark.* calls go to Lark): its token key prefixes the limiter keys the executor uses too. */
  api: ApiCaller;
  limiter: RateLimiter;
  now: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

export function chatMessageCall(chatId: string, message: ChatMessage, uuid?: string): ApiCall {
  const content =
    'text' in message
      ? { msg_type: 'text', content: JSON.stringify({ text: message.text }) }
      : { msg_type: 'interactive', content: JSON.stringify(message.card) };
  return {
    operation: 'lark.message.create',
    method: 'POST',
    path: '/open-apis/im/v1/messages',
    query: { receive_id_type: 'chat_id' },
    body: { receive_id: chatId, ...content, ...(uuid ? { uuid } : {}) },
    write: true,
  };
}

export function createChatSender(options: ChatSenderOptions): ChatSender {
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  return {
    async send(chatId, message, uuid) {
      const call = chatMessageCall(chatId, message, uuid);
      const holder = `notice-${randomUUID()}`;
      const prefix = await options.api.tokenKey();
      const limits = outboundRateLimits(call).map(({ key, cls }) => ({ key: `${prefix} ${key}`, cls }));
      for (;;) {
        const reservation = await reserveAll(options.limiter, limits, options.now(), holder);
        if (reservation.ok) break;
        await wait(Math.max(1, reservation.retryAt - options.now()));
      }
      try {
        return await options.api.call(call);
      } finally {
        for (const { key } of limits) await options.limiter.complete?.(key, holder, options.now());
      }
    },
  };
}
