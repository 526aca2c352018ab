/**
 * Embedded queue throughput: runs per second through enqueue + claim + complete on a SQLite file,
 * with synchronous=FULL (the default: a resolved write survives power loss) and NORMAL side by
 * side, next to this machine's physical limit: single-row insert commits per second on the same
 * settings. Each queue commit costs one WAL sync under FULL, so the ratio
 * runs/s ÷ commits/s reads as "how close to the disk the queue gets".
 *
 * Run alone with `npx node bench/queue-throughput.bench.ts` (or through `npm run bench`).
 * Writes bench/results/queue-throughput.json.
 */
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { Run } from '../src/plan/run.ts';
import type { RunQueue } from '../src/store/ports.ts';
import { openSqliteStores } from '../src/store/sqlite/index.ts';

type Synchronous = 'FULL' | 'NORMAL';

interface Row {
  synchronous: Synchronous;
  journalMode: string;
  /** The disk itself: 4 KiB write + fdatasync per second, the floor under any durable commit. */
  diskSyncsPerSec: number;
  baselineCommitsPerSec: number;
  /** Enqueue in batches of ENQUEUE_BATCH, claim up to CLAIM_BATCH, complete one by one. */
  batchedRunsPerSec: number;
  batchedRatio: number;
  /** One enqueue call per run, claim one, complete: three commits per run. */
  singleRunsPerSec: number;
  singleRatio: number;
}

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 500);
/** Baseline and queue phases alternate so a shared disk's drifting speed hits both alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ENQUEUE_BATCH = 50;
const CLAIM_BATCH = 10;
const LANES = 100;
const LEASE_MS = 60_000;

/** Calls `step` (which returns how many units it did) for one phase; returns units per second. */
async function perSecond(step: () => number | Promise<number>): Promise<number> {
  const startedAt = performance.now();
  let units = 0;
  while (performance.now() - startedAt < PHASE_MS) units += await step();
  return units / ((performance.now() - startedAt) / 1000);
}

function openBaseline(path: string, synchronous: Synchronous): { insertOne(): number; close(): void } {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous};`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  // Autocommit: one transaction, one commit, per row.
  return {
    insertOne: () => (insert.run('a row of about the size of a small run'), 1),
    close: () => db.close(),
  };
}

function openSyncProbe(path: string): { syncOne(): number; close(): void } {
  const fd = openSync(path, 'w');
  const page = Buffer.alloc(4096, 1);
  let written = 0;
  return {
    // Appends, as a WAL commit does until the WAL is reset.
    syncOne: () => (
      writeSync(fd, page, 0, page.length, (written++ % 1024) * page.length),
      fdatasyncSync(fd),
      1
    ),
    close: () => closeSync(fd),
  };
}

function buildRun(n: number): Run {
  return {
    id: `bench-run-${n}`,
    eventId: `bench-event-${n}`,
    ruleId: 'bench-rule',
    ruleVersion: 'v1',
    mode: 'live',
    lane: `proj:${n % LANES}`,
    priority: 'webhook',
    actions: [
      {
        index: 0,
        type: 'comment',
        params: { text: `run ${n}` },
        recheck: false,
        idempotencyKey: `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`,
      },
    ],
    createdAt: Date.now(),
  };
}

/** One cycle: enqueue a batch, then claim and complete until the queue is empty; returns runs done. */
function queueCycle(runs: RunQueue, enqueueBatch: number, claimBatch: number): () => Promise<number> {
  let next = 0;
  return async () => {
    await runs.enqueue(
      Array.from({ length: enqueueBatch }, () => buildRun(next++)),
      Date.now(),
    );
    let done = 0;
    for (;;) {
      const claimed = await runs.claim('bench', claimBatch, LEASE_MS, Date.now());
      if (claimed.length === 0) return done;
      for (const record of claimed) await runs.complete(record.run.id, 'bench', 'succeeded', Date.now());
      done += claimed.length;
    }
  };
}

async function measure(dir: string, synchronous: Synchronous): Promise<Row> {
  const baseline = openBaseline(join(dir, `baseline-${synchronous}.db`), synchronous);
  const disk = openSyncProbe(join(dir, `sync-probe-${synchronous}.bin`));
  const batchedStores = await openSqliteStores({ path: join(dir, `batched-${synchronous}.db`), synchronous });
  const singleStores = await openSqliteStores({ path: join(dir, `single-${synchronous}.db`), synchronous });
  const batchedCycle = queueCycle(batchedStores.runs, ENQUEUE_BATCH, CLAIM_BATCH);
  const singleCycle = queueCycle(singleStores.runs, 1, 1);
  const rounds: Array<{ disk: number; baseline: number; batched: number; single: number }> = [];
  try {
    const phases = {
      disk: disk.syncOne,
      baseline: baseline.insertOne,
      batched: batchedCycle,
      single: singleCycle,
    };
    const names = Object.keys(phases) as Array<keyof typeof phases>;
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate which phase goes first so a drift within a round does not favour one of them.
      const measured = { disk: 0, baseline: 0, batched: 0, single: 0 };
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]!;
        measured[name] = await perSecond(phases[name]);
      }
      rounds.push(measured);
    }
  } finally {
    baseline.close();
    disk.close();
    await batchedStores.close();
    await singleStores.close();
  }
  return {
    synchronous: batchedStores.info.synchronous as Synchronous,
    journalMode: batchedStores.info.journalMode,
    diskSyncsPerSec: Math.round(median(rounds.map((r) => r.disk))),
    baselineCommitsPerSec: Math.round(median(rounds.map((r) => r.baseline))),
    batchedRunsPerSec: Math.round(median(rounds.map((r) => r.batched))),
    batchedRatio: round(median(rounds.map((r) => r.batched / r.baseline))),
    singleRunsPerSec: Math.round(median(rounds.map((r) => r.single))),
    singleRatio: round(median(rounds.map((r) => r.single / r.baseline))),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export async function runQueueThroughputBench(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-autopilot-bench-'));
  try {
    const rows: Row[] = [];
    for (const synchronous of ['FULL', 'NORMAL'] as const) rows.push(await measure(dir, synchronous));
    print(rows);
    save(rows, dir);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows: Row[]): void {
  console.log(
    `\nEmbedded queue throughput (SQLite ${sqliteVersion()}, ${cpus().length} CPUs, medians of ${ROUNDS} rounds of ${PHASE_MS} ms phases, ` +
      `${LANES} lanes; batched = enqueue ${ENQUEUE_BATCH} per commit, claim up to ${CLAIM_BATCH}, complete each)`,
  );
  console.table(
    rows.map((row) => ({
      durability: `WAL, synchronous=${row.synchronous}`,
      'disk fdatasync/s': row.diskSyncsPerSec,
      'baseline commits/s': row.baselineCommitsPerSec,
      'runs/s batched': row.batchedRunsPerSec,
      'batched / baseline': row.batchedRatio,
      'runs/s one-by-one': row.singleRunsPerSec,
      'one-by-one / baseline': row.singleRatio,
    })),
  );
  console.log(
    `Each run costs ${round(1 / BATCHED_COMMIT_BOUND)} commits batched and 3 one-by-one: at equal cost per commit the ` +
      `ratios would be ${BATCHED_COMMIT_BOUND} and ${SINGLE_COMMIT_BOUND}. Only FULL makes a resolved write survive ` +
      'power loss (NORMAL: a process crash). The disk is shared; its sync rate drifts between runs.',
  );
}

/** Commits per run at best: a ratio near this means the queue costs no more than its commits. */
const BATCHED_COMMIT_BOUND = round(1 / (1 / ENQUEUE_BATCH + 1 / CLAIM_BATCH + 1));
const SINGLE_COMMIT_BOUND = round(1 / 3);

function save(rows: Row[], tempDir: string): void {
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const report = {
    benchmark: 'queue-throughput',
    measuredAt: new Date().toISOString(),
    node: process.version,
    sqlite: sqliteVersion(),
    cpus: cpus().length,
    tempDir,
    phaseMs: PHASE_MS,
    rounds: ROUNDS,
    lanes: LANES,
    enqueueBatch: ENQUEUE_BATCH,
    claimBatch: CLAIM_BATCH,
    note: 'runs/s = runs taken through enqueue + claim + complete per second; baseline = single-row insert commits/s with the same journal and synchronous settings; ratios are medians of per-round ratios (phases alternate)',
    ratioBounds: { batched: BATCHED_COMMIT_BOUND, oneByOne: SINGLE_COMMIT_BOUND },
    rows,
  };
  writeFileSync(join(resultsDir, 'queue-throughput.json'), `${JSON.stringify(report, null, 2)}\n`);
}

function sqliteVersion(): string {
  const db = new DatabaseSync(':memory:');
  const { v } = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
  db.close();
  return v;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runQueueThroughputBench();

export default runQueueThroughputBench;
