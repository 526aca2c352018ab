/**
 * Replies the engine sends by itself, outside any rule's run: the help text for an unknown
 * command, a refusal for a sender or chat not on a rule's allow-list, and the error of a chat
 * command's run that ended in the dead-letter queue. Sent after the chat route has answered,
 * never awaited by it; each carries a `uuid` derived from what it answers, so Lark keeps one
 * reply however often the message is redelivered.
 */
import { createHash } from 'node:crypto';
import type { ApiOutcome } from '../openapi/types.ts';
import type { LarkClient } from './lark-client.ts';

export type ReplyKind = 'help' | 'denied' | 'invalid' | 'failed';

export interface ChatReplier {
  /** Queues a reply to `messageId`; `about` makes the reply's uuid unique (e.g. the run id). */
  send(messageId: string, text: string, kind: ReplyKind, about?: string): void;
  /** Resolves once every reply sent so far has been answered. */
  idle(): Promise<void>;
}

export interface ChatReplierOptions {
  lark: Pick<LarkClient, 'reply'>;
  onFailed: (failure: { messageId: string; kind: ReplyKind; outcome: ApiOutcome }) => void;
}

export function createChatReplier(options: ChatReplierOptions): ChatReplier {
  const pending = new Set<Promise<void>>();
  return {
    send(messageId, text, kind, about = '') {
      const uuid = createHash('sha256')
        .update(`${kind}\u0000${messageId}\u0000${about}`)
        .digest('hex')
        .slice(0, 40);
      // Never awaited by anyone: whatever goes wrong becomes a failed outcome, not a rejection
      // that would end the process.
      const task = Promise.resolve()
        .then(() => options.lark.reply(messageId, text, uuid))
        .catch((error: unknown): ApiOutcome => ({
          class: 'transient',
          networkError: (error as Error)?.name ?? 'Error',
          errMsg: (error as Error)?.message ?? String(error),
          durationMs: 0,
        }))
        .then((outcome) => {
          if (outcome.class !== 'ok' && outcome.class !== 'already_applied') {
            options.onFailed({ messageId, kind, outcome });
          }
        })
        .catch(() => undefined)
        .finally(() => pending.delete(task));
      pending.add(task);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
