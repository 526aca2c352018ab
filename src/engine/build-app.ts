import type { RequestListener } from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Executor } from '../executor/executor.ts';
import { ENGINE_EVENT_TYPES, MANUAL_EVENT_TYPE, WORK_ITEM_EVENT_TYPES, type Event } from '../events/event.ts';
import { chatRoutes } from '../ingest/chat/chat-routes.ts';
import { commandCatalogOf } from '../ingest/chat/command-catalog.ts';
import { extractWebhookToken, normalizeFeishuWebhook } from '../ingest/feishu/index.ts';
import { errorHandler, notFound } from '../ingest/http/http-errors.ts';
import { webhookIntake } from '../ingest/http/webhook-routes.ts';
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
import { traceEvent } from '../audit/trace-event.ts';
import { dashboardRoutes } from '../dashboard/dashboard-routes.ts';
import { dataRoutes, type DataDeps } from '../dashboard/data-routes.ts';
import type { LimiterUsage } from '../dashboard/limiter-usage.ts';
import type { LiveFeed } from '../dashboard/live-feed.ts';
import { createSessions } from '../dashboard/sessions.ts';
import type { Run } from '../plan/run.ts';
import type { RunRecord } from '../store/ports.ts';

export interface AppDeps {
  config: Readonly<Config>;
  log: Logger;
  stores: Stores;
  audit: AuditStore;
  metrics: Metrics;
  rules: RuleRegistry<RuleIndex>;
  /** The drift watch's verdict on a rule, shown by `GET /api/rules`. */
  drift?: (ruleId: string) => { runsAs: string; since: number; problems: unknown[] } | undefined;
  breaker: RunBreaker;
  executor: Executor;
  api: ApiCaller;
  /** Tokens accepted on /webhooks/feishu: the configured ones, or the built-in simulator's. */
  webhookTokens: readonly string[];
  /** The Lark bot's event subscription (POST /chat/events). */
  chat?: { verificationToken?: string; encryptKey?: string; replier?: ChatReplier };
  /** Every event stored or redelivered, from any route: counts it and wakes the processor. */
  onEventStored: (event: Event, inserted: boolean) => void;
  /** A dead-lettered event was put back to processing (admin API): wakes the processor. */
  onEventRequeued?: () => void;
  /** Every newly stored Feishu webhook event (polls use it not to deliver a change twice). */
  onWebhookStored?: (event: Event) => void;
  /** Live updates for the dashboard (server-sent events). */
  live: LiveFeed;
  /** The rate limiter's use per endpoint (dashboard overview). */
  limiterUsage?: LimiterUsage;
  /** A dead run planned again with the current rule version (src/dashboard/replan.ts). */
  replan: (record: RunRecord) => Promise<Run>;
  now: () => number;
}

/**
 * The HTTP surface: webhook intake, health and metrics, and the admin API when a token is set.
 * Deliveries to `/webhooks/*` take the intake's hot path before express; everything else (and
 * any unusual spelling of those paths) goes through the express app.
 */
export function buildApp(deps: AppDeps): RequestListener {
  const { config, stores, metrics, now } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const intake = webhookIntake({
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
      deps.onEventStored(event, inserted);
      if (inserted) deps.onWebhookStored?.(event);
    },
    onRejected: (route, code) => metrics.rejected.inc({ route, code }),
  });
  app.use(intake.router);
  app.use(
    chatRoutes({
      eventLog: stores.events,
      now,
      bodyLimitBytes: config.intake.bodyLimitBytes,
      timestampToleranceMs: config.intake.timestampToleranceMs,
      ...deps.chat,
      catalog: () => commandCatalogOf(deps.rules.current.rules),
      onStored: deps.onEventStored,
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
    const data = dashboardData(deps);
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
        onEventRequeued: deps.onEventRequeued,
        onEventStored: deps.onEventStored,
        ...(deps.drift && { drift: deps.drift }),
        data: dataRoutes(data, 'admin-api'),
      }),
    );
    const sessions = createSessions({
      adminToken: config.adminToken,
      ttlMs: config.dashboard.sessionTtlMs,
      state: stores.state,
    });
    app.use(
      dashboardRoutes({
        auth: {
          adminToken: config.adminToken,
          sessions,
          secureCookie: config.dashboard.secureCookie,
          now,
          onLogin: (ok) => (ok ? undefined : deps.log.warn('dashboard login refused: wrong admin token')),
        },
        data,
        eventTypes: [
          ...WORK_ITEM_EVENT_TYPES,
          ...ENGINE_EVENT_TYPES,
          MANUAL_EVENT_TYPE,
          ...Object.keys(config.webhooks).map((name) => `webhook.${name}`),
        ],
      }),
    );
  }
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return (req, res) => {
    if (!intake.serve(req, res)) app(req, res);
  };
}

function dashboardData(deps: AppDeps): DataDeps {
  const { stores, rules, now } = deps;
  return {
    stores,
    rules: rules as never,
    now,
    limiterUse: () => deps.limiterUsage?.snapshot(now()) ?? [],
    live: deps.live,
    deadLetters: {
      runs: stores.runs,
      audit: deps.audit,
      now,
      replan: deps.replan,
      currentVersion: (ruleId) => rules.current.byId.get(ruleId)?.version,
      onRequeued: () => deps.executor.notify(),
    },
  };
}
