/**
 * Backtest throughput. Stored log: 20,000 events on 500 work items in a SQLite event log, 40
 * rules (conditions on the work item and the change, two actions each). Ours: the whole backtest
 * (read the log, rebuild every work item as it was at each event, match, plan, build the report)
 * against the baseline, a plain match-only loop over the same events already in memory, with
 * only what the payloads carry. Side by side in one run, rounds alternating, best round kept.
 *
 * From the API: the same kind of history made in the simulator (changes on 300 work items),
 * read back with `--from api`'s reader at the API's own limit (15 requests/s): requests made,
 * the most in any second per endpoint, and 10429s (must be 0).
 *
 * Run alone with `npx node bench/backtest.bench.ts`. Writes bench/results/backtest.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiHistory, storedHistory } from '../src/backtest/history.ts';
import { itemsAtEvents } from '../src/backtest/items-at-events.ts';
import { replay } from '../src/backtest/replay.ts';
import { buildReport, reportJson } from '../src/backtest/report.ts';
import { createLimitedRead } from '../src/engine/limited-read.ts';
import type { Event } from '../src/events/event.ts';
import { createLocalLimiter } from '../src/executor/rate-limiter.ts';
import { normalizeFeishuWebhook } from '../src/ingest/feishu/index.ts';
import { buildEventFacts } from '../src/match/facts.ts';
import { matchEvent } from '../src/match/match-event.ts';
import { buildRuleIndex } from '../src/match/rule-index.ts';
import { OpenApiClient } from '../src/openapi/client.ts';
import { pacedRead } from '../src/reconcile/paced-read.ts';
import { normalizeRule } from '../src/rules/normalize-rule.ts';
import type { Rule } from '../src/rules/rule.ts';
import { demoTenant, startSimulator, USERS } from '../src/simulator/index.ts';
import { openSqliteStores } from '../src/store/sqlite/open-sqlite-stores.ts';
import { random } from './support/random.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ITEMS = 500;
const RULES = 40;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const T0 = Date.UTC(2026, 0, 5);
const PRIORITIES = ['P0', 'P1', 'P2', 'P3'];

function webhooks(): unknown[] {
  const rnd = random(7);
  const bodies: unknown[] = [];
  const priority = new Map<number, string>();
  for (let n = 0; n < EVENTS; n++) {
    const id = 6437300000 + (n % ITEMS);
    const at = T0 + n * 1000;
    const header = { token: 't', uuid: `bench-${n}`, operator: USERS.alice };
    const base = {
      id,
      name: `item ${id}`,
      project_key: 'pk',
      project_simple_name: 'demo',
      work_item_type_key: 'issue',
      updated_at: at,
    };
    if (!priority.has(id)) {
      const p = PRIORITIES[Math.floor(rnd() * 4)] as string;
      priority.set(id, p);
      const fields = [
        { field_key: 'priority', field_value: { value: p, label: p } },
        { field_key: 'field_severity', field_value: { value: 'major', label: 'major' } },
      ];
      bodies.push({
        header: { ...header, event_type: 'WorkitemCreateEvent' },
        payload: { ...base, created_at: at, fields },
      });
      continue;
    }
    const next = PRIORITIES[Math.floor(rnd() * 4)] as string;
    const before = priority.get(id);
    priority.set(id, next);
    bodies.push({
      header: { ...header, event_type: 'WorkitemUpdateEvent' },
      payload: {
        ...base,
        changed_fields: [{ field_key: 'priority', before: { value: before }, after: { value: next } }],
      },
    });
  }
  return bodies;
}

function rules(): Rule[] {
  const out: Rule[] = [];
  for (let i = 0; i < RULES; i++) {
    const p = PRIORITIES[i % 4] as string;
    const onUpdate = i % 2 === 0;
    out.push(
      normalizeRule(
        {
          id: `r${i}`,
          on: {
            event: onUpdate ? 'work_item.updated' : 'work_item.created',
            project: ['demo'],
            work_item_type: ['issue'],
          },
          when: {
            all: [
              { fact: 'work_item', path: 'fields.priority', operator: 'equal', value: p },
              ...(onUpdate
                ? [{ fact: 'change', operator: 'changedTo', value: { field: 'priority', value: p } }]
                : []),
              {
                fact: 'work_item',
                path: 'fields.field_severity',
                operator: 'in',
                value: ['major', 'critical'],
              },
              // Rules fire on a few items each, as real ones do (a run for 1 event in 100 or so).
              { fact: 'work_item', path: 'name', operator: 'endsWith', value: String(i).padStart(2, '0') },
            ],
          },
          do: [
            { comment: { text: `r${i}: {{work_item.name}} is ${p}` } },
            { update_fields: { fields: { field_resolution: `r${i}` } } },
          ],
        },
        `r${i}.yaml`,
      ),
    );
  }
  return out;
}

async function storedLog() {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-backtest-'));
  const stores = await openSqliteStores({ path: join(dir, 'autopilot.db') });
  const events = webhooks().map((b) => normalizeFeishuWebhook(b, { receivedAt: 0 }));
  for (let i = 0; i < events.length; i += 500)
    await stores.events.appendMany?.(events.slice(i, i + 500), T0 + i * 1000);
  return { dir, stores, events };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function storedScenario() {
  const { dir, stores, events } = await storedLog();
  const ruleSet = rules();
  const index = buildRuleIndex(ruleSet);
  const since = T0 - 1;
  const until = T0 + EVENTS * 1000 + 1;
  const ours = async () => {
    const history = await storedHistory(stores.events, since, until);
    const items = itemsAtEvents(history.events);
    const result = await replay(history.events, ruleSet, { items, engineUserKey: '7400000000000000001' });
    const report = buildReport({
      source: 'event log',
      replay: result,
      occurredAt: history.events.map((e) => e.occurredAt),
      rules: ruleSet,
    });
    return { runs: result.runs.length, bytes: reportJson(report).length };
  };
  const baseline = async () => {
    let matched = 0;
    for (const event of events as Event[]) {
      const results = await matchEvent(event, index, buildEventFacts(event, event.occurredAt));
      matched += results.filter((r) => r.matched).length;
    }
    return { runs: matched, bytes: 0 };
  };
  const best = { ours: Infinity, baseline: Infinity };
  let sample = { ours: { runs: 0, bytes: 0 }, baseline: { runs: 0, bytes: 0 } };
  for (let r = 0; r < ROUNDS + 1; r++) {
    const a = await timed(ours);
    const b = await timed(baseline);
    if (r === 0) continue; // JIT warm-up
    best.ours = Math.min(best.ours, a.ms);
    best.baseline = Math.min(best.baseline, b.ms);
    sample = { ours: a.value, baseline: b.value };
  }
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    scenario: 'stored event log',
    events: EVENTS,
    rules: RULES,
    backtestEventsPerSec: Math.round(EVENTS / (best.ours / 1000)),
    matchOnlyEventsPerSec: Math.round(EVENTS / (best.baseline / 1000)),
    ratio: Number((best.baseline / best.ours).toFixed(2)),
    backtestRuns: sample.ours.runs,
    // Payload-only matching cannot tell the priority of an item after its creation: it decides far fewer.
    matchOnlyMatches: sample.baseline.runs,
    reportBytes: sample.ours.bytes,
  };
}

async function apiScenario() {
  const items = 300;
  const tenant = demoTenant(Date.now());
  const model = tenant.work_items.find((w) => w.work_item_type_key === 'issue');
  for (let i = 0; model && i < items; i++)
    tenant.work_items.push({ ...structuredClone(model), id: 6437400000 + i, name: `api item ${i}` });
  const sim = await startSimulator({ tenant, rateLimits: true });
  const { credentials: c } = sim;
  // History: records written as the people's changes would be, spread over the last 10 days.
  const now = Date.now();
  for (let n = 0; n < items * 4; n++) {
    const id = 6437400000 + (n % items);
    sim.state.op_records.push({
      seq: sim.tenant.nextOpRecordSeq(),
      project_key: c.projectKey,
      work_item_type_key: 'issue',
      work_item_id: id,
      operation_time: now - 10 * 86_400_000 + n * 600_000,
      operator: USERS.alice,
      operator_type: 'user',
      operation_type: 'modify',
      op_record_module: 'field_mod',
      record_contents: [
        {
          object: { object_type: 'field', object_value: 'priority' },
          old: ['P2'],
          new: [PRIORITIES[n % 4] as string],
          add: [],
          delete: [],
        },
      ],
    });
    const item = sim.state.work_items.find((w) => w.id === id);
    if (item) item.updated_at = now;
  }
  const api = new OpenApiClient({
    baseUrl: sim.baseUrl,
    pluginId: c.pluginId,
    pluginSecret: c.pluginSecret,
    userKey: c.userKey,
  });
  const read = pacedRead(createLimitedRead({ api, limiter: createLocalLimiter(), now: Date.now }), {
    perSecond: 15,
    now: Date.now,
  });
  const firstRequest = sim.requests().length;
  const { ms, value: history } = await timed(() =>
    apiHistory({
      read,
      scope: [{ space: 'demo', types: ['issue'] }],
      since: now - 10 * 86_400_000,
      until: Date.now(),
      engine: { userKey: c.userKey },
    }),
  );
  const requests = sim.requests().slice(firstRequest);
  const perSecond = new Map<string, number>();
  for (const r of requests) {
    const key = `${r.route} ${Math.floor(r.time / 1000)}`;
    perSecond.set(key, (perSecond.get(key) ?? 0) + 1);
  }
  const replayed = await timed(() =>
    replay(history.events, rules(), { items: itemsAtEvents(history.events, history.current) }),
  );
  await api.close();
  await sim.close();
  return {
    scenario: '--from api (simulator, 15 requests/s)',
    workItems: items,
    events: history.events.length,
    requests: requests.length,
    readSeconds: Number((ms / 1000).toFixed(1)),
    eventsPerRequest: Number((history.events.length / requests.length).toFixed(1)),
    mostInOneSecondPerEndpoint: Math.max(...perSecond.values()),
    rateLimited10429: requests.filter((r) => r.err_code === 10429).length,
    replayEventsPerSec: Math.round(history.events.length / (replayed.ms / 1000)),
  };
}

const stored = await storedScenario();
const fromApi = await apiScenario();
console.table([stored]);
console.table([fromApi]);
const result = {
  benchmark: 'backtest',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  rounds: ROUNDS,
  load: loadavg(),
  targets: { backtestEventsPerSec: 2_000, rateLimited10429: 0, mostInOneSecondPerEndpoint: 15 },
  rows: [stored, fromApi],
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/backtest.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
