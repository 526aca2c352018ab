/**
 * Three executor processes share one Redis and one PostgreSQL and work one queue of 2,000 runs
 * against the simulator enforcing 15/s per endpoint; one of them is killed (SIGKILL) mid-run.
 * Nothing may be lost, no effect applied twice, and the simulator never sees more than 15
 * requests of one endpoint in any second (nor answers 10429).
 *
 * The `serve` command (ingest → match → plan → execute) is not part of this test yet: runs are
 * enqueued directly, so what is proven is the shared queue, leases and limiter across processes.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { OpenApiClient } from '../../src/openapi/client.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import { openClusterStores, type ClusterStores } from '../../src/store/cluster/index.ts';
import { busiestWindow, clusterRuns, ENDPOINT_ROUTES, prepareTargets } from './support/cluster-runs.ts';
import { startExecutorProcess, type ExecutorProcess } from './support/executor-processes.ts';
import { describeCluster, uniqueNamespace } from './support/services.ts';

const RUNS = 2000;
const LEASE_MS = 2000;

describeCluster('cluster: several engine processes', (services) => {
  let sim: RunningSimulator | undefined;
  let client: OpenApiClient | undefined;
  let stores: ClusterStores | undefined;
  const processes: ExecutorProcess[] = [];

  afterEach(async () => {
    await Promise.allSettled(processes.splice(0).map((p) => p.kill()));
    await stores?.close();
    await client?.close();
    await sim?.close();
  });

  it('works 2,000 runs with 3 processes, one killed: none lost, none applied twice, ≤ 15/s per endpoint', async () => {
    sim = await startSimulator({ rateLimits: true });
    client = new OpenApiClient({ baseUrl: sim.baseUrl, ...sim.credentials });
    const targets = await prepareTargets(sim, client);
    const namespace = uniqueNamespace();
    stores = await openClusterStores({ ...services(), ...namespace });
    const runs = clusterRuns(targets, RUNS, { prefix: 'mp', lanes: 60 });
    expect(await stores.runs.enqueue(runs, Date.now())).toHaveLength(RUNS);
    const firstRequest = sim.requests().length;

    for (const i of [0, 1, 2]) {
      processes.push(
        await startExecutorProcess({
          ...services(),
          ...namespace,
          simUrl: sim.baseUrl,
          credentials: sim.credentials,
          owner: `engine-${i}`,
          concurrency: 8,
          leaseMs: LEASE_MS,
          // Jitter between the limiter's decision and the simulator's clock on a loaded 2-core
          // machine (4 Node processes, Redis, PostgreSQL): slots held 250 ms past the second.
          marginMs: 250,
        }),
      );
    }
    const applied = () => Object.keys(sim!.effects().by_key).length - targets.length;
    await vi.waitFor(() => expect(applied()).toBeGreaterThan(RUNS / 3), { timeout: 120_000, interval: 50 });
    await processes[1]!.kill(); // mid-run, holding leases on the runs it was working
    const killedAt = applied();

    await vi.waitFor(async () => expect(await stores!.runs.stats(Date.now())).toMatchObject({ depth: 0 }), {
      timeout: 240_000,
      interval: 200,
    });
    const survivors = [processes[0]!, processes[2]!];
    processes.length = 0;
    const summaries = await Promise.all(survivors.map((p) => p.stop()));

    // none lost: every run finished; none applied twice: one effect per idempotency key
    const records = await stores.runs.list({ limit: RUNS + 1 });
    expect(
      records.filter((r) => r.state !== 'succeeded').map((r) => [r.run.id, r.state, r.lastError]),
    ).toEqual([]);
    expect(records).toHaveLength(RUNS);
    const effects = sim.effects().by_key;
    const counts = runs.map((run) => effects[run.actions[0]!.idempotencyKey] ?? 0);
    expect(counts.filter((n) => n !== 1)).toEqual([]);
    expect(killedAt).toBeLessThan(RUNS);

    // the shared limiter kept every endpoint within 15 per sliding second, all processes together
    const requests = sim.requests().slice(firstRequest);
    expect(requests.filter((r) => r.err_code === 10429)).toEqual([]);
    for (const route of ENDPOINT_ROUTES) {
      const times = requests.filter((r) => r.route === route && r.outcome === 'answered').map((r) => r.time);
      expect(times.length).toBeGreaterThanOrEqual(Math.floor(RUNS / 3));
      expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(15);
    }
    // the killed process's runs were finished by the others
    expect(summaries.flatMap((s) => s.errors)).toEqual([]);
    expect(sim.internalErrors()).toEqual([]);
  }, 300_000);
});
