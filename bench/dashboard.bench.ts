/**
 * Dashboard pages on real volumes: 1,000,000 audit records (125,000 events over 7 days, 20
 * rules, 5,000 work items) and 5,000 runs, then every page's data call through HTTP, 60 times
 * each: p50, p95, max. Side by side, the same three questions answered from the audit table
 * alone (no summaries: what the dashboard would do without audit_events and audit_counts).
 * Goal: every page's p95 < 200 ms.
 *
 *   npx node bench/dashboard.bench.ts                      # SQLite
 *   bash scripts/cluster-services.sh run -- npx node bench/dashboard.bench.ts   # + PostgreSQL
 *
 * BENCH_RECORDS changes the volume, BENCH_STORES=postgresql measures PostgreSQL alone.
 * Writes bench/results/dashboard.json.
 */
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { dataRoutes } from '../src/dashboard/data-routes.ts';
import { createLiveFeed } from '../src/dashboard/live-feed.ts';
import type { Run } from '../src/plan/run.ts';
import type { Rule } from '../src/rules/rule.ts';
import { RuleRegistry } from '../src/server/rule-registry.ts';
import type { AuditRecord, Stores } from '../src/store/ports.ts';
import { openSqliteStores } from '../src/store/sqlite/index.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PER_EVENT = 8;
const EVENTS = Math.floor(RECORDS / PER_EVENT);
const RULES = 20;
const ITEMS = 5_000;
const RUNS = 5_000;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);
const SPAN_MS = 7 * 24 * 3_600_000;
const GOAL_MS = 200;
const NOW = Date.now();
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgresql').split(',');
const TYPES = ['work_item.created', 'work_item.updated', 'work_item.status_changed', 'node.completed'];

const ruleId = (i: number) => `rule-${String(i).padStart(2, '0')}`;
const itemOf = (i: number) => `demo:${7_400_000_000_000_000_000n + BigInt(i % ITEMS)}`;

/** One event's decisions, as the pipeline and executor write them. */
function eventRecords(i: number): AuditRecord[] {
  const at = NOW - SPAN_MS + Math.floor((i / EVENTS) * SPAN_MS);
  const eventId = `evt-${i}`;
  const workItem = itemOf(i);
  const matched = ruleId(i % RULES);
  const others = [ruleId((i + 7) % RULES), ruleId((i + 13) % RULES)];
  const runId = `run-${i}`;
  const dead = i % 97 === 0;
  const base = { eventId, workItem };
  return [
    {
      at,
      kind: 'event.processed',
      ...base,
      detail: {
        type: TYPES[i % TYPES.length],
        source: 'feishu',
        workItemName: `Bug ${i % ITEMS}: login fails on page ${i % 13}`,
        candidates: 3,
        matchedRules: [matched],
      },
    },
    ...others.map((r) => ({
      at,
      kind: 'rule.not_matched' as const,
      ruleId: r,
      ...base,
      detail: {
        conditions: [
          {
            fact: 'work_item',
            path: 'fields.priority',
            operator: 'equal',
            expected: 'P0',
            actual: 'P2',
            outcome: false,
          },
        ],
      },
    })),
    { at, kind: 'rule.matched', ruleId: matched, ...base, detail: { conditions: [] } },
    {
      at,
      kind: 'run.planned',
      ruleId: matched,
      runId,
      ...base,
      detail: { mode: 'live', actions: [{ index: 0, type: 'comment', params: { text: 'hi' } }] },
    },
    {
      at: at + 5,
      kind: 'action.attempted',
      ruleId: matched,
      runId,
      ...base,
      actionIndex: 0,
      detail: {
        action: 'comment',
        attempt: 1,
        request: { method: 'POST', path: '/open_api/demo/comment' },
        outcome: { class: dead ? 'permanent' : 'ok' },
        decision: dead ? 'dead' : 'done',
        durationMs: 40,
      },
    },
    {
      at: at + 6,
      kind: 'action.attempted',
      ruleId: matched,
      runId,
      ...base,
      actionIndex: 1,
      detail: { attempt: 1, decision: 'done' },
    },
    dead
      ? {
          at: at + 7,
          kind: 'run.dead_lettered',
          ruleId: matched,
          runId,
          ...base,
          detail: { error: { code: 'AP_API_PERMANENT', errCode: 30005 } },
        }
      : {
          at: at + 7,
          kind: 'run.succeeded',
          ruleId: matched,
          runId,
          ...base,
          detail: { state: 'succeeded' },
        },
  ] as AuditRecord[];
}

async function seed(stores: Stores): Promise<void> {
  const started = performance.now();
  let batch: AuditRecord[] = [];
  for (let i = 0; i < EVENTS; i++) {
    batch.push(...eventRecords(i));
    if (batch.length >= 4_000) {
      await stores.audit.record(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await stores.audit.record(batch);
  const runs: Run[] = Array.from({ length: RUNS }, (_, i) => ({
    id: `live-run-${i}`,
    eventId: `evt-${EVENTS - 1 - i}`,
    ruleId: ruleId(i % RULES),
    ruleVersion: 'v1',
    mode: 'live',
    lane: itemOf(i),
    priority: 'webhook',
    actions: [{ index: 0, type: 'comment', params: { text: 'hi' }, recheck: false, idempotencyKey: 'k' }],
    createdAt: NOW,
  }));
  for (let i = 0; i < runs.length; i += 500) await stores.runs.enqueue(runs.slice(i, i + 500), NOW);
  // A few hundred dead letters, the rest left queued in their lanes.
  for (let round = 0; round < 6; round++) {
    for (const claimed of await stores.runs.claim('bench', 50, 60_000, NOW)) {
      await stores.runs.deadLetter(
        claimed.run.id,
        'bench',
        { code: 'AP_API_PERMANENT', message: 'no', errCode: 30005 },
        NOW,
      );
    }
  }
  process.stdout.write(
    `  seeded ${RECORDS.toLocaleString('en')} records in ${Math.round((performance.now() - started) / 1000)} s\n`,
  );
}

function fakeRules(): Rule[] {
  return Array.from({ length: RULES }, (_, i) => ({
    id: ruleId(i),
    enabled: true,
    mode: i === 3 ? 'shadow' : 'live',
    on: { event: 'work_item.created' },
    do: [],
    allow_self: false,
    version: 'v1',
    source: { file: `rules/${ruleId(i)}.yaml`, text: `id: ${ruleId(i)}\n` },
  }));
}

async function serve(stores: Stores) {
  const rules = new RuleRegistry<null>({
    dir: '',
    load: async () => ({ rules: fakeRules(), diagnostics: [] }),
    buildIndex: () => null,
    now: () => NOW,
  });
  await rules.reload();
  const app = express();
  app.use(
    dataRoutes(
      {
        stores,
        rules: rules as never,
        now: () => NOW,
        live: createLiveFeed(() => NOW),
        deadLetters: {
          runs: stores.runs,
          audit: stores.audit,
          now: () => NOW,
          replan: async () => {
            throw new Error('not in the benchmark');
          },
          currentVersion: () => 'v1',
        },
      },
      'bench',
    ),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function pages(url: string): Promise<Array<[string, string]>> {
  const first = (await (await fetch(`${url}/events?limit=50`)).json()) as { next: string };
  return [
    ['Overview', '/overview'],
    ['Rules', '/rules'],
    ['Rule (decisions)', `/rules/${ruleId(5)}`],
    ['Rule (shadow, would-be calls)', `/rules/${ruleId(3)}`],
    ['Events', '/events?limit=50'],
    ['Events, page 2', `/events?limit=50&before=${encodeURIComponent(first.next)}`],
    ['Events by type', '/events?type=node.completed'],
    ['Events by rule', `/events?rule=${ruleId(7)}`],
    ['Events by work item', `/events?work_item=${encodeURIComponent(itemOf(42))}`],
    ['Events: name search', '/events?q=page%2012'],
    ['Events: with a dead letter', '/events?status=failed'],
    ['Events: last hour', `/events?since=${NOW - 3_600_000}`],
    ['Event story', `/events/evt-${EVENTS - 10}`],
    ['Runs (queued)', '/runs/page?state=queued'],
    ['Dead letters', '/dead-letters/page'],
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    max: round(samples.at(-1) as number),
  };
}

/** The same questions from the audit table alone, on the SQLite file (no summaries). */
function naive(file: string) {
  const db = new DatabaseSync(file, { readOnly: true });
  const since = NOW - 24 * 3_600_000;
  return {
    'Overview counts (24 h)': () =>
      db
        .prepare('SELECT kind, (at / 3600000) AS hour, count(*) FROM audit WHERE at >= ? GROUP BY 1, 2')
        .all(since),
    'Events by type': () =>
      db
        .prepare(
          `SELECT event_id, at FROM audit WHERE kind = 'event.processed' AND json_extract(detail_json, '$.type') = ?
           ORDER BY at DESC LIMIT 51`,
        )
        .all('node.completed'),
    'Rules: last fired': () =>
      db.prepare(`SELECT rule_id, max(at) FROM audit WHERE kind = 'rule.matched' GROUP BY rule_id`).all(),
    close: () => db.close(),
  };
}

interface Row {
  store: string;
  page: string;
  path: string;
  p50: number;
  p95: number;
  max: number;
  underGoal: boolean;
}

async function measure(store: string, stores: Stores): Promise<Row[]> {
  await seed(stores);
  const server = await serve(stores);
  const rows: Row[] = [];
  try {
    for (const [page, path] of await pages(server.url)) {
      const stats = await time(async () => {
        const answer = await fetch(`${server.url}${path}`);
        if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status} ${await answer.text()}`);
        await answer.arrayBuffer();
      });
      rows.push({ store, page, path, ...stats, underGoal: stats.p95 < GOAL_MS });
    }
  } finally {
    server.close();
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'autopilot-dashboard-bench-'));
const results: Row[] = [];
const baseline: Array<{ question: string; ours: string; p95: number; oursP95: number; ratio: number }> = [];

async function sqliteSide(): Promise<void> {
  process.stdout.write('SQLite\n');
  const file = join(dir, 'autopilot.db');
  const sqlite = await openSqliteStores({ path: file, synchronous: 'NORMAL' });
  results.push(...(await measure('SQLite', sqlite)));
  await sqlite.close();
  const raw = naive(file);
  const ours: Record<string, string> = {
    'Overview counts (24 h)': 'Overview',
    'Events by type': 'Events by type',
    'Rules: last fired': 'Rules',
  };
  for (const [question, page] of Object.entries(ours)) {
    const query = (raw as unknown as Record<string, () => unknown>)[question] as () => unknown;
    const stats = await time(async () => query());
    const oursP95 = results.find((r) => r.store === 'SQLite' && r.page === page)?.p95 ?? 0;
    const ratio = Math.round((stats.p95 / Math.max(oursP95, 0.1)) * 10) / 10;
    baseline.push({ question, ours: page, p95: stats.p95, oursP95, ratio });
  }
  raw.close();
}

async function postgresSide(redisUrl: string, databaseUrl: string): Promise<void> {
  process.stdout.write('PostgreSQL (+ Redis for runs)\n');
  const { openClusterStores } = await import('../src/store/cluster/open-cluster-stores.ts');
  const cluster = await openClusterStores({
    redisUrl,
    databaseUrl,
    schema: `bench_dashboard_${process.pid}`,
    prefix: `bench-dashboard-${process.pid}:`,
  });
  try {
    results.push(...(await measure('PostgreSQL', cluster)));
  } finally {
    await cluster.close();
  }
}

try {
  process.stdout.write(`dashboard pages with ${RECORDS.toLocaleString('en')} audit records\n`);
  if (STORES.includes('sqlite')) await sqliteSide();
  const { REDIS_URL, DATABASE_URL } = process.env;
  if (STORES.includes('postgresql') && REDIS_URL && DATABASE_URL) await postgresSide(REDIS_URL, DATABASE_URL);
  else if (STORES.includes('postgresql')) {
    process.stdout.write(
      'PostgreSQL skipped: run under `bash scripts/cluster-services.sh run --` to include it\n',
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.table(results.map(({ path: _path, ...row }) => row));
process.stdout.write('without the summaries (audit table alone, SQLite, p95 ms):\n');
console.table(baseline);
const worst = Math.max(...results.map((r) => r.p95));
process.stdout.write(
  `worst page p95 ${worst} ms (goal < ${GOAL_MS} ms): ${worst < GOAL_MS ? 'met' : 'NOT met'}; ${cpus().length} cores\n`,
);
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(resultsDir, 'dashboard.json'),
  `${JSON.stringify({ records: RECORDS, samples: SAMPLES, goalMs: GOAL_MS, results, baseline, at: new Date().toISOString() }, null, 2)}\n`,
);
if (worst >= GOAL_MS) process.exitCode = 1;
