/**
 * The reconciler for the composition root: paced to its share of the API budget, fed the
 * spaces the running rules name, started and stopped with leadership (the same elector as
 * polls and schedules). `reconcile.enabled: false` keeps it stopped.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { WorkItemLoader } from '../engine/work-item-loader.ts';
import type { Event } from '../events/event.ts';
import type { LeaderElector } from '../leader/leader-elector.ts';
import type { EngineIdentity } from '../records/record-origin.ts';
import type { Rule } from '../rules/rule.ts';
import type { AuditStore, Stores } from '../store/ports.ts';
import type { ReadData } from '../triggers/search-items.ts';
import { pacedRead } from './paced-read.ts';
import { createReconciler, type Reconciler } from './reconciler.ts';
import { scopeOf } from './reconcile-scope.ts';

export interface StartReconcilerOptions {
  config: Readonly<Config>;
  stores: Stores;
  audit: AuditStore;
  /** The engine's limited read (shared limiter, retries). */
  read: ReadData;
  workItems: WorkItemLoader;
  engine: EngineIdentity;
  rules: () => Iterable<Rule>;
  elector: LeaderElector;
  log: Logger;
  now: () => number;
  onStored: (event: Event, inserted: boolean) => void;
}

export function startReconciler(options: StartReconcilerOptions): Reconciler {
  const { config, log } = options;
  const settings = config.reconcile;
  const reconciler = createReconciler({
    state: options.stores.state,
    eventLog: options.stores.events,
    audit: options.audit,
    read: pacedRead(options.read, { perSecond: settings.maxRequestsPerSecond, now: options.now }),
    engine: options.engine,
    fieldMeta: async (projectKey, typeKey) =>
      (await options.workItems.fieldMeta?.(projectKey, typeKey)) ?? [],
    now: options.now,
    settleMs: settings.settleMs,
    lookBackMs: settings.intervalMs,
    intervalMs: settings.intervalMs,
    scope: () => scopeOf(options.rules(), settings.spaces),
    onStored: options.onStored,
    onError: (error, space) =>
      log.warn({ err: error, space }, 'reconcile round failed; it is tried again later'),
    onRound: (rounds) => {
      const missed = rounds.reduce((n, r) => n + r.missed.length, 0);
      if (missed > 0 || rounds.some((r) => r.skips.length > 0))
        log.info(
          {
            rounds: rounds.map(({ missed: m, skips, ...r }) => ({
              ...r,
              missed: m.length,
              skipped: skips.length,
            })),
          },
          'reconciled',
        );
    },
  });
  if (settings.enabled) {
    options.elector.on('change', (leadership) => {
      if (leadership.leading) reconciler.start(leadership.token ?? 0);
      else void reconciler.stop();
    });
  }
  return reconciler;
}
