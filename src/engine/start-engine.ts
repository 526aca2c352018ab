/**
 * The composition root of `autopilot serve`: stores, Open API client (or the built-in
 * simulator), rules, the event processor, the executor and the HTTP surface, wired once.
 */
import { mkdirSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { usesSimulator } from '../config/load-config.ts';
import { createExecutor, type Executor } from '../executor/executor.ts';
import { createLocalLimiter } from '../executor/rate-limiter.ts';
import { createRedisRateLimiter } from '../executor/redis-rate-limiter.ts';
import type { LeaderElector } from '../leader/leader-elector.ts';
import { createOriginLookup } from '../loop/origin-lookup.ts';
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
import { resolveLarkPeople } from '../people/resolve-lark-people.ts';
import {
  handleApprovalClick,
  isApprovalClick,
  type ApprovalClickDeps,
} from '../approvals/approval-clicks.ts';
import { createPeopleDirectory, type PeopleDirectory } from '../people/people-directory.ts';
import { withPeople } from '../people/resolve-people.ts';
import { processEvent } from '../pipeline.ts';
import { loadRules, formatDiagnostic } from '../rules/load-rules.ts';
import { unsetSecrets } from '../rules/check-secrets.ts';
import type { Rule } from '../rules/rule.ts';
import { observeHttp } from '../server/http-observer.ts';
import { listenHttp } from '../server/http-server.ts';
import { metricsListener } from '../server/metrics-route.ts';
import { RuleRegistry } from '../server/rule-registry.ts';
import type { RunningSimulator } from '../simulator/server.ts';
import type { ClusterStores } from '../store/cluster/open-cluster-stores.ts';
import type { Stores } from '../store/ports.ts';
import { startReconciler } from '../reconcile/start-reconciler.ts';
import type { Reconciler } from '../reconcile/reconciler.ts';
import type { Event } from '../events/event.ts';
import { createTriggers, type Triggers } from '../triggers/start-triggers.ts';
import { triggerRulesOf } from '../triggers/trigger-runner.ts';
import { createLimiterUsage } from '../dashboard/limiter-usage.ts';
import { createLiveFeed, liveAudit } from '../dashboard/live-feed.ts';
import { createReplan } from '../dashboard/replan.ts';
import { buildApp } from './build-app.ts';
import { createEventProcessor, type EventProcessor } from './event-processor.ts';
import { eventDeadLetteredRecord } from './match-records.ts';
import { leaseOwnerGone, newLeaseOwner } from './lease-owners.ts';
import { countingLimiter } from './counting-limiter.ts';
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
  const stores = await openStores(config, now, log);
  const simulator = usesSimulator(config) ? await startBuiltInSimulator() : undefined;
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
  const rules = new RuleRegistry<RuleIndex>({
    dir: config.rulesDir,
    load: async (dir) => {
      const { rules, diagnostics } = await loadRules([dir]);
      logUnsetSecrets(rules, config, log);
      return { rules, diagnostics };
    },
    buildIndex: buildRuleIndex,
    now,
    onReload: (outcome) => {
      metrics.ruleReloads.inc({ result: outcome.ok ? 'ok' : 'refused' });
      // A new set is checked against the space at once, not at the next interval.
      if (outcome.ok) late.drift?.requestRefresh();
      metrics.rulesLoaded.set(rules.lastOutcome?.rules ?? 0);
      if (outcome.ok) log.info({ rules: outcome.rules }, 'rules loaded');
      else
        log.error(
          { diagnostics: outcome.diagnostics.map(formatDiagnostic) },
          'rules refused; the previous set keeps running',
        );
    },
  });
  // Made below, once the reader and the elector exist; the first reloads come before it.
  const late: { drift?: DriftWatch<RuleIndex> } = {};
  const first = await rules.reload();
  if (!first.ok) log.warn('starting with no rules: fix the diagnostics above and the set reloads by itself');
  rules.watch();

  // The cluster profile shares one limiter through the stores' Redis: 15/s holds across processes.
  const redis = (stores as Partial<ClusterStores>).redis;
  const limiterUsage = createLimiterUsage();
  const localLimiter = redis ? undefined : createLocalLimiter();
  const limiter = countingLimiter(
    localLimiter ?? createRedisRateLimiter(redis as NonNullable<typeof redis>),
    (key) => {
      metrics.limiterWaits.inc({ operation: key });
      limiterUsage.waited(key);
    },
    (key, at) => limiterUsage.granted(key, at),
  );
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
  }));
  const pipeline = {
    rules: () => driftWatch.current(),
    events: stores.events,
    runs: stores.runs,
    audit,
    state: stores.state,
    workItems,
    breaker,
    engineUserKey,
    maxDepth: config.loop.maxDepth,
    maxAutomationCycles: config.loop.maxAutomationCycles,
    lookupOrigin: createOriginLookup(read, { userKey: engineUserKey, pluginId: feishu.pluginId }),
    now,
  };
  const approvals: ApprovalClickDeps = {
    state: stores.state,
    runs: stores.runs,
    audit,
    events: stores.events,
    people,
    read,
    ...(outbound.replier ? { replier: outbound.replier } : {}),
    onResumed: () => executor.notify(),
    now,
  };
  const processor = createEventProcessor({
    events: stores.events,
    process: (stored) =>
      tracing.matched(stored.event, async () => {
        const event = await resolveLarkPeople(stored.event, people, read);
        if (!isApprovalClick(event)) return processEvent(event, pipeline);
        await handleApprovalClick(event, approvals);
        return [];
      }),
    now,
    onRuns: () => executor.notify(),
    leaseMs: config.events.leaseMs,
    owner: newLeaseOwner('processor'),
    maxClaims: config.events.maxClaims,
    onDeadLettered: (stored, error) => audit.record([eventDeadLetteredRecord(stored, error, now())]),
    onError: (error, eventId) => log.warn({ err: error, eventId }, 'event not processed; it will be retried'),
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
  const observed = { duration: metrics.httpDuration, log };
  const listen = (handler: RequestListener, host: string, port: number) =>
    listenHttp(handler, {
      host,
      port,
      limits: config.server,
      onDropped: () => metrics.connectionsDropped.inc(),
    });
  const server = await listen(observeHttp(app, observed), config.host, config.port);
  const url = urlOf(server, config.host);
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : await listen(
          observeHttp(metricsListener(metrics.registry, config.metrics.token), observed),
          config.metrics.host ?? config.host,
          config.metrics.port,
        ).catch((error: unknown) => {
          server.close();
          throw error;
        });
  const metricsUrl = metricsServer ? urlOf(metricsServer, config.metrics.host ?? config.host) : url;
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
    async stop() {
      rules.close();
      await driftWatch.stop();
      retention.stop();
      await triggers.stop();
      await reconciler.stop();
      live.close();
      await new Promise<void>((done) => server.close(() => done()));
      await new Promise<void>((done) => (metricsServer ? metricsServer.close(() => done()) : done()));
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
    },
  };

  async function startBuiltInSimulator(): Promise<RunningSimulator> {
    const { startSimulator } = await import('../simulator/server.ts');
    mkdirSync(config.dataDir, { recursive: true });
    return startSimulator({ snapshotFile: join(config.dataDir, 'simulator.json') });
  }
}

/**
 * A rule naming a secret this engine lacks still loads (the others must not stop for it), but
 * says so at every load: its http and api steps would end in the dead-letter queue.
 */
function logUnsetSecrets(rules: readonly Rule[], config: Readonly<Config>, log: Logger): void {
  const unset = unsetSecrets(rules, new Set(Object.keys(config.secrets)));
  if (unset.length === 0) return;
  log.warn(
    { code: 'AP_SECRET_UNKNOWN', diagnostics: unset.map(formatDiagnostic) },
    'rules name secrets that are not set: their steps are dead-lettered (AP_SECRET_UNKNOWN) until they are',
  );
}

async function openStores(config: Readonly<Config>, now: () => number, log: Logger): Promise<Stores> {
  if (config.profile === 'cluster') {
    const { openClusterStores } = await import('../store/cluster/open-cluster-stores.ts');
    return openClusterStores({
      redisUrl: config.cluster.redisUrl as string,
      databaseUrl: config.cluster.databaseUrl as string,
      now,
    });
  }
  const { openSqliteStores } = await import('../store/sqlite/open-sqlite-stores.ts');
  mkdirSync(config.dataDir, { recursive: true });
  const stores = await openSqliteStores({ path: resolve(config.dataDir, 'autopilot.db'), now });
  // Before this process claims anything: what a killed process held goes on now, not after its lease.
  const taken = stores.takeBackGoneLeases(leaseOwnerGone, now());
  if (taken.owners.length > 0) log.info(taken, 'took back the leases of stopped processes');
  return stores;
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}
