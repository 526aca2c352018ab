/**
 * The composition root of `autopilot serve`: stores, Open API client (or the built-in
 * simulator), rules, the event processor, the executor and the HTTP surface, wired once.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { usesSimulator } from '../config/load-config.ts';
import { createExecutor, type Executor } from '../executor/executor.ts';
import type { LeaderElector } from '../leader/leader-elector.ts';
import { RunBreaker } from '../loop/run-breaker.ts';
import { buildRuleIndex, type RuleIndex } from '../match/rule-index.ts';
import { createDriftWatch, type DriftWatch } from '../meta/drift-watch.ts';
import { AutopilotError } from '../errors.ts';
import { OpenApiClient } from '../openapi/client.ts';
import type { ApiCaller } from '../openapi/types.ts';
import { createChatSender, type ChatSender } from '../outbound/chat-sender.ts';
import { createHttpActionCaller } from '../outbound/http-action.ts';
import { createOutbound, type Outbound } from '../outbound/outbound-setup.ts';
import { countingAudit, createMetrics, registerMemoryGauge, type Metrics } from '../ops/metrics.ts';
import { templateParseCache } from '../templates/render.ts';
import { startTracing } from '../ops/tracing.ts';
import { createPeopleDirectory, type PeopleDirectory } from '../people/people-directory.ts';
import { withPeople } from '../people/resolve-people.ts';
import type { RuleRegistry } from '../server/rule-registry.ts';
import type { RunningSimulator } from '../simulator/server.ts';
import type { Stores } from '../store/ports.ts';
import { startReconciler } from '../reconcile/start-reconciler.ts';
import type { Reconciler } from '../reconcile/reconciler.ts';
import type { Event } from '../events/event.ts';
import { createTriggers, type Triggers } from '../triggers/start-triggers.ts';
import { triggerRulesOf } from '../triggers/trigger-runner.ts';
import { createLiveFeed, liveAudit } from '../dashboard/live-feed.ts';
import { createReplan } from '../dashboard/replan.ts';
import { buildApp } from './build-app.ts';
import { startEngineRules } from './engine-rules.ts';
import { createEngineLimiter } from './engine-limiter.ts';
import { listenEngine, type EngineListeners } from './engine-listeners.ts';
import { openEngineStores, startBuiltInSimulator } from './engine-stores.ts';
import { createEngineProcessing } from './engine-processing.ts';
import type { EventProcessor } from './event-processor.ts';
import { newLeaseOwner } from './lease-owners.ts';
import { createLimitedRead } from './limited-read.ts';
import { loggingAudit } from './logging-audit.ts';
import { createActionResolver } from './resolve-action.ts';
import { startRetention, type Retention } from './retention.ts';
import { createWorkItemLoader } from './work-item-loader.ts';

export interface EngineOptions {
  config: Readonly<Config>;
  log: Logger;
  now?: () => number;
  /** Who runs polls and schedules. @defaultValue embedded (always leads), or Redis in the cluster profile */
  elector?: LeaderElector;
  /** The outbound `http` action's caller; without one `http.*` calls end with a clear permanent error. */
  httpCaller?: ApiCaller;
}

export interface RunningEngine {
  url: string;
  /** Where `/metrics` answers: `url`, or the metrics port's own address when one is configured. */
  metricsUrl: string;
  config: Readonly<Config>;
  stores: Stores;
  metrics: Metrics;
  rules: RuleRegistry<RuleIndex>;
  executor: Executor;
  processor: EventProcessor;
  /** The hourly purge of processed events, finished runs and old audit records. */
  retention: Retention;
  /** Polls and schedules, run while this process leads. */
  triggers: Triggers;
  /** Gap-free ingestion from the operation records, run while this process leads. */
  reconciler: Reconciler;
  /** The Lark IM client, the routing caller and the engine's own chat replies. */
  outbound: Outbound;
  /** Posts a message to a Lark chat outside any rule (operations notices), within Lark's limits. */
  chatSender: ChatSender;
  /** Who user keys are (cached user/query). */
  people: PeopleDirectory;
  /** The loaded rules checked against the tenant's metadata; the rule set matching uses. */
  drift: DriftWatch<RuleIndex>;
  /** The built-in simulator when the engine runs without Feishu credentials. */
  simulator?: RunningSimulator;
  /** Resolves when every stored event is processed and every run finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEngine(options: EngineOptions): Promise<RunningEngine> {
  const { config, log } = options;
  const now = options.now ?? Date.now;
  const stores = await openEngineStores(config, now, log);
  const simulator = usesSimulator(config) ? await startBuiltInSimulator(config) : undefined;
  const feishu = simulator ? { ...simulator.credentials, baseUrl: simulator.baseUrl } : config.feishu;
  const api = new OpenApiClient({
    baseUrl: feishu.baseUrl ?? 'https://project.feishu.cn',
    pluginId: feishu.pluginId as string,
    pluginSecret: feishu.pluginSecret as string,
    userKey: feishu.userKey as string,
    now,
  });
  const engineUserKey = feishu.userKey;
  // The http action reaches allow-listed hosts only; without any, it refuses every call.
  const ownHttp = options.httpCaller
    ? undefined
    : createHttpActionCaller({ allowedHosts: config.http.allowedHosts, now });
  const outbound = createOutbound({
    config,
    simulator,
    openApi: api,
    http: options.httpCaller ?? ownHttp,
    log,
    now,
  });
  const metrics = createMetrics(
    { runs: stores.runs, events: stores.events, now },
    { profile: config.profile },
  );
  const tracing = await startTracing(config, log, now);
  const live = createLiveFeed(now);
  const audit = liveAudit(
    outbound.auditWithReplies(
      loggingAudit(countingAudit(tracing.audit(stores.audit), metrics), log),
      stores.events,
    ),
    live,
  );
  // The drift watch is made below, once the reader and the elector exist; the first reloads come
  // before it. A new set is checked against the space at once, not at the next interval.
  const late: { drift?: DriftWatch<RuleIndex> } = {};
  const rules = await startEngineRules({
    config,
    log,
    metrics,
    now,
    onAccepted: () => late.drift?.requestRefresh(),
  });
  const { limiter, local: localLimiter, usage: limiterUsage } = createEngineLimiter(stores, metrics);
  const read = createLimitedRead({ api, limiter, now });
  const workItems = createWorkItemLoader(read, now);
  const people = createPeopleDirectory({ now });
  const chatSender = createChatSender({ api: outbound.caller, limiter, now });
  const opsChat = config.drift.opsChat;
  const driftWatch = createDriftWatch({
    settings: config.drift,
    rules: () => rules.current,
    buildIndex: buildRuleIndex,
    read,
    state: stores.state,
    audit,
    isLeader: () => triggers.elector.isLeader(),
    log,
    drifted: (count) => metrics.rulesDrifted.set(count),
    ...(opsChat && {
      notify: async (text: string, uuid: string) => {
        const outcome = await chatSender.send(opsChat, { text }, uuid);
        if (outcome.class !== 'ok')
          throw new AutopilotError(
            'AP_API_PERMANENT',
            `Lark refused the notice: ${outcome.errCode} ${outcome.errMsg ?? ''}`,
          );
      },
    }),
    now,
  });
  late.drift = driftWatch;
  const executor = createExecutor({
    runs: stores.runs,
    audit,
    api: outbound.caller,
    rateLimitOf: outbound.rateLimitOf,
    rateLimitsOf: outbound.rateLimitsOf,
    rules: (id) => rules.current.byId.get(id),
    resolve: withPeople(
      createActionResolver(stores.events, { people, projectUrl: feishu.baseUrl, sent: outbound.sent }),
      people,
    ),
    program: {
      event: async (eventId) => (await stores.events.get(eventId))?.event,
      workItem: (ref, through, options) => workItems.loadWith(through, ref, options),
      state: stores.state,
      secrets: config.secrets,
    },
    limiter,
    concurrency: config.executor.concurrency,
    leaseMs: config.executor.leaseMs,
    maxClaims: config.executor.maxClaims,
    owner: newLeaseOwner('executor'),
    now,
    onError: (error, context) => log.error({ err: error, ...context }, 'executor error'),
  });
  const breaker = new RunBreaker(config.loop.breakerMaxRuns, config.loop.breakerWindowMs);
  registerMemoryGauge(metrics.registry, () => ({
    limiter_keys: localLimiter?.keyCount() ?? 0,
    breaker_pairs: breaker.size(),
    field_meta_types: workItems.cachedTypes?.() ?? 0,
    people: people.cachedIds?.() ?? 0,
    template_parse: templateParseCache.stats().entries,
    event_retries: processor.retrying(),
    run_retries: executor.retrying(),
  }));
  const processor = createEngineProcessing({
    config,
    stores,
    audit,
    read,
    people,
    tracing,
    rules: () => driftWatch.current(),
    workItems,
    breaker,
    engine: { userKey: engineUserKey, pluginId: feishu.pluginId },
    ...(outbound.replier ? { replier: outbound.replier } : {}),
    onRuns: () => executor.notify(),
    log,
    now,
  });
  /** Every source's newly stored (or redelivered) event: counted, traced, and the processor woken. */
  function eventStored(event: Event, inserted: boolean): void {
    metrics.events.inc({ source: event.source, type: event.type, duplicate: String(!inserted) });
    if (!inserted) return;
    if (config.drift.refreshOn.includes(event.type)) driftWatch.requestRefresh();
    tracing.eventStored(event);
    processor.notify();
  }
  const triggers = await createTriggers({
    config,
    stores,
    rules: () => triggerRulesOf(rules.current.index),
    read,
    log,
    now,
    elector: options.elector,
    onStored: eventStored,
  });

  const reconciler = startReconciler({
    config,
    stores,
    audit,
    read,
    workItems,
    engine: { userKey: engineUserKey, pluginId: feishu.pluginId },
    rules: () => rules.current.byId.values(),
    elector: triggers.elector,
    log,
    now,
    onStored: (event, inserted) => {
      metrics.events.inc({ source: event.source, type: event.type, duplicate: String(!inserted) });
      if (inserted) processor.notify();
    },
  });

  // The built-in simulator's token is public: a configured one wins, and the simulator pushes with it.
  const webhookTokens =
    config.feishu.webhookTokens.length > 0 || !simulator
      ? config.feishu.webhookTokens
      : [simulator.credentials.webhookToken];
  const app = buildApp({
    config,
    log,
    stores,
    audit,
    metrics,
    rules,
    drift: (ruleId) => {
      const entry = driftWatch.drifted().get(ruleId);
      const runsAs = driftWatch.current().byId.get(ruleId)?.mode;
      return entry && runsAs ? { runsAs, ...entry } : undefined;
    },
    breaker,
    executor,
    api,
    webhookTokens,
    onEventStored: eventStored,
    onEventRequeued: () => processor.notify(),
    chat: { ...outbound.chat, replier: outbound.replier },
    onWebhookStored: triggers.webhookStored,
    live,
    limiterUsage,
    replan: createReplan({
      events: stores.events,
      rule: (id) => rules.current.byId.get(id),
      workItems,
      now,
    }),
    now,
  });
  /** Stops what was started, in order; `served` is absent when the listeners never opened. */
  async function stopAll(served?: {
    listeners: EngineListeners;
    retention: ReturnType<typeof startRetention>;
  }): Promise<void> {
    rules.close();
    await driftWatch.stop();
    served?.retention.stop();
    await triggers.stop();
    await reconciler.stop();
    live.close();
    await served?.listeners.close();
    await processor.stop();
    const report = await executor.stop(config.executor.shutdownDeadlineMs);
    log.info(report, 'executor stopped');
    await outbound.idle();
    await outbound.close();
    await ownHttp?.close();
    await api.close();
    await simulator?.close();
    await stores.close();
    await tracing.shutdown();
  }
  // A port in use must end the process with its error, not leave the simulator and timers running.
  const listeners = await listenEngine(app, { config, metrics, log }).catch(async (error: unknown) => {
    await stopAll();
    throw error;
  });
  const { url, metricsUrl } = listeners;
  if (simulator) {
    simulator.registerWebhook({ url: `${url}/webhooks/feishu`, token: webhookTokens[0] as string });
  }
  const retention = startRetention({ stores, config, now, log, purged: metrics.retentionPurged });
  processor.start();
  executor.start();
  triggers.start();
  driftWatch.start();

  return {
    url,
    metricsUrl,
    config,
    stores,
    metrics,
    rules,
    executor,
    processor,
    retention,
    triggers,
    reconciler,
    outbound,
    chatSender,
    people,
    drift: driftWatch,
    simulator,
    async idle() {
      for (;;) {
        await triggers.idle();
        await processor.idle();
        await executor.idle();
        await outbound.idle();
        if ((await stores.events.pendingCount()) === 0) return;
      }
    },
    stop: () => stopAll({ listeners, retention }),
  };
}
