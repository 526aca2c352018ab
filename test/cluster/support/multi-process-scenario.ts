/**
 * The multi-process scenario, shared by test/cluster/multi-process.test.ts (which asserts on it)
 * and bench/limiter-under-load.bench.ts (which runs it again and again under a CPU load and counts
 * the 10429 answers): three executor processes share one Redis and one PostgreSQL and work one
 * queue of runs against the simulator enforcing 15/s per endpoint; one of them is killed
 * (SIGKILL) once a third of the runs are applied.
 */
import { OpenApiClient } from '../../../src/openapi/client.ts';
import type { RunState } from '../../../src/store/ports.ts';
import { startSimulator, type RunningSimulator } from '../../../src/simulator/index.ts';
import { openClusterStores, type ClusterStores } from '../../../src/store/cluster/index.ts';
import { busiestWindow, clusterRuns, ENDPOINT_ROUTES, prepareTargets } from './cluster-runs.ts';
import { startExecutorProcess, type ExecutorProcess } from './executor-processes.ts';
import { uniqueNamespace, type ClusterServices } from './services.ts';

export interface ScenarioOptions {
  /** @defaultValue 2000 */
  runs?: number;
  /** @defaultValue 2000 */
  leaseMs?: number;
  /** How long the queue may take to drain before the scenario gives up. @defaultValue 240000 */
  timeoutMs?: number;
}

export interface ScenarioResult {
  runs: number;
  /** Runs not `succeeded`: [id, state, last error]. */
  unfinished: Array<[string, RunState, unknown]>;
  /** Run records found (one per run enqueued when none is lost). */
  records: number;
  /** Runs whose write the simulator applied other than exactly once: [id, times]. */
  notOnce: Array<[string, number]>;
  /** Effects applied when the process was killed. */
  killedAt: number;
  count10429: number;
  /** Per endpoint: answered requests and the most in any second. */
  routes: Array<{ route: string; answered: number; busiestSecond: number }>;
  survivorErrors: string[];
  internalErrors: unknown[];
  seconds: number;
}

export async function runMultiProcessScenario(
  services: ClusterServices,
  options: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const runCount = options.runs ?? 2000;
  const started = performance.now();
  let sim: RunningSimulator | undefined;
  let client: OpenApiClient | undefined;
  let stores: ClusterStores | undefined;
  const processes: ExecutorProcess[] = [];
  try {
    sim = await startSimulator({ rateLimits: true });
    client = new OpenApiClient({ baseUrl: sim.baseUrl, ...sim.credentials });
    const targets = await prepareTargets(sim, client);
    const namespace = uniqueNamespace();
    stores = await openClusterStores({ ...services, ...namespace });
    const runs = clusterRuns(targets, runCount, { prefix: 'mp', lanes: 60 });
    if ((await stores.runs.enqueue(runs, Date.now())).length !== runCount)
      throw new Error('enqueue lost runs');
    const firstRequest = sim.requests().length;

    for (const i of [0, 1, 2]) {
      processes.push(
        await startExecutorProcess({
          ...services,
          ...namespace,
          simUrl: sim.baseUrl,
          credentials: sim.credentials,
          owner: `engine-${i}`,
          concurrency: 8,
          leaseMs: options.leaseMs ?? 2000,
        }),
      );
    }
    const deadline = Date.now() + (options.timeoutMs ?? 240_000);
    const applied = () => Object.keys(sim!.effects().by_key).length - targets.length;
    await until(async () => applied() > runCount / 3, deadline, 'a third of the runs applied');
    await processes[1]!.kill(); // mid-run, holding leases on the runs it was working
    const killedAt = applied();
    const queue = stores.runs;
    await until(async () => (await queue.stats(Date.now())).depth === 0, deadline, 'the queue drained');
    const survivors = [processes[0]!, processes[2]!];
    processes.length = 0;
    const summaries = await Promise.all(survivors.map((p) => p.stop()));

    const records = await stores.runs.list({ limit: runCount + 1 });
    const effects = sim.effects().by_key;
    const requests = sim.requests().slice(firstRequest);
    return {
      runs: runCount,
      unfinished: records
        .filter((r) => r.state !== 'succeeded')
        .map((r) => [r.run.id, r.state, r.lastError] as [string, RunState, unknown]),
      records: records.length,
      notOnce: runs
        .map((run) => [run.id, effects[run.actions[0]!.idempotencyKey] ?? 0] as [string, number])
        .filter(([, n]) => n !== 1),
      killedAt,
      count10429: requests.filter((r) => r.err_code === 10429).length,
      routes: ENDPOINT_ROUTES.map((route) => {
        const times = requests
          .filter((r) => r.route === route && r.outcome === 'answered')
          .map((r) => r.time);
        return { route, answered: times.length, busiestSecond: busiestWindow(times, 1000) };
      }),
      survivorErrors: summaries.flatMap((s) => s.errors),
      internalErrors: sim.internalErrors(),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Promise.allSettled(processes.map((p) => p.kill()));
    await stores?.close();
    await client?.close();
    await sim?.close();
  }
}

async function until(check: () => Promise<boolean>, deadline: number, what: string): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`multi-process scenario: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
