/**
 * One engine process of the cluster profile as far as execution goes: the cluster stores, the
 * shared Redis rate limiter and the executor, calling the simulator. Started by the
 * multi-process test and the cluster benchmark with its settings as JSON in argv[2]; prints
 * `ready` once it claims, and on SIGTERM stops gracefully (in-flight actions finish, leases are
 * released) and prints a JSON summary line.
 *
 *   node test/cluster/support/executor-process.ts '{"redisUrl":...}'
 */
import { createExecutor } from '../../../src/executor/executor.ts';
import { createRedisRateLimiter } from '../../../src/executor/redis-rate-limiter.ts';
import { OpenApiClient } from '../../../src/openapi/client.ts';
import { openClusterStores } from '../../../src/store/cluster/index.ts';

export interface ExecutorProcessSettings {
  redisUrl: string;
  databaseUrl: string;
  prefix: string;
  schema: string;
  simUrl: string;
  credentials: { pluginId: string; pluginSecret: string; userKey: string };
  owner: string;
  concurrency: number;
  leaseMs: number;
  /** Per-second limit the limiter applies to every operation; absent = the catalogue's classes. */
  raisedQps?: number;
  /** The limiter's margin for jitter between decision and arrival. @defaultValue the limiter's */
  marginMs?: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ExecutorProcessSettings;
const errors: string[] = [];
const stores = await openClusterStores({
  redisUrl: settings.redisUrl,
  databaseUrl: settings.databaseUrl,
  prefix: settings.prefix,
  schema: settings.schema,
  poolSize: 4,
});
const api = new OpenApiClient({
  baseUrl: settings.simUrl,
  ...settings.credentials,
  headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000,
});
const executor = createExecutor({
  runs: stores.runs,
  audit: stores.audit,
  api,
  rules: () => undefined,
  limiter: createRedisRateLimiter(stores.redis, {
    prefix: settings.prefix,
    ...(settings.marginMs !== undefined ? { marginMs: settings.marginMs } : {}),
  }),
  ...(settings.raisedQps
    ? { rateLimitOf: (operation: string) => ({ key: operation, cls: { qps: settings.raisedQps! } }) }
    : {}),
  concurrency: settings.concurrency,
  leaseMs: settings.leaseMs,
  pollMs: 20,
  owner: settings.owner,
  retry: { maxAttempts: 10, maxElapsedMs: 60_000, baseDelayMs: 5, maxDelayMs: 50 },
  onError: (error) => errors.push(String(error)),
});
executor.start();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    const report = await executor.stop(5000);
    await Promise.all([stores.close(), api.close()]);
    process.stdout.write(`${JSON.stringify({ owner: settings.owner, ...report, errors })}\n`);
  })();
});
