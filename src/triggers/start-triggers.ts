/**
 * Polls and schedules for the composition root: the trigger runner, driven by the leader
 * elector (the embedded profile's always leads; the cluster profile's is the Redis lock), and
 * the log of webhook-delivered changes that keeps polls from delivering them twice.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Event } from '../events/event.ts';
import { createEmbeddedLeaderElector, type LeaderElector } from '../leader/leader-elector.ts';
import type { Rule } from '../rules/rule.ts';
import type { Stores } from '../store/ports.ts';
import type { ReadData } from './search-items.ts';
import { createTriggerRunner, type TriggerRunner } from './trigger-runner.ts';
import { createWebhookChangeLog } from './webhook-changes.ts';

export interface TriggersOptions {
  config: Readonly<Config>;
  stores: Stores;
  rules: () => { polls: readonly Rule[]; schedules: readonly Rule[] };
  /** Rate-limited search reads (createLimitedRead). */
  read: ReadData;
  log: Logger;
  now: () => number;
  onStored: (event: Event, inserted: boolean) => void;
  /** @defaultValue the embedded elector, or a Redis one when the stores bring a Redis client */
  elector?: LeaderElector;
}

export interface Triggers {
  runner: TriggerRunner;
  elector: LeaderElector;
  /** Call for every newly stored webhook event (build-app's onStored). */
  webhookStored(event: Event): void;
  start(): void;
  /** Resolves once every webhook change seen so far is recorded. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function createTriggers(options: TriggersOptions): Promise<Triggers> {
  const { config, stores, log, now } = options;
  const webhookChanges = createWebhookChangeLog(stores.state, now);
  const runner = createTriggerRunner({
    state: stores.state,
    eventLog: stores.events,
    read: options.read,
    webhookChanges,
    now,
    catchUpMs: config.triggers.catchUpMs,
    tickMs: config.triggers.tickMs,
    rules: options.rules,
    onStored: options.onStored,
    onError: (error, ruleId) =>
      log.warn({ err: error, ruleId }, 'trigger round failed; it is tried again later'),
  });
  const elector = options.elector ?? (await defaultElector(stores));
  elector.on('change', (leadership) => {
    log.info({ leading: leadership.leading, token: leadership.token }, 'trigger leadership changed');
    if (leadership.leading) runner.start(leadership.token ?? 0);
    else void runner.stop();
  });
  const recording = new Set<Promise<void>>();
  const idle = async () => {
    while (recording.size > 0) await Promise.allSettled([...recording]);
  };
  return {
    runner,
    elector,
    webhookStored(event) {
      const task = webhookChanges
        .record(event)
        .catch((error: unknown) => log.warn({ err: error, eventId: event.id }, 'webhook change not recorded'))
        .finally(() => recording.delete(task));
      recording.add(task);
    },
    start: () => elector.start(),
    idle,
    async stop() {
      await elector.stop();
      await runner.stop();
      await idle();
    },
  };
}

async function defaultElector(stores: Stores): Promise<LeaderElector> {
  const redis = (stores as Partial<{ redis: unknown }>).redis;
  if (redis === undefined) return createEmbeddedLeaderElector();
  const { createRedisLeaderElector } = await import('../leader/redis-leader-elector.ts');
  return createRedisLeaderElector({ redis: redis as never });
}
