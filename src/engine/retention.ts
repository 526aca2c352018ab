import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Counter } from 'prom-client';
import type { Stores } from '../store/ports.ts';

const HOUR = 3_600_000;

export interface PurgeCounts {
  events: number;
  runs: number;
  audit: number;
}

export interface Retention {
  /** One purge now (the hourly timer calls the same). */
  purgeNow(): Promise<PurgeCounts>;
  stop(): void;
}

/**
 * Hourly purge within the configured retention: processed events and finished runs (succeeded
 * or skipped; dead letters stay until handled) after `retention.eventsMs`, audit records after
 * `retention.auditMs`. Finished runs used to be kept for ever: the queue grew by every run.
 */
export function startRetention(deps: {
  stores: Stores;
  config: Readonly<Config>;
  now: () => number;
  log: Logger;
  /** `autopilot_retention_purged_total{store}`. */
  purged?: Counter<'store'>;
}): Retention {
  const { stores, config, now, log } = deps;
  const purgeNow = async (): Promise<PurgeCounts> => {
    const counts = {
      events: await stores.events.purge(now() - config.retention.eventsMs),
      runs: await stores.runs.purge(now() - config.retention.eventsMs),
      audit: await stores.audit.purge(now() - config.retention.auditMs),
    };
    for (const [store, n] of Object.entries(counts)) deps.purged?.inc({ store }, n);
    if (counts.events + counts.runs + counts.audit > 0) log.info(counts, 'retention purge');
    return counts;
  };
  const tick = () =>
    purgeNow().catch((error: unknown) =>
      log.warn({ err: error }, 'retention purge failed; it runs again in an hour'),
    );
  const timer = setInterval(() => void tick(), HOUR);
  timer.unref();
  return { purgeNow, stop: () => clearInterval(timer) };
}
