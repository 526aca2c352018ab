/**
 * A stand-alone engine process for crash tests: runs the executor on a data dir's SQLite file
 * against a simulator URL until the queue is empty, then exits 0.
 *
 *   node engine-child.ts --data <dir> --sim <url> [--qps n] [--lease-ms n] [--concurrency n]
 *
 * Credentials come from SIM_PLUGIN_ID, SIM_PLUGIN_SECRET and SIM_USER_KEY. `--qps` replaces the
 * catalogue's limits (tests that are about crashes, not rates, run faster with it).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createExecutor } from '../../../src/executor/executor.ts';
import { openSqliteStores } from '../../../src/store/sqlite/open-sqlite-stores.ts';
import { clientFor } from './sim-fixture.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    sim: { type: 'string' },
    qps: { type: 'string' },
    'lease-ms': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
  },
});
if (!values.data || !values.sim) {
  process.stderr.write('usage: engine-child.ts --data <dir> --sim <url> [--qps n] [--lease-ms n]\n');
  process.exit(2);
}
const env = process.env;
const client = clientFor(values.sim, {
  pluginId: env.SIM_PLUGIN_ID ?? '',
  pluginSecret: env.SIM_PLUGIN_SECRET ?? '',
  userKey: env.SIM_USER_KEY ?? '',
});
const stores = await openSqliteStores({ path: join(values.data, 'autopilot.db') });
const qps = values.qps === undefined ? undefined : Number(values.qps);
const executor = createExecutor({
  runs: stores.runs,
  audit: stores.audit,
  api: client,
  rules: () => undefined,
  concurrency: Number(values.concurrency),
  leaseMs: Number(values['lease-ms']),
  pollMs: 10,
  retry: { maxAttempts: 10, maxElapsedMs: 60_000, baseDelayMs: 2, maxDelayMs: 20 },
  onError: (error) => process.stderr.write(`executor error: ${String((error as Error)?.stack ?? error)}\n`),
  ...(qps === undefined ? {} : { rateLimitOf: (op: string) => ({ key: op, cls: { qps } }) }),
});
process.stdout.write(`started ${process.pid}\n`);
executor.start();
await executor.idle();
await executor.stop();
await stores.close();
await client.close();
process.stdout.write('idle\n');
