import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Stores } from '../store/ports.ts';

const HOUR = 3_600_000;

/** Hourly purge of processed events and old audit records, within the configured retention. */
export function startRetention(deps: {
  stores: Stores;
  config: Readonly<Config>;
  now: () => number;
  log: Logger;
}): () => void {
  const { stores, config, now, log } = deps;
  const purge = async () => {
    try {
      const events = await stores.events.purge(now() - config.retention.eventsMs);
      const audit = await stores.audit.purge(now() - config.retention.auditMs);
      if (events + audit > 0) log.info({ events, audit }, 'retention purge');
    } catch (error) {
      log.warn({ err: error }, 'retention purge failed; it runs again in an hour');
    }
  };
  const timer = setInterval(() => void purge(), HOUR);
  timer.unref();
  return () => clearInterval(timer);
}
