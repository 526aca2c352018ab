/**
 * Everything the engine sends that is not a Feishu Project Open API call, assembled once for
 * the composition root: the Lark IM client (the configured app, or the built-in simulator's),
 * the routing ApiCaller the executor uses, the limiter classes of those operations, and the
 * replier for the engine's own chat replies.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { RateLimitClass } from '../executor/rate-limiter.ts';
import type { ApiCaller } from '../openapi/types.ts';
import type { AuditStore, EventLog } from '../store/ports.ts';
import { createChatReplier, type ChatReplier } from './chat-replier.ts';
import { replyOnChatDeadLetters } from './dead-letter-replies.ts';
import { LarkClient } from './lark-client.ts';
import { outboundRateLimit, outboundRateLimits } from './rate-limits.ts';
import { createRoutingCaller } from './routing-caller.ts';
import { createSentMessages, rememberSends, type SentMessages } from './sent-messages.ts';

/** The verification token the chat route accepts when the engine runs on the built-in simulator. */
export const SIMULATOR_LARK_VERIFICATION_TOKEN = 'sim-lark-verification-token';

export interface OutboundOptions {
  config: Readonly<Config>;
  /** The built-in simulator, whose Lark app stands in when no app is configured. */
  simulator?: { baseUrl: string; credentials: { larkAppId: string; larkAppSecret: string } };
  openApi: ApiCaller;
  /** The outbound `http` action's caller (src/outbound/http-action.ts) when wired. */
  http?: ApiCaller;
  log: Logger;
  now: () => number;
}

export interface Outbound {
  caller: ApiCaller;
  rateLimitOf: (operation: string) => { key: string; cls: RateLimitClass };
  /** Every limit of one call (a Lark send also counts against its chat or person). */
  rateLimitsOf: typeof outboundRateLimits;
  lark?: LarkClient;
  /** Lark sends answered with success, by uuid (a retried fan-out skips them). */
  sent: SentMessages;
  replier?: ChatReplier;
  chat: { verificationToken?: string; encryptKey?: string };
  /** Wraps the audit store so a dead-lettered chat command is answered in its thread. */
  auditWithReplies(audit: AuditStore, events: EventLog): AuditStore;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createOutbound(options: OutboundOptions): Outbound {
  const { config, simulator, log, now } = options;
  const lark = larkClientOf(config, simulator, now);
  const replier =
    lark &&
    createChatReplier({
      lark,
      onFailed: ({ messageId, kind, outcome }) =>
        log.warn(
          { messageId, kind, errCode: outcome.errCode, errMsg: outcome.errMsg, class: outcome.class },
          'chat reply not sent',
        ),
    });
  const sent = createSentMessages();
  const routing = createRoutingCaller({
    openApi: options.openApi,
    ...(lark ? { lark } : {}),
    ...(options.http ? { http: options.http } : {}),
  });
  return {
    caller: rememberSends(routing, sent),
    sent,
    rateLimitOf: outboundRateLimit,
    rateLimitsOf: outboundRateLimits,
    ...(lark ? { lark } : {}),
    ...(replier ? { replier } : {}),
    chat: {
      verificationToken:
        config.lark.verificationToken ?? (simulator ? SIMULATOR_LARK_VERIFICATION_TOKEN : undefined),
      encryptKey: config.lark.encryptKey,
    },
    auditWithReplies: (audit, events) => (replier ? replyOnChatDeadLetters(audit, events, replier) : audit),
    idle: async () => replier?.idle(),
    close: async () => lark?.close(),
  };
}

function larkClientOf(
  config: Readonly<Config>,
  simulator: OutboundOptions['simulator'],
  now: () => number,
): LarkClient | undefined {
  const { appId, appSecret, baseUrl } = config.lark;
  if (appId && appSecret) {
    return new LarkClient({ baseUrl: baseUrl ?? 'https://open.feishu.cn', appId, appSecret, now });
  }
  if (!simulator) return undefined;
  return new LarkClient({
    baseUrl: baseUrl ?? simulator.baseUrl,
    appId: simulator.credentials.larkAppId,
    appSecret: simulator.credentials.larkAppSecret,
    now,
  });
}
