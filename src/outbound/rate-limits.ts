/**
 * Limiter keys and classes for operations outside the Open API catalogue, so the executor's
 * limiter budgets them too: Lark's message reply allows 50/s and 1000/min per app; outbound
 * http calls share a modest budget (the rate limiter keys by operation only). Everything else is the catalogue's.
 */
import { catalogueRateLimit } from '../executor/executor.ts';
import type { RateLimitClass } from '../executor/rate-limiter.ts';

const LARK_REPLY = { key: 'POST /open-apis/im/v1/messages/:message_id/reply', cls: { qps: 50, qpm: 1000 } };
const HTTP_CLASS: RateLimitClass = { qps: 10 };

export function outboundRateLimit(operation: string): { key: string; cls: RateLimitClass } {
  if (operation.startsWith('lark.')) return LARK_REPLY;
  if (operation.startsWith('http.')) return { key: 'http.request', cls: HTTP_CLASS };
  return catalogueRateLimit(operation);
}
