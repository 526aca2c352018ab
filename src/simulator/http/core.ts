/** The simulator's moving parts, shared by the route pipeline, the routes and the inspection API. */
import type { Chaos } from '../chaos.ts';
import type { LarkState } from '../lark/lark-state.ts';
import type { Tenant } from '../model/tenant.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import type { IdempotencyLedger, SlidingWindowLimiter } from './rate-limit.ts';
import type { RequestLog } from './request-log.ts';
import type { TokenStore } from './tokens.ts';

export type Clock = () => number;

export interface LarkReply {
  message_id: string;
  reply_message_id: string;
  msg_type: string;
  content: unknown;
  reply_in_thread: boolean;
  uuid?: string;
  time: number;
}

export interface SimCore {
  tenant: Tenant;
  clock: Clock;
  tokens: TokenStore;
  limiter: SlidingWindowLimiter;
  ledger: IdempotencyLedger;
  chaos: Chaos;
  log: RequestLog;
  webhooks: WebhookDispatcher;
  /** Rate limits on (default) or off (for demos that want raw throughput). */
  rateLimits: boolean;
  larkReplies: LarkReply[];
  /** The Lark side: messages sent, uuids, card callbacks, frequency windows. */
  lark: LarkState;
  /** Uploaded attachment bytes by uid (not part of snapshots). */
  files: Map<string, { name: string; type: string; bytes: Buffer }>;
  /** Results of work_item/batch_update by task_id (task_result). */
  batchTasks: Map<string, Record<string, unknown>>;
  larkTokens: Map<string, number>;
  /** Exceptions that were not SimErrors: simulator bugs, which tests assert stay empty. */
  internalErrors: Error[];
  /** Called after every applied write (snapshots the tenant when a file is configured). */
  afterWrite: () => void;
}
