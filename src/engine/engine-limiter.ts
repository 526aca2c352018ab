/**
 * The one rate limiter every outbound call of the engine goes through: in process in the
 * embedded profile, on the stores' Redis in the cluster profile (so that 15/s holds across
 * processes), counted for `/metrics` and the dashboard's limiter page.
 */
import { createLimiterUsage, type LimiterUsage } from '../dashboard/limiter-usage.ts';
import { createLocalLimiter, type LocalRateLimiter, type RateLimiter } from '../executor/rate-limiter.ts';
import { createRedisRateLimiter } from '../executor/redis-rate-limiter.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { ClusterStores } from '../store/cluster/open-cluster-stores.ts';
import type { Stores } from '../store/ports.ts';
import { countingLimiter } from './counting-limiter.ts';

export interface EngineLimiter {
  limiter: RateLimiter;
  /** The in-process limiter, for its key count (`autopilot_memory_entries`); absent on Redis. */
  local?: LocalRateLimiter;
  usage: LimiterUsage;
}

export function createEngineLimiter(stores: Stores, metrics: Pick<Metrics, 'limiterWaits'>): EngineLimiter {
  const redis = (stores as Partial<ClusterStores>).redis;
  const usage = createLimiterUsage();
  const local = redis ? undefined : createLocalLimiter();
  const limiter = countingLimiter(
    local ?? createRedisRateLimiter(redis as NonNullable<typeof redis>),
    (key) => {
      metrics.limiterWaits.inc({ operation: key });
      usage.waited(key);
    },
    (key, at) => usage.granted(key, at),
  );
  return { limiter, ...(local ? { local } : {}), usage };
}
