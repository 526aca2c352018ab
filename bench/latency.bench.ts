/**
 * Webhook → first API call latency at a steady 100 events/s. The engine runs with the built-in
 * simulator; an open-loop sender (in process, on a fixed schedule, never waiting for answers)
 * POSTs Feishu WorkitemUpdateEvent deliveries to /webhooks/feishu. One in ten changes the
 * priority and matches a rule that comments on the work item (one write, no read: 10 runs/s,
 * within comment.create's 15/s); the rest match nothing. Latency = time of the first
 * simulator request of that run (its request log) − time the POST was sent. The intake answer
 * time of every POST is reported too.
 *
 * Run alone with `npx node bench/latency.bench.ts`. Writes bench/results/latency.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../src/config/load-config.ts';
import { startEngine } from '../src/engine/start-engine.ts';
import { createLogger } from '../src/log/logger.ts';
import { DEMO, USERS } from '../src/simulator/index.ts';

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MATCH_EVERY = 10;
const ITEMS = 10;

const RULE = `id: comment-on-priority
description: comments on an issue whose priority changed (the latency probe)
on:
  event: work_item.updated
  work_item_type: [issue]
when:
  all:
    - { fact: change, path: field, operator: equal, value: priority }
do:
  - comment: { text: 'priority changed (probe {{event.id}})' }
`;

function delivery(token: string, uuid: string, itemId: string, matching: boolean): string {
  const change = matching
    ? { field_key: 'priority', pre_field_value: { value: 'P2' }, cur_field_value: { value: 'P1' } }
    : { field_key: 'description', old_value: 'before', new_value: 'after' };
  return JSON.stringify({
    header: { event_type: 'WorkitemUpdateEvent', token, uuid, operator: USERS.alice },
    payload: {
      id: Number(itemId),
      name: 'Latency probe',
      project_key: DEMO.projectKey,
      project_simple_name: DEMO.simpleName,
      work_item_type_key: 'issue',
      updated_by: USERS.alice,
      changed_fields: [change],
    },
  });
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

const dir = mkdtempSync(join(tmpdir(), 'autopilot-latency-bench-'));
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules', 'comment-on-priority.yaml'), RULE);
const config = loadConfig({
  env: {
    HOST: '127.0.0.1',
    PORT: '0',
    AUTOPILOT_DATA: join(dir, 'data'),
    AUTOPILOT_RULES: join(dir, 'rules'),
  },
});
const engine = await startEngine({
  config,
  log: createLogger({ level: 'warn', destination: process.stderr }),
});
const sim = engine.simulator;
if (!sim) throw new Error('the latency benchmark runs on the built-in simulator');

// Issues to spread the runs over (their creation webhooks match nothing here).
const pool = new Pool(new URL(sim.baseUrl).origin, { connections: 4 });
const tokenAnswer = await pool.request({
  method: 'POST',
  path: '/open_api/authen/plugin_token',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ plugin_id: sim.credentials.pluginId, plugin_secret: sim.credentials.pluginSecret }),
});
const pluginToken = ((await tokenAnswer.body.json()) as { data: { token: string } }).data.token;
const items: string[] = [];
for (let i = 0; i < ITEMS; i++) {
  const answer = await pool.request({
    method: 'POST',
    path: `/open_api/${DEMO.simpleName}/work_item/create`,
    headers: { 'content-type': 'application/json', 'x-plugin-token': pluginToken, 'x-user-key': USERS.alice },
    body: JSON.stringify({ work_item_type_key: 'issue', name: `Latency probe ${i}` }),
  });
  items.push(String(((await answer.body.json()) as { data: number }).data));
  await new Promise((resolve) => setTimeout(resolve, 100)); // stay under the API's 15/s
}
await pool.close();
await sim.webhooksIdle();
await engine.idle();

const intake = new Pool(new URL(engine.url).origin, { connections: 64 });
const token = sim.credentials.webhookToken;
const total = RATE * SECONDS;
const sent = new Map<string, number>();
const answerMs: number[] = [];
const statuses = new Map<number, number>();
const run = Date.now().toString(36);
const start = Date.now() + 50;
const posts: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / RATE;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const uuid = `lat-${run}-${i}`;
  const matching = i % MATCH_EVERY === 0;
  // Matching events go round the items, so no (rule, item) pair nears the breaker (20 runs/min).
  const body = delivery(token, uuid, items[Math.floor(i / MATCH_EVERY) % ITEMS] as string, matching);
  const postedAt = Date.now();
  if (matching) sent.set(uuid, postedAt);
  posts.push(
    intake
      .request({
        method: 'POST',
        path: '/webhooks/feishu',
        headers: { 'content-type': 'application/json' },
        body,
      })
      .then(async (answer) => {
        await answer.body.dump();
        answerMs.push(Date.now() - postedAt);
        statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
      }),
  );
}
const sendingMs = Date.now() - start;
await Promise.all(posts);
await intake.close();
await engine.idle();

const firstCall = new Map<string, number>();
for (const request of sim.requests({ route: 'comment.create' })) {
  // The probe's text carries the event id, which is the delivery's uuid behind its source.
  const match = /probe feishu:(lat-[\w-]+)\)/.exec(
    String((request.body as { content?: string })?.content ?? ''),
  );
  if (match?.[1] && !firstCall.has(match[1])) firstCall.set(match[1], request.time);
}
const latencies = [...sent].flatMap(([uuid, at]) => {
  const called = firstCall.get(uuid);
  return called === undefined ? [] : [called - at];
});
latencies.sort((a, b) => a - b);
answerMs.sort((a, b) => a - b);
const rateLimited = sim.requests({ err_code: 10429 }).length;
await engine.stop();
rmSync(dir, { recursive: true, force: true });

const rows = [
  {
    measure: 'webhook -> first API call (ms)',
    samples: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
  },
  {
    measure: 'POST answered (ms)',
    samples: answerMs.length,
    p50: quantile(answerMs, 0.5),
    p99: quantile(answerMs, 0.99),
    max: answerMs.at(-1) ?? Number.NaN,
  },
];
console.table(rows);
const achievedRate = Number(((total / sendingMs) * 1000).toFixed(1));
console.log(
  `${total} deliveries at ${achievedRate}/s (target ${RATE}/s), ${sent.size} matching, ` +
    `${latencies.length} reached the API, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
    `10429 answers: ${rateLimited}`,
);
const result = {
  benchmark: 'latency',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  load: loadavg(),
  targetRate: RATE,
  achievedRate,
  seconds: SECONDS,
  matching: sent.size,
  reachedApi: latencies.length,
  rateLimitedAnswers: rateLimited,
  statuses: Object.fromEntries(statuses),
  rows,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latency.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
if (latencies.length !== sent.size) process.exitCode = 1;
