/**
 * Three executor processes share one Redis and one PostgreSQL and work one queue of 2,000 runs
 * against the simulator enforcing 15/s per endpoint; one of them is killed (SIGKILL) mid-run.
 * Nothing may be lost, no effect applied twice, and the simulator never sees more than 15
 * requests of one endpoint in any second (nor answers 10429). The scenario lives in
 * ./support/multi-process-scenario.ts, which bench/limiter-under-load.bench.ts runs again and
 * again under a CPU load.
 *
 * The `serve` command (ingest → match → plan → execute) is not part of this test:
 * ./engine-processes.test.ts runs that.
 */
import { expect, it } from 'vitest';
import { runMultiProcessScenario } from './support/multi-process-scenario.ts';
import { describeCluster } from './support/services.ts';

const RUNS = 2000;

describeCluster('cluster: several engine processes', (services) => {
  it('works 2,000 runs with 3 processes, one killed: none lost, none applied twice, ≤ 15/s per endpoint', async () => {
    const result = await runMultiProcessScenario(services(), { runs: RUNS });
    // none lost: every run finished; none applied twice: one effect per idempotency key
    expect(result.unfinished).toEqual([]);
    expect(result.records).toBe(RUNS);
    expect(result.notOnce).toEqual([]);
    expect(result.killedAt).toBeLessThan(RUNS);
    // the shared limiter kept every endpoint within 15 per sliding second, all processes together
    expect(result.count10429).toBe(0);
    for (const route of result.routes) {
      expect(route.answered).toBeGreaterThanOrEqual(Math.floor(RUNS / 3));
      expect(route.busiestSecond).toBeLessThanOrEqual(15);
    }
    // the killed process's runs were finished by the others
    expect(result.survivorErrors).toEqual([]);
    expect(result.internalErrors).toEqual([]);
  }, 300_000);
});
