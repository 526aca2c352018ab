/**
 * Limiter keys and classes for operations outside the Open API catalogue, so the executor's
 * limiter budgets them too. Lark's messaging interfaces (send, reply, update) allow 50 per
 * second and 1000 per minute per app each; on top of that Lark takes at most 5 per second to
 * one chat, to one person, and updates of one message: a send holds both its interface's slot
 * and its recipient's. Outbound http calls share a modest budget. Everything else is the
 * catalogue's.
 */
import { catalogueRateLimit } from '../executor/executor.ts';
import type { LimitSpec, RateLimitClass } from '../executor/rate-limiter.ts';
import type { ApiCall } from '../plan/run.ts';

export const LARK_APP_CLASS: RateLimitClass = { qps: 50, qpm: 1000 };
export const LARK_TARGET_CLASS: RateLimitClass = { qps: 5 };
const HTTP_CLASS: RateLimitClass = { qps: 10 };

const LARK_KEYS: Record<string, string> = {
  'lark.message.create': 'POST /open-apis/im/v1/messages',
  'lark.message.update': 'PATCH /open-apis/im/v1/messages/:message_id',
  'lark.reply': 'POST /open-apis/im/v1/messages/:message_id/reply',
  'lark.message.patch': 'PATCH /open-apis/im/v1/messages/:message_id',
};

/** The interface-wide limit of one operation. */
export function outboundRateLimit(operation: string): LimitSpec {
  if (operation.startsWith('lark.')) return { key: LARK_KEYS[operation] ?? operation, cls: LARK_APP_CLASS };
  if (operation.startsWith('http.')) return { key: 'http.request', cls: HTTP_CLASS };
  return catalogueRateLimit(operation);
}

/** Every limit one call must fit in: its recipient's (narrowest first), then its interface's. */
export function outboundRateLimits(call: ApiCall): LimitSpec[] {
  const target = larkTarget(call);
  const app = outboundRateLimit(call.operation);
  return target ? [{ key: target, cls: LARK_TARGET_CLASS }, app] : [app];
}

function larkTarget(call: ApiCall): string | undefined {
  if (call.operation === 'lark.message.create') {
    const body = call.body as { receive_id?: unknown } | undefined;
    const type = call.query?.receive_id_type;
    if (typeof body?.receive_id !== 'string' || !type) return undefined;
    return type === 'chat_id' ? `lark chat ${body.receive_id}` : `lark person ${type}:${body.receive_id}`;
  }
  if (call.operation === 'lark.message.patch') return `lark message ${call.path.split('/').pop() ?? ''}`;
  return undefined;
}
