/**
 * The shared Redis limiter under a concurrent CPU load: the scenario of
 * test/cluster/multi-process.test.ts (three executor processes, 2,000 runs against the simulator
 * enforcing 15/s per endpoint, one process killed mid-run) run RUNS times in a row while BURNERS
 * processes spin on the CPU, counting the 10429 answers of each run. The goal is 0 in every run:
 * slots count from the API's answer, so a request delayed between admission and the simulator
 * (a starved event loop) cannot crowd the next second.
 *
 *   npm run bench -- limiter-under-load
 *   BENCH_LIMITER_RUNS=20 BENCH_LIMITER_BURNERS=2 (default: one per core) BENCH_LIMITER_RUN_SIZE=2000
 * Redis and PostgreSQL as for bench/cluster.bench.ts. Writes bench/results/limiter-under-load.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  runMultiProcessScenario,
  type ScenarioResult,
} from '../test/cluster/support/multi-process-scenario.ts';
import { benchServices, SKIPPED } from './support/cluster-services.ts';

const RESULTS = fileURLToPath(new URL('./results/limiter-under-load.json', import.meta.url));
const RUNS = Number(process.env.BENCH_LIMITER_RUNS ?? 20);
const BURNERS = Number(process.env.BENCH_LIMITER_BURNERS ?? availableParallelism());
const RUN_SIZE = Number(process.env.BENCH_LIMITER_RUN_SIZE ?? 2000);

/** A process that keeps one core busy until it is killed. */
function burner(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

interface Row {
  run: number;
  seconds: number;
  count10429: number;
  busiestSecond: number;
  lost: number;
  appliedTwice: number;
  loadAverage: number;
}

const svc = await benchServices();
if (!svc) {
  console.log(`limiter-under-load bench skipped: ${SKIPPED}`);
} else {
  const burners = Array.from({ length: BURNERS }, burner);
  const rows: Row[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      let result: ScenarioResult;
      try {
        result = await runMultiProcessScenario(svc, { runs: RUN_SIZE });
      } catch (error) {
        console.log(`run ${run}: ${String(error)}`);
        rows.push({
          run,
          seconds: NaN,
          count10429: NaN,
          busiestSecond: NaN,
          lost: NaN,
          appliedTwice: NaN,
          loadAverage: loadavg()[0]!,
        });
        continue;
      }
      const row: Row = {
        run,
        seconds: result.seconds,
        count10429: result.count10429,
        busiestSecond: Math.max(...result.routes.map((r) => r.busiestSecond)),
        lost: result.unfinished.length + (result.runs - result.records),
        appliedTwice: result.notOnce.filter(([, n]) => n > 1).length,
        loadAverage: loadavg()[0]!,
      };
      rows.push(row);
      console.log(
        `run ${run}/${RUNS}: ${row.count10429} × 10429, busiest second ${row.busiestSecond}, ${row.lost} lost, ${row.appliedTwice} applied twice, ${row.seconds.toFixed(0)} s, load ${row.loadAverage.toFixed(1)}`,
      );
    }
  } finally {
    for (const b of burners) b.kill('SIGKILL');
    await svc.stop();
  }
  const total10429 = rows.reduce((sum, r) => sum + (Number.isNaN(r.count10429) ? 0 : r.count10429), 0);
  const clean = rows.filter((r) => r.count10429 === 0 && r.lost === 0 && r.appliedTwice === 0).length;
  console.log(
    `\nShared limiter under load: ${RUNS} runs of the multi-process scenario, ${BURNERS} CPU burners, ${cpus().length} cores`,
  );
  console.table(
    rows.map((r) => ({
      run: r.run,
      '10429': r.count10429,
      'busiest second': r.busiestSecond,
      lost: r.lost,
      'applied twice': r.appliedTwice,
      seconds: r.seconds.toFixed(0),
      'load avg': r.loadAverage.toFixed(1),
    })),
  );
  console.log(
    `10429 answers in all: ${total10429}; runs with none and nothing lost or doubled: ${clean} of ${RUNS}`,
  );
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, burners: BURNERS, runs: RUNS, runSize: RUN_SIZE, total10429, clean, rows }, null, 2)}\n`,
  );
  console.log(`wrote ${RESULTS}`);
}
