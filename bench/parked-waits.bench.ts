/**
 * Parked waits: do 10,000 runs parked on a wait cost the engine anything while they wait? At
 * each level (0, 100, 1,000 and 10,000 runs parked an hour ahead, never due while measured) the
 * same workload runs through the real executor: 100 runs a second park on a 2 s `wait_until`, so
 * 100 a second come due. Measured per level:
 *
 * - claim, nothing due: 300 `RunQueue.claim` calls straight after the fill, before the workload
 *   (the wake statement and the heads statement on an idle queue: what the index saves);
 * - claim under the workload: every `claim` call of the executor (wakes the due parked runs,
 *   then leases lane heads), and its ratio to level 0: flat is ≈ 1;
 * - resume lateness: due time → the run handed back to the executor, for runs woken as due;
 * - memory with the level in place (heap after a full GC, RSS).
 *
 * Both profiles side by side: SQLite (synchronous=FULL, as the engine runs it) and the cluster
 * profile (Redis run queue + PostgreSQL), the latter when REDIS_URL and DATABASE_URL are set or
 * redis-server and postgres are on the machine (scripts/cluster-services.sh), skipped saying so
 * otherwise. Each level runs in its own child process, so one level's RSS high-water mark is not
 * the next one's. Prints the SQLite query plans of the two claim statements at 10,000 and the
 * Redis encoding of the parked set.
 *
 * `npm run bench -- parked-waits`; BENCH_PARKED_PHASE_MS sets how long each level is measured
 * (default 10000), BENCH_PARKED_PROFILES=sqlite (or cluster) runs one profile. Writes
 * bench/results/parked-waits.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Event } from '../src/events/event.ts';
import { createExecutor } from '../src/executor/executor.ts';
import { planRun } from '../src/plan/plan-run.ts';
import { parseRuleText } from '../src/rules/load-rules.ts';
import type { Rule } from '../src/rules/rule.ts';
import { openClusterStores } from '../src/store/cluster/index.ts';
import type { RunQueue, Stores } from '../src/store/ports.ts';
import { openSqliteStores } from '../src/store/sqlite/open-sqlite-stores.ts';
import { CLAIM_HEADS_SQL, WAKE_DUE_PARKED_SQL } from '../src/store/sqlite/sqlite-run-queue.ts';
import { uniqueNamespace } from '../test/cluster/support/services.ts';
import { benchServices, SKIPPED } from './support/cluster-services.ts';

type Profile = 'sqlite' | 'cluster';
const LEVELS = [0, 100, 1000, 10_000];
const DUE_PER_SECOND = 100;
const WAIT_MS = 2000;
const PHASE_MS = Number(process.env.BENCH_PARKED_PHASE_MS ?? 10_000);
const PROFILES = (process.env.BENCH_PARKED_PROFILES ?? 'sqlite,cluster').split(',') as Profile[];
const FEED_EVERY_MS = 100;
const IDLE_CLAIMS = 300;
const WORK_ITEMS = 1000;
const RULE_YAML = `id: bench-wait
on: { event: work_item.created }
do:
  - wait_until: '{{event.payload.due}}'
`;

interface LevelRow {
  profile: Profile;
  /** Runs parked an hour ahead: never due while measured. */
  parked: number;
  /** Parked runs when the level was measured: the level plus the workload's ~200 short waits. */
  parkedAtEnd: number;
  idleClaimP50Ms: number;
  idleClaimP99Ms: number;
  claims: number;
  claimP50Ms: number;
  claimP99Ms: number;
  claimMaxMs: number;
  woken: number;
  wokenPerSec: number;
  /** Due → claimed, for runs woken because they were due. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  heapAfterGcMiB: number;
  rssMiB: number;
  fillSeconds: number;
  plans?: Record<string, string[]>;
}

const rule = ((): Rule => {
  const { rule: parsed, diagnostics } = parseRuleText('rules/bench-wait.yaml', RULE_YAML);
  if (!parsed) throw new Error(JSON.stringify(diagnostics));
  return parsed;
})();

let eventSeq = 0;
function waitingEvent(due: number, now: number): Event {
  const n = eventSeq++;
  return {
    id: `bench:${n}`,
    source: 'webhook',
    type: 'work_item.created',
    occurredAt: now,
    projectKey: 'space',
    workItem: { id: String(1_000_000 + (n % WORK_ITEMS)), typeKey: 'story' },
    payload: { due },
  };
}

/** Appends the events and enqueues their runs, as the pipeline does. */
async function park(stores: Stores, dues: number[], now: number): Promise<void> {
  const events = dues.map((due) => waitingEvent(due, now));
  for (const event of events) await stores.events.append(event, now);
  await stores.runs.enqueue(
    events.map((event) => planRun(event, rule, { now })),
    now,
  );
}

/** The queue with every `claim` timed, and the lateness of each run it hands back woken as due. */
function timedQueue(runs: RunQueue, now: () => number) {
  const claimMs: number[] = [];
  const lagMs: number[] = [];
  let measuring = false;
  const claim: RunQueue['claim'] = async (owner, limit, leaseMs, at) => {
    const t0 = performance.now();
    const claimed = await runs.claim(owner, limit, leaseMs, at);
    if (!measuring) return claimed;
    claimMs.push(performance.now() - t0);
    for (const record of claimed) if (record.wake?.reason === 'due') lagMs.push(now() - record.runAt);
    return claimed;
  };
  // Every other method goes to the queue itself (its private fields need it as `this`).
  const queue = new Proxy(runs, {
    get: (target, name: keyof RunQueue) =>
      name === 'claim' ? claim : (target[name] as (...args: unknown[]) => unknown).bind(target),
  });
  return {
    queue,
    claimMs,
    lagMs,
    start: () => (measuring = true),
    stop: () => (measuring = false),
  };
}

async function waitFor(done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface OpenedStores {
  stores: Stores;
  /** Profile-specific facts read with the level in place (query plans, the parked set). */
  describe: () => Promise<Record<string, string[]>>;
  cleanup: () => Promise<void>;
}

async function openProfile(profile: Profile, now: () => number): Promise<OpenedStores> {
  if (profile === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'fp-autopilot-bench-parked-'));
    const path = join(dir, 'autopilot.db');
    const stores = await openSqliteStores({ path, now });
    return {
      stores,
      describe: async () => queryPlans(path, now()),
      cleanup: async () => {
        await stores.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { REDIS_URL: redisUrl = '', DATABASE_URL: databaseUrl = '' } = process.env;
  const { prefix, schema } = uniqueNamespace();
  const stores = await openClusterStores({ redisUrl, databaseUrl, now, prefix, schema });
  return {
    stores,
    describe: async () => {
      const key = `${prefix}{runs}:parked`;
      const [type, encoding, members] = await Promise.all([
        stores.redis.type(key),
        stores.redis.object('ENCODING', key),
        stores.redis.zcard(key),
      ]);
      return { redisParkedSet: [`${type} {runs}:parked, encoding ${String(encoding)}, ${members} members`] };
    },
    cleanup: async () => {
      await stores.close();
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function measureLevel(profile: Profile, parked: number): Promise<LevelRow> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const now = Date.now;
  const { stores, describe, cleanup } = await openProfile(profile, now);
  const spacingMs = 1000 / DUE_PER_SECOND;
  const timed = timedQueue(stores.runs, now);
  const executor = createExecutor({
    runs: timed.queue,
    audit: stores.audit,
    api: {
      call: () => Promise.reject(new Error('a wait-only run makes no API call')),
      dropToken: () => {},
      tokenKey: async () => 'bench',
    },
    rules: () => rule,
    program: { event: async (id) => (await stores.events.get(id))?.event },
    concurrency: 16,
    now,
    onError: (error) => {
      throw error;
    },
  });
  let feeder: NodeJS.Timeout | undefined;
  try {
    // The level: runs parked an hour ahead, through the executor as the engine parks them.
    const fillStarted = Date.now();
    const anchor = now() + 3_600_000;
    for (let i = 0; i < parked; i += 500) {
      const count = Math.min(500, parked - i);
      await park(
        stores,
        Array.from({ length: count }, (_, k) => anchor + (i + k) * spacingMs),
        now(),
      );
    }
    executor.start();
    await waitFor(async () => (await stores.runs.stats(now())).parked === parked, 600_000, 'the fill');
    const fillSeconds = (Date.now() - fillStarted) / 1000;

    const idleClaimMs: number[] = [];
    for (let i = 0; i < IDLE_CLAIMS; i += 1) {
      const t0 = performance.now();
      const claimed = await stores.runs.claim('bench-idle', 16, 60_000, now());
      idleClaimMs.push(performance.now() - t0);
      if (claimed.length > 0) throw new Error('an idle claim found a run: the level is not idle');
    }

    // The workload: 100 runs a second park on a 2 s wait, so 100 a second come due.
    feeder = setInterval(() => {
      const count = (DUE_PER_SECOND * FEED_EVERY_MS) / 1000;
      const at = now();
      const dues = Array.from({ length: count }, (_, k) => at + WAIT_MS + k * spacingMs);
      void park(stores, dues, at).then(() => executor.notify());
    }, FEED_EVERY_MS);
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS + 1000));
    timed.start();
    const measureStarted = Date.now();
    await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
    gc();
    const memory = process.memoryUsage();
    timed.stop();
    const seconds = (Date.now() - measureStarted) / 1000;
    clearInterval(feeder);
    feeder = undefined;
    const parkedAtEnd = (await stores.runs.stats(now())).parked;
    const facts = parked === Math.max(...LEVELS) ? await describe() : undefined;
    await executor.stop(5000);
    const row: LevelRow = {
      profile,
      parked,
      parkedAtEnd,
      idleClaimP50Ms: quantile(idleClaimMs, 0.5),
      idleClaimP99Ms: quantile(idleClaimMs, 0.99),
      claims: timed.claimMs.length,
      claimP50Ms: quantile(timed.claimMs, 0.5),
      claimP99Ms: quantile(timed.claimMs, 0.99),
      claimMaxMs: quantile(timed.claimMs, 1),
      woken: timed.lagMs.length,
      wokenPerSec: Math.round(timed.lagMs.length / seconds),
      lagP50Ms: quantile(timed.lagMs, 0.5),
      lagP99Ms: quantile(timed.lagMs, 0.99),
      lagMaxMs: quantile(timed.lagMs, 1),
      heapAfterGcMiB: mib(memory.heapUsed),
      rssMiB: mib(memory.rss),
      fillSeconds: Math.round(fillSeconds * 10) / 10,
    };
    if (facts) row.plans = facts;
    return row;
  } finally {
    if (feeder) clearInterval(feeder);
    await cleanup();
  }
}

/** EXPLAIN QUERY PLAN of the claim's two statements, on the level's own data. */
function queryPlans(path: string, now: number): Record<string, string[]> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now, limit: 100 }) as Array<{ detail: string }>).map(
        (r) => r.detail,
      );
    return { wakeDueParked: plan(WAKE_DUE_PARKED_SQL), claimHeads: plan(CLAIM_HEADS_SQL) };
  } finally {
    db.close();
  }
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return Math.round(value * 100) / 100;
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function runLevelInChild(profile: Profile, parked: number, env: NodeJS.ProcessEnv): LevelRow {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...env, BENCH_PARKED_LEVEL: `${profile}:${parked}` },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as LevelRow;
}

export async function runParkedWaitsBench(): Promise<LevelRow[]> {
  const rows: LevelRow[] = [];
  const skipped: string[] = [];
  if (PROFILES.includes('sqlite'))
    for (const level of LEVELS) rows.push(runLevelInChild('sqlite', level, {}));
  if (PROFILES.includes('cluster')) {
    const services = await benchServices();
    if (!services) skipped.push(`cluster profile skipped: ${SKIPPED}`);
    else {
      try {
        const env = { REDIS_URL: services.redisUrl, DATABASE_URL: services.databaseUrl };
        for (const level of LEVELS) rows.push(runLevelInChild('cluster', level, env));
      } finally {
        await services.stop();
      }
    }
  }
  print(rows, skipped);
  save(rows, skipped);
  return rows;
}

/** A level's figure over the same profile's figure with nothing parked: flat is ≈ 1. */
function ratioToEmpty(rows: LevelRow[], row: LevelRow, figure: 'claimP50Ms' | 'idleClaimP50Ms'): number {
  const empty = rows.find((r) => r.profile === row.profile && r.parked === 0);
  if (!empty || empty[figure] === 0) return NaN;
  return Math.round((row[figure] / empty[figure]) * 100) / 100;
}

function print(rows: LevelRow[], skipped: string[]): void {
  console.log(
    `\nParked waits (${cpus().length} CPUs; level = runs parked an hour ahead; workload at every level: ` +
      `${DUE_PER_SECOND} runs/s park on a ${WAIT_MS / 1000} s wait, so ${DUE_PER_SECOND} due/s; ` +
      `${PHASE_MS / 1000} s measured per level, executor concurrency 16, each level in its own process)`,
  );
  console.table(
    rows.map((r) => ({
      profile: r.profile === 'sqlite' ? 'SQLite' : 'Redis+PG',
      parked: r.parked,
      'parked at end': r.parkedAtEnd,
      'idle claim p50 ms': r.idleClaimP50Ms,
      'idle ×0': ratioToEmpty(rows, r, 'idleClaimP50Ms'),
      'claim p50 ms': r.claimP50Ms,
      'claim p99 ms': r.claimP99Ms,
      'claim ×0': ratioToEmpty(rows, r, 'claimP50Ms'),
      'woken/s': r.wokenPerSec,
      'late p50 ms': r.lagP50Ms,
      'late p99 ms': r.lagP99Ms,
      'late max ms': r.lagMaxMs,
      'heap MiB': r.heapAfterGcMiB,
      'RSS MiB': r.rssMiB,
    })),
  );
  console.log(
    'idle claim: a claim with nothing due, straight after the fill; claim: every claim of the executor under the workload; ' +
      '×0: p50 over the same profile with 0 parked; late: due → handed to the executor (it polls every 250 ms when not notified); ' +
      'heap after a full GC',
  );
  for (const row of rows)
    for (const [statement, lines] of Object.entries(row.plans ?? {}))
      console.log(`${row.profile} at ${row.parked} parked, ${statement}: ${lines.join(' | ')}`);
  for (const line of skipped) console.log(line);
}

function save(rows: LevelRow[], skipped: string[]): void {
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const report = {
    benchmark: 'parked-waits',
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    duePerSecond: DUE_PER_SECOND,
    waitMs: WAIT_MS,
    phaseMs: PHASE_MS,
    note: 'parked = runs parked an hour ahead (never due while measured); idle claim = RunQueue.claim with nothing due, after the fill; claim = every RunQueue.claim call of the executor under the workload (wakes due parked runs, then leases lane heads); lag = how late a run woken as due was handed to the executor; memory read with the level in place, after a full GC',
    skipped,
    rows: rows.map((row) => ({
      ...row,
      claimP50RatioToEmpty: ratioToEmpty(rows, row, 'claimP50Ms'),
      idleClaimP50RatioToEmpty: ratioToEmpty(rows, row, 'idleClaimP50Ms'),
    })),
  };
  writeFileSync(join(resultsDir, 'parked-waits.json'), `${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const level = process.env.BENCH_PARKED_LEVEL;
  if (level === undefined) await runParkedWaitsBench();
  else {
    const [profile, parked] = level.split(':') as [Profile, string];
    process.stdout.write(`${JSON.stringify(await measureLevel(profile, Number(parked)))}\n`);
  }
}

export default runParkedWaitsBench;
