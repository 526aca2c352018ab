/**
 * The executor against the simulator enforcing 15 requests/s per endpoint, on three endpoints
 * at once (a write and two reads), for 60 s: achieved / allowed and 10429s, side by side with a
 * naive fixed-concurrency executor (no limiter, fixed retry delay) in the same run. The
 * simulator runs in its own process so its event loop is not ours.
 *
 * BENCH_EXECUTOR_SECONDS shortens each phase for a quick look (the goal is stated at 60 s);
 * BENCH_EXECUTOR_SYNC=NORMAL runs the queue with the faster, less durable SQLite setting.
 * Writes bench/results/executor.json; exits 1 when the executor misses the goal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { v5 as uuidv5 } from 'uuid';
import { createExecutor } from '../src/executor/executor.ts';
import { buildApiCall } from '../src/openapi/catalogue.ts';
import { OpenApiClient } from '../src/openapi/client.ts';
import type { ApiCall, Run } from '../src/plan/run.ts';
import { openSqliteStores } from '../src/store/sqlite/open-sqlite-stores.ts';

const SECONDS = Number(process.env.BENCH_EXECUTOR_SECONDS ?? 60);
/** The run queue's durability: FULL (the default, a resolved write survives power loss) or NORMAL. */
const SYNCHRONOUS = process.env.BENCH_EXECUTOR_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL';
const QPS = 15;
const ENDPOINTS = ['comment.create', 'workItem.query', 'comment.list'] as const;
const ALLOWED = QPS * ENDPOINTS.length * SECONDS;
const GOAL = 0.95;
const CONCURRENCY = 16;
const NAIVE_RETRY_MS = 200;
const NAMESPACE = '0b7e5a52-3c1d-4f6e-9a8b-7c6d5e4f3a2b';

interface SimInfo {
  baseUrl: string;
  pluginId: string;
  pluginSecret: string;
  userKey: string;
  projectKey: string;
}

interface RequestRecord {
  time: number;
  route: string;
  status: number;
  err_code?: number;
}

interface Row {
  executor: string;
  seconds: number;
  allowed: number;
  achieved: number;
  ratio: number;
  rateLimited: number;
  perEndpoint: Record<string, number>;
}

async function startSim(): Promise<{ proc: ChildProcess; info: SimInfo }> {
  const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const proc = spawn(process.execPath, [main, 'sim', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.trim().startsWith('{')) return { proc, info: JSON.parse(line) as SimInfo };
  }
  throw new Error('simulator exited before printing its URL');
}

async function simRequests(info: SimInfo): Promise<RequestRecord[]> {
  const res = await fetch(`${info.baseUrl}/_sim/requests`);
  return (await res.json()) as RequestRecord[];
}

async function workItems(
  info: SimInfo,
): Promise<Array<{ id: number; work_item_type_key: string; project_key: string }>> {
  const res = await fetch(`${info.baseUrl}/_sim/state`);
  const state = (await res.json()) as {
    work_items: Array<{ id: number; work_item_type_key: string; project_key: string }>;
  };
  return state.work_items.filter((w) => w.project_key === info.projectKey);
}

function callFor(
  info: SimInfo,
  operation: (typeof ENDPOINTS)[number],
  item: { id: number; work_item_type_key: string },
  i: number,
): ApiCall {
  const path = {
    project_key: info.projectKey,
    work_item_type_key: item.work_item_type_key,
    work_item_id: String(item.id),
  };
  if (operation === 'comment.create')
    return buildApiCall(operation, { path, body: { content: `bench ${i}` } });
  if (operation === 'workItem.query')
    return buildApiCall(operation, { path, body: { work_item_ids: [item.id] } });
  return buildApiCall(operation, { path, query: { page_size: '10', page_num: '1' } });
}

function calls(
  info: SimInfo,
  items: Array<{ id: number; work_item_type_key: string }>,
  count: number,
): ApiCall[] {
  return Array.from({ length: count }, (_, i) =>
    callFor(
      info,
      ENDPOINTS[i % ENDPOINTS.length] as (typeof ENDPOINTS)[number],
      items[i % items.length] as (typeof items)[number],
      i,
    ),
  );
}

function clientOf(info: SimInfo): OpenApiClient {
  return new OpenApiClient({
    baseUrl: info.baseUrl,
    pluginId: info.pluginId,
    pluginSecret: info.pluginSecret,
    userKey: info.userKey,
  });
}

function summarize(name: string, records: RequestRecord[], from: number): Row {
  const inWindow = records.filter((r) => r.time >= from && r.time < from + SECONDS * 1000);
  const ok = inWindow.filter(
    (r) => r.status === 200 && (r.err_code ?? 0) === 0 && ENDPOINTS.includes(r.route as never),
  );
  const perEndpoint = Object.fromEntries(ENDPOINTS.map((e) => [e, ok.filter((r) => r.route === e).length]));
  return {
    executor: name,
    seconds: SECONDS,
    allowed: ALLOWED,
    achieved: ok.length,
    ratio: Number((ok.length / ALLOWED).toFixed(3)),
    rateLimited: records.filter((r) => r.err_code === 10429).length,
    perEndpoint,
  };
}

async function ours(info: SimInfo, items: Array<{ id: number; work_item_type_key: string }>): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-autopilot-bench-exec-'));
  const stores = await openSqliteStores({ path: join(dir, 'autopilot.db'), synchronous: SYNCHRONOUS });
  const client = clientOf(info);
  const runs: Run[] = calls(info, items, Math.ceil(ALLOWED * 1.25)).map((call, i) => ({
    id: `bench-${i}`,
    eventId: `evt-bench-${i}`,
    ruleId: 'bench',
    ruleVersion: 'v1',
    mode: 'live',
    lane: `lane-${i % 300}`,
    priority: 'webhook',
    actions: [
      {
        index: 0,
        type: 'api',
        params: {},
        recheck: false,
        idempotencyKey: uuidv5(`bench-${i}`, NAMESPACE),
        calls: [call],
      },
    ],
    createdAt: i,
  }));
  for (let i = 0; i < runs.length; i += 500) await stores.runs.enqueue(runs.slice(i, i + 500), Date.now());
  await client.tokenKey();
  const executor = createExecutor({
    runs: stores.runs,
    audit: stores.audit,
    api: client,
    rules: () => undefined,
    concurrency: CONCURRENCY,
    pollMs: 20,
    onError: (error) => process.stderr.write(`executor error: ${String(error)}\n`),
  });
  const from = Date.now();
  executor.start();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  await executor.stop(2000);
  await stores.close();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
  return summarize(`autopilot (limiter, SQLite queue ${SYNCHRONOUS})`, await simRequests(info), from);
}

async function naive(info: SimInfo, items: Array<{ id: number; work_item_type_key: string }>): Promise<Row> {
  const client = clientOf(info);
  const todo = calls(info, items, Math.ceil(ALLOWED * 1.25));
  await client.tokenKey();
  const from = Date.now();
  const until = from + SECONDS * 1000;
  let next = 0;
  const worker = async () => {
    while (Date.now() < until && next < todo.length) {
      const i = next++;
      const call = todo[i] as ApiCall;
      for (;;) {
        const outcome = await client.call(
          call,
          call.write ? { idempotencyKey: uuidv5(`naive-${i}`, NAMESPACE) } : {},
        );
        if (outcome.class === 'ok' || outcome.class === 'already_applied' || Date.now() >= until) break;
        await new Promise((resolve) => setTimeout(resolve, NAIVE_RETRY_MS));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await client.close();
  return summarize(`naive (${CONCURRENCY} workers, no limiter)`, await simRequests(info), from);
}

function table(rows: Row[]): string {
  const header = ['executor', 'seconds', 'allowed', 'achieved', 'achieved/allowed', '10429s', ...ENDPOINTS];
  const body = rows.map((r) => [
    r.executor,
    String(r.seconds),
    String(r.allowed),
    String(r.achieved),
    r.ratio.toFixed(3),
    String(r.rateLimited),
    ...ENDPOINTS.map((e) => String(r.perEndpoint[e])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const { proc, info } = await startSim();
try {
  const items = await workItems(info);
  const rows: Row[] = [];
  rows.push(await ours(info, items));
  await fetch(`${info.baseUrl}/_sim/reset`, { method: 'POST' });
  rows.push(await naive(info, items));
  const ok = (rows[0]?.ratio ?? 0) >= GOAL && rows[0]?.rateLimited === 0;
  process.stdout.write(
    `${table(rows)}\n\ngoal: achieved/allowed ≥ ${GOAL} and zero 10429 for autopilot: ${ok ? 'met' : 'MISSED'}\n`,
  );
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'executor.json'),
    `${JSON.stringify(
      {
        benchmark: 'executor',
        measuredAt: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        limitPerEndpointPerSecond: QPS,
        endpoints: ENDPOINTS,
        concurrency: CONCURRENCY,
        naiveRetryMs: NAIVE_RETRY_MS,
        storeDurability: `SQLite file, WAL, synchronous=${SYNCHRONOUS}`,
        goal: { ratio: GOAL, rateLimited: 0 },
        goalMet: ok,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  proc.kill('SIGTERM');
}
