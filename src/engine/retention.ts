import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Counter } from 'prom-client';
import { MAX_DIGEST_MS } from '../actions/digest.ts';
import { APPROVAL_PREFIX } from '../approvals/approval-record.ts';
import { DIGEST_PREFIX, VAR_OP_PREFIX, type PurgeKeep, type Stores } from '../store/ports.ts';

const HOUR = 3_600_000;

export interface PurgeCounts {
  events: number;
  runs: number;
  audit: number;
  /** Per-work-item state records past their use (causation, webhook changes). */
  state: number;
}

/**
 * State written per work item that is only useful for a while; without a purge there was one
 * record per work item ever touched, for ever. Causation lives 10 minutes (CAUSATION_TTL_MS):
 * kept an hour. A webhook change is compared with the next poll of its item: kept as long as
 * events are.
 */
const STATE_PREFIXES = (config: Readonly<Config>): Array<[string, number, PurgeKeep?]> => [
  ['causation:', HOUR],
  ['webhook-change:', config.retention.eventsMs],
  // An op record only stops a step retried after a crash from counting twice: it is needed until
  // the run's next checkpoint, and kept as long as finished runs are. The variables themselves
  // (`var:`) are never purged: a counter lives as long as its rules read it.
  [VAR_OP_PREFIX, config.retention.eventsMs],
  // A digest is sent at its window's end (at most MAX_DIGEST_MS after its first item), and its
  // closed list must outlive its flush run (kept as long as finished runs are): an item that comes
  // late finds the window closed and goes to the next one instead of a list nobody sends.
  [DIGEST_PREFIX, config.retention.eventsMs + MAX_DIGEST_MS],
  // A decided approval answers late clicks ("already approved by …") and a retried processing of
  // the deciding click: kept as long as finished runs are after its decision. An open one is the
  // parked run's, however long its timeout: never purged.
  [APPROVAL_PREFIX, config.retention.eventsMs, { field: 'status', equals: 'open' }],
];

export interface Retention {
  /** One purge now (the hourly timer calls the same). */
  purgeNow(): Promise<PurgeCounts>;
  stop(): void;
}

/**
 * Hourly purge within the configured retention: processed events and finished runs (succeeded
 * or skipped; dead letters stay until handled) after `retention.eventsMs`, audit records after
 * `retention.auditMs`, and per-work-item state records past their use. Finished runs used to be kept for ever: the queue grew by every run.
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
      state: 0,
    };
    for (const [prefix, keepMs, keep] of STATE_PREFIXES(config)) {
      counts.state += await stores.state.purgePrefix(prefix, now() - keepMs, keep);
    }
    for (const [store, n] of Object.entries(counts)) deps.purged?.inc({ store }, n);
    if (Object.values(counts).some((n) => n > 0)) log.info(counts, 'retention purge');
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
