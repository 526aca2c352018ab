/**
 * Cluster profile benchmark, in one run:
 *
 * 1. Scaling: runs per second through 1, 2 and 3 executor processes sharing one Redis queue and
 *    one PostgreSQL, against the simulator with its limits off and the shared limiter raised out
 *    of the way; the ratio to one process is the scaling figure. Twice: with an instant API (the
 *    machine's CPU is the limit) and with 200 ms per call (calls in flight are the limit).
 * 2. The shared limiter at its default margin (slots count from the API's answer, the margin only
 *    covers clock granularity): 3 processes against the simulator enforcing 15/s per endpoint on
 *    three endpoints, a backlog larger than the time allows: achieved / allowed per endpoint
 *    (the goal is ≥ 0.95), and the number of 10429 answers (the goal is zero).
 *
 * Redis and PostgreSQL: REDIS_URL and DATABASE_URL when set, otherwise started from the
 * machine's binaries by scripts/cluster-services.sh (skipped, saying so, when there are none).
 *
 *   npx node bench/cluster.bench.ts          (or through `npm run bench`)
 *   BENCH_CLUSTER_RUNS=3000 BENCH_CLUSTER_LIMIT_MS=20000 to change the sizes,
 *   BENCH_CLUSTER_MARGINS=5,40 to compare the limiter at other margins,
 *   BENCH_CLUSTER_ONLY=scaling or =limiter for one part
 * Writes bench/results/cluster.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { OpenApiClient } from '../src/openapi/client.ts';
import { startSimulator } from '../src/simulator/index.ts';
import { openClusterStores, type ClusterStores } from '../src/store/cluster/index.ts';
import {
  busiestWindow,
  clusterRuns,
  ENDPOINT_ROUTES,
  prepareTargets,
} from '../test/cluster/support/cluster-runs.ts';
import { startExecutorProcess, type ExecutorProcess } from '../test/cluster/support/executor-processes.ts';
import { uniqueNamespace } from '../test/cluster/support/services.ts';
import { benchServices, SKIPPED, type BenchServices as Services } from './support/cluster-services.ts';

const RESULTS = fileURLToPath(new URL('./results/cluster.json', import.meta.url));
const SCALING_RUNS = Number(process.env.BENCH_CLUSTER_RUNS ?? 3000);
const LIMIT_MS = Number(process.env.BENCH_CLUSTER_LIMIT_MS ?? 20_000);
/** A slow API: throughput is then bounded by calls in flight, which processes add. */
const LATENCY_MS = Number(process.env.BENCH_CLUSTER_LATENCY_MS ?? 200);
const CONCURRENCY = 16;
const ALLOWED_QPS = 15;
/** `scaling` or `limiter` runs that part alone. */
const ONLY = process.env.BENCH_CLUSTER_ONLY;
/** The limiter's margins to measure; the first is its default. */
const MARGINS = (process.env.BENCH_CLUSTER_MARGINS ?? '5').split(',').map(Number);

/** A simulator, a fresh namespace with `runs` enqueued, and `processes` executors on it. */
async function setUp(
  svc: Services,
  options: {
    rateLimits: boolean;
    runs: number;
    processes: number;
    raisedQps?: number;
    latencyMs?: number;
    marginMs?: number;
  },
) {
  const sim = await startSimulator({
    rateLimits: options.rateLimits,
    ...(options.latencyMs ? { chaos: { latencyMs: options.latencyMs } } : {}),
  });
  const client = new OpenApiClient({ baseUrl: sim.baseUrl, ...sim.credentials });
  const targets = await prepareTargets(sim, client);
  const namespace = uniqueNamespace();
  const stores = await openClusterStores({ ...svc, ...namespace });
  const runs = clusterRuns(targets, options.runs, { prefix: namespace.prefix, lanes: 200 });
  await stores.runs.enqueue(runs, Date.now());
  const firstRequest = sim.requests().length;
  const started = performance.now();
  const processes: ExecutorProcess[] = await Promise.all(
    Array.from({ length: options.processes }, (_, i) =>
      startExecutorProcess({
        ...svc,
        ...namespace,
        simUrl: sim.baseUrl,
        credentials: sim.credentials,
        owner: `bench-${i}`,
        concurrency: CONCURRENCY,
        leaseMs: 30_000,
        ...(options.raisedQps ? { raisedQps: options.raisedQps } : {}),
        ...(options.marginMs !== undefined ? { marginMs: options.marginMs } : {}),
      }),
    ),
  );
  const tearDown = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await cleanNamespace(stores, svc.databaseUrl, namespace);
    await client.close();
    await sim.close();
  };
  return { sim, stores, processes, started, firstRequest, tearDown };
}

async function cleanNamespace(
  stores: ClusterStores,
  databaseUrl: string,
  ns: { prefix: string; schema: string },
) {
  const keys = await stores.redis.keys(`${ns.prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await stores.redis.del(...keys.slice(i, i + 1000));
  await stores.close();
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query(`DROP SCHEMA ${ns.schema} CASCADE`);
  await admin.end();
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

interface ScalingRow {
  /** Latency the simulator adds to every call (0: the engine's own CPU is the limit). */
  apiLatencyMs: number;
  processes: number;
  runs: number;
  seconds: number;
  runsPerSec: number;
  ratioToOne: number;
}

async function scaling(svc: Services, latencyMs: number, runs: number): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const count of [1, 2, 3]) {
    const setup = await setUp(svc, {
      rateLimits: false,
      runs,
      processes: count,
      raisedQps: 1_000_000,
      latencyMs,
    });
    await until(async () => (await setup.stores.runs.stats(Date.now())).depth === 0);
    const seconds = (performance.now() - setup.started) / 1000;
    await setup.tearDown();
    const runsPerSec = runs / seconds;
    const one = rows[0]?.runsPerSec ?? runsPerSec;
    rows.push({
      apiLatencyMs: latencyMs,
      processes: count,
      runs,
      seconds,
      runsPerSec,
      ratioToOne: runsPerSec / one,
    });
  }
  return rows;
}

interface LimiterRow {
  /** The limiter's jitter margin: slots held this long past the window. */
  marginMs: number;
  endpoint: string;
  answered: number;
  achievedPerSec: number;
  allowedPerSec: number;
  ratio: number;
  busiestSecond: number;
  answered10429: number;
  /** Seconds from the first request of the phase to each 10429. */
  at10429: number[];
}

async function sharedLimiter(svc: Services, marginMs: number): Promise<LimiterRow[]> {
  // More runs than LIMIT_MS can take at 15/s on each endpoint: the limiter is the bottleneck.
  const backlog = Math.ceil((LIMIT_MS / 1000) * ALLOWED_QPS * ENDPOINT_ROUTES.length * 1.5);
  const setup = await setUp(svc, { rateLimits: true, runs: backlog, processes: 3, marginMs });
  await new Promise((resolve) => setTimeout(resolve, LIMIT_MS));
  const requests = setup.sim.requests().slice(setup.firstRequest);
  await setup.tearDown();
  return ENDPOINT_ROUTES.map((endpoint) => {
    const own = requests.filter((r) => r.route === endpoint);
    const answered = own.filter((r) => r.outcome === 'answered' && r.err_code !== 10429).map((r) => r.time);
    // Measured from this endpoint's first request to its last, so start-up is not counted.
    const spanSec = answered.length > 1 ? (Math.max(...answered) - Math.min(...answered)) / 1000 : 1;
    const achievedPerSec = (answered.length - 1) / spanSec;
    return {
      marginMs,
      endpoint,
      answered: answered.length,
      achievedPerSec,
      allowedPerSec: ALLOWED_QPS,
      ratio: achievedPerSec / ALLOWED_QPS,
      busiestSecond: busiestWindow(answered, 1000),
      answered10429: own.filter((r) => r.err_code === 10429).length,
      at10429: own.filter((r) => r.err_code === 10429).map((r) => (r.time - (requests[0]?.time ?? 0)) / 1000),
    };
  });
}

const svc = await benchServices();
if (!svc) {
  console.log(`cluster bench skipped: ${SKIPPED}`);
} else {
  try {
    const scalingRows =
      ONLY === 'limiter'
        ? []
        : [
            ...(await scaling(svc, 0, SCALING_RUNS)),
            ...(await scaling(svc, LATENCY_MS, Math.ceil(SCALING_RUNS / 2))),
          ];
    console.log(
      `\nCluster scaling: one-call runs, simulator limits off, ${CONCURRENCY} in flight per process, ${cpus().length} cores`,
    );
    console.table(
      scalingRows.map((r) => ({
        'API latency ms': r.apiLatencyMs,
        runs: r.runs,
        processes: r.processes,
        'runs/s': r.runsPerSec.toFixed(0),
        'ratio to 1': r.ratioToOne.toFixed(2),
        seconds: r.seconds.toFixed(1),
      })),
    );
    const limiterRows: LimiterRow[] = [];
    if (ONLY !== 'scaling')
      for (const margin of MARGINS) limiterRows.push(...(await sharedLimiter(svc, margin)));
    console.log(
      `\nShared Redis limiter: 3 processes, simulator enforcing 15/s per endpoint, ${LIMIT_MS / 1000} s`,
    );
    console.table(
      limiterRows.map((r) => ({
        'margin ms': r.marginMs,
        endpoint: r.endpoint,
        'achieved/s': r.achievedPerSec.toFixed(2),
        'allowed/s': r.allowedPerSec,
        'achieved/allowed': r.ratio.toFixed(3),
        'busiest second': r.busiestSecond,
        '10429': r.answered10429,
      })),
    );
    mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, scaling: scalingRows, sharedLimiter: limiterRows }, null, 2)}\n`,
    );
    console.log(`\nwrote ${RESULTS}`);
  } finally {
    await svc.stop();
  }
}
