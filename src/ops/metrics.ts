import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditRecord, AuditStore, EventLog, RunQueue } from '../store/ports.ts';
import { ENGINE_VERSION } from './build-info.ts';
import { heapAfterLastMajorGc, watchHeapAfterGc } from './heap-after-gc.ts';

/** The engine's Prometheus metrics on a registry of its own (never the global one). */
export interface Metrics {
  registry: Registry;
  events: Counter<'source' | 'type' | 'duplicate'>;
  rejected: Counter<'route' | 'code'>;
  connectionsDropped: Counter;
  poison: Counter<'kind'>;
  matches: Counter<'rule'>;
  runs: Counter<'state'>;
  attempts: Counter<'operation' | 'outcome' | 'err_code'>;
  apiLatency: Histogram<'operation'>;
  limiterWaits: Counter<'operation'>;
  breakerOpen: Counter<'rule'>;
  loopStopped: Counter;
  missedWebhooks: Counter<'space' | 'type'>;
  recordsSkipped: Counter<'code'>;
  ruleReloads: Counter<'result'>;
  rulesLoaded: Gauge;
  rulesDrifted: Gauge;
  ruleDrift: Counter<'to'>;
  retentionPurged: Counter<'store'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
}

export interface QueueProbe {
  runs: RunQueue;
  events: EventLog;
  now: () => number;
}

/** What `autopilot_build_info` says about this process besides the version. */
export interface BuildLabels {
  profile: string;
}

export function createMetrics(probe?: QueueProbe, build: BuildLabels = { profile: 'embedded' }): Metrics {
  const registry = new Registry();
  // The standard names (process_*, nodejs_*): dashboards and alerts written for any Node service apply.
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'autopilot_build_info',
    help: 'Always 1; the labels say which engine version runs on which Node, in which profile',
    labelNames: ['version', 'node_version', 'profile'],
    registers: [registry],
  }).set({ version: ENGINE_VERSION, node_version: process.versions.node, profile: build.profile }, 1);
  watchHeapAfterGc();
  new Gauge({
    name: 'autopilot_heap_after_gc_bytes',
    help: 'V8 heap in use right after the last major garbage collection (what is really held; RSS also follows heap sizing)',
    registers: [registry],
    collect() {
      const bytes = heapAfterLastMajorGc();
      if (bytes !== undefined) this.set(bytes);
    },
  });
  const metrics: Metrics = {
    registry,
    events: new Counter({
      name: 'autopilot_events_total',
      help: 'Events received, by source and type',
      labelNames: ['source', 'type', 'duplicate'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'autopilot_requests_rejected_total',
      help: 'Intake requests refused, by route and error code',
      labelNames: ['route', 'code'],
      registers: [registry],
    }),
    connectionsDropped: new Counter({
      name: 'autopilot_connections_dropped_total',
      help: 'Connections closed on arrival because server.maxConnections were open',
      registers: [registry],
    }),
    poison: new Counter({
      name: 'autopilot_poison_total',
      help: 'Events and runs dead-lettered after too many claims without finishing, by kind (event, run)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    matches: new Counter({
      name: 'autopilot_rule_matches_total',
      help: 'Events matched, by rule',
      labelNames: ['rule'],
      registers: [registry],
    }),
    runs: new Counter({
      name: 'autopilot_runs_total',
      help: 'Runs reaching a state (planned, succeeded, skipped, dead)',
      labelNames: ['state'],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'autopilot_api_attempts_total',
      help: 'Open API attempts, by operation, outcome and err_code',
      labelNames: ['operation', 'outcome', 'err_code'],
      registers: [registry],
    }),
    apiLatency: new Histogram({
      name: 'autopilot_api_latency_seconds',
      help: 'Open API call latency',
      labelNames: ['operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    limiterWaits: new Counter({
      name: 'autopilot_limiter_waits_total',
      help: 'Actions delayed by the rate limiter',
      labelNames: ['operation'],
      registers: [registry],
    }),
    breakerOpen: new Counter({
      name: 'autopilot_breaker_open_total',
      help: 'Runs refused because the (rule, work item) breaker was open',
      labelNames: ['rule'],
      registers: [registry],
    }),
    loopStopped: new Counter({
      name: 'autopilot_loop_stopped_total',
      help: 'Events stopped at the causation depth cap or in a cross-system loop',
      registers: [registry],
    }),
    missedWebhooks: new Counter({
      name: 'autopilot_missed_webhooks_total',
      help: 'Changes no webhook delivered, recovered from the operation records, by space and event type',
      labelNames: ['space', 'type'],
      registers: [registry],
    }),
    recordsSkipped: new Counter({
      name: 'autopilot_op_records_skipped_total',
      help: 'Operation records that made no event (unknown, item deleted since, too old), by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    ruleReloads: new Counter({
      name: 'autopilot_rule_reloads_total',
      help: 'Rule set reloads, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    retentionPurged: new Counter({
      name: 'autopilot_retention_purged_total',
      help: 'Rows deleted by the retention purge, by store (events, runs, audit)',
      labelNames: ['store'],
      registers: [registry],
    }),
    rulesLoaded: new Gauge({
      name: 'autopilot_rules_loaded',
      help: 'Rules in the running set',
      registers: [registry],
    }),
    rulesDrifted: new Gauge({
      name: 'autopilot_rules_drifted',
      help: "Loaded rules that do not fit the tenant's metadata (drift watch)",
      registers: [registry],
    }),
    ruleDrift: new Counter({
      name: 'autopilot_rule_drift_total',
      help: 'Rules that stopped fitting the tenant (to shadow or warn) or fit again (to live)',
      labelNames: ['to'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'autopilot_http_request_duration_seconds',
      help: 'HTTP requests served, by route template, method and status code',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
  if (probe) registerQueueGauges(registry, probe);
  return metrics;
}

/**
 * `autopilot_memory_entries{structure}`: entries in each in-memory structure keyed per token,
 * rule and work item, space and type, or person. Each is bounded by expiry or a sweep; this
 * shows they stay so over weeks.
 */
export function registerMemoryGauge(registry: Registry, sizes: () => Record<string, number>): void {
  new Gauge({
    name: 'autopilot_memory_entries',
    help: 'Entries held in memory per structure (limiter_keys, breaker_pairs, field_meta_types, people, template_parse, event_retries, run_retries)',
    labelNames: ['structure'],
    registers: [registry],
    collect() {
      for (const [structure, n] of Object.entries(sizes())) this.set({ structure }, n);
    },
  });
}

function registerQueueGauges(registry: Registry, probe: QueueProbe): void {
  new Gauge({
    name: 'autopilot_queue_depth',
    help: 'Runs queued or running',
    registers: [registry],
    async collect() {
      this.set((await probe.runs.stats(probe.now())).depth);
    },
  });
  new Gauge({
    name: 'autopilot_queue_oldest_age_seconds',
    help: 'Age of the oldest due run',
    registers: [registry],
    async collect() {
      this.set((await probe.runs.stats(probe.now())).oldestDueAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'autopilot_runs_parked',
    help: 'Runs parked until a time or a decision (waits)',
    registers: [registry],
    async collect() {
      this.set((await probe.runs.stats(probe.now())).parked);
    },
  });
  new Gauge({
    name: 'autopilot_dead_letters',
    help: 'Runs in the dead-letter queue',
    registers: [registry],
    async collect() {
      this.set((await probe.runs.stats(probe.now())).dead);
    },
  });
  new Gauge({
    name: 'autopilot_events_pending',
    help: 'Stored events not processed yet',
    registers: [registry],
    async collect() {
      this.set(await probe.events.pendingCount());
    },
  });
}

/**
 * Audit records are the one source of truth for what happened; metrics are counted from them
 * as they are written, so no stage has to remember to update both.
 */
export function countingAudit(audit: AuditStore, metrics: Metrics): AuditStore {
  return {
    async record(entries) {
      await audit.record(entries);
      for (const entry of entries) count(metrics, entry);
    },
    query: (q) => audit.query(q),
    purge: (olderThan) => audit.purge(olderThan),
  };
}

function count(metrics: Metrics, entry: AuditRecord): void {
  const detail = entry.detail ?? {};
  switch (entry.kind) {
    case 'rule.matched':
      metrics.matches.inc({ rule: entry.ruleId ?? 'unknown' });
      break;
    case 'run.planned':
      metrics.runs.inc({ state: 'planned' });
      break;
    case 'run.succeeded':
      metrics.runs.inc({ state: 'succeeded' });
      break;
    case 'run.dead_lettered':
      metrics.runs.inc({ state: 'dead' });
      if ((detail.error as { code?: string } | undefined)?.code === 'AP_POISON')
        metrics.poison.inc({ kind: 'run' });
      break;
    case 'event.dead_lettered':
      metrics.poison.inc({ kind: 'event' });
      break;
    case 'action.skipped':
      metrics.runs.inc({ state: 'skipped' });
      break;
    case 'action.attempted': {
      const request = (detail.request ?? {}) as { operation?: string };
      const outcome = (detail.outcome ?? {}) as { class?: string; errCode?: number };
      const operation = request.operation ?? 'unknown';
      metrics.attempts.inc({
        operation,
        outcome: outcome.class ?? 'unknown',
        err_code: String(outcome.errCode ?? 0),
      });
      if (typeof detail.durationMs === 'number')
        metrics.apiLatency.observe({ operation }, detail.durationMs / 1000);
      break;
    }
    case 'breaker_open':
      metrics.breakerOpen.inc({ rule: entry.ruleId ?? 'unknown' });
      break;
    case 'loop_stopped':
      metrics.loopStopped.inc();
      break;
    case 'webhook.missed':
      metrics.missedWebhooks.inc({
        space: String(detail.space ?? 'unknown'),
        type: String(detail.type ?? 'unknown'),
      });
      break;
    case 'record.skipped':
      metrics.recordsSkipped.inc({ code: String(detail.code ?? 'unknown') });
      break;
    case 'rule.drifted':
      metrics.ruleDrift.inc({ to: String(detail.action ?? 'unknown') });
      break;
    case 'rule.fits':
      metrics.ruleDrift.inc({ to: 'live' });
      break;
    default:
      break;
  }
}
