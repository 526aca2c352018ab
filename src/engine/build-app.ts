import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Executor } from '../executor/executor.ts';
import type { Event } from '../events/event.ts';
import { chatRoutes } from '../ingest/chat/chat-routes.ts';
import { commandCatalogOf } from '../ingest/chat/command-catalog.ts';
import { extractWebhookToken, normalizeFeishuWebhook } from '../ingest/feishu/index.ts';
import { errorHandler, notFound } from '../ingest/http/http-errors.ts';
import { webhookRoutes } from '../ingest/http/webhook-routes.ts';
import type { RunBreaker } from '../loop/run-breaker.ts';
import type { RuleIndex } from '../match/rule-index.ts';
import type { ApiCaller } from '../openapi/types.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { ChatReplier } from '../outbound/chat-replier.ts';
import { adminRoutes } from '../server/admin-routes.ts';
import { healthRoutes } from '../server/health-routes.ts';
import { metricsHandler } from '../server/metrics-route.ts';
import type { RuleRegistry } from '../server/rule-registry.ts';
import type { AuditStore, Stores } from '../store/ports.ts';
import type { EventProcessor } from './event-processor.ts';
import { traceEvent } from '../audit/trace-event.ts';

export interface AppDeps {
  config: Readonly<Config>;
  log: Logger;
  stores: Stores;
  audit: AuditStore;
  metrics: Metrics;
  rules: RuleRegistry<RuleIndex>;
  breaker: RunBreaker;
  executor: Executor;
  processor: EventProcessor;
  api: ApiCaller;
  /** Tokens accepted on /webhooks/feishu: the configured ones, or the built-in simulator's. */
  webhookTokens: readonly string[];
  /** The Lark bot's event subscription (POST /chat/events). */
  chat?: { verificationToken?: string; encryptKey?: string; replier?: ChatReplier };
  /** Every newly stored Feishu webhook event (polls use it not to deliver a change twice). */
  onWebhookStored?: (event: Event) => void;
  now: () => number;
}

/** The HTTP surface: webhook intake, health and metrics, and the admin API when a token is set. */
export function buildApp(deps: AppDeps): Express {
  const { config, stores, metrics, now } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    webhookRoutes({
      eventLog: stores.events,
      now,
      bodyLimitBytes: config.intake.bodyLimitBytes,
      timestampToleranceMs: config.intake.timestampToleranceMs,
      feishuTokens: () => deps.webhookTokens,
      webhookSecrets: (name) =>
        Object.hasOwn(config.webhooks, name) ? config.webhooks[name]?.secrets : undefined,
      normalizeFeishu: (body, receivedAt) => normalizeFeishuWebhook(body, { receivedAt }),
      extractFeishuToken: (body, headers) => extractWebhookToken(body, headers),
      onStored: (event, inserted) => {
        metrics.events.inc({ source: event.source, type: event.type, duplicate: String(!inserted) });
        if (inserted) deps.processor.notify();
        if (inserted) deps.onWebhookStored?.(event);
      },
      onRejected: (route, code) => metrics.rejected.inc({ route, code }),
    }),
  );
  app.use(
    chatRoutes({
      eventLog: stores.events,
      now,
      bodyLimitBytes: config.intake.bodyLimitBytes,
      timestampToleranceMs: config.intake.timestampToleranceMs,
      ...deps.chat,
      catalog: () => commandCatalogOf(deps.rules.current.rules),
      onStored: (event, inserted) => {
        metrics.events.inc({ source: event.source, type: event.type, duplicate: String(!inserted) });
        if (inserted) deps.processor.notify();
      },
      onRejected: (code) => metrics.rejected.inc({ route: 'chat', code }),
    }),
  );
  app.use(
    healthRoutes({
      ready: [
        { name: 'store', check: async () => void (await stores.events.pendingCount()) },
        { name: 'queue', check: async () => void (await stores.runs.stats(now())) },
      ],
      api: [{ name: 'token', check: async () => void (await deps.api.tokenKey()) }],
    }),
  );
  // With a metrics port of its own, /metrics is served there only (start-engine.ts).
  if (config.metrics.port === undefined)
    app.get('/metrics', metricsHandler(metrics.registry, config.metrics.token));
  if (config.adminToken) {
    app.use(
      adminRoutes({
        token: config.adminToken,
        rules: deps.rules as never,
        runs: stores.runs,
        events: stores.events,
        audit: stores.audit,
        now,
        traceEvent: (eventId) => traceEvent(stores, eventId),
        pausedPairs: (at) => deps.breaker.paused(at),
        onRequeued: () => deps.executor.notify(),
        onEventRequeued: () => deps.processor.notify(),
      }),
    );
  }
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
