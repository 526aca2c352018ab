/**
 * Poison events and runs against the real engine process. Stored before it starts, as an older
 * engine or a bug could have stored them: events whose processing throws every time, and runs
 * whose processing throws every time. Then a run that stops its process every time: the engine is
 * killed (-9) whenever that run is in flight, `maxClaims` times. Each must be dead-lettered with
 * `AP_POISON` after exactly `maxClaims` claims, with an audit record, a log line and a metric,
 * while the runs behind them on the same work items go on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedAction, Run } from '../../src/plan/run.ts';
import { DEMO } from '../../src/simulator/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { poisonEvent } from '../support/poison.ts';
import { expectThat, newRow, waitUntil, type Row, type RunRecordView } from './support/figures.ts';
import { createWorld, FIRST_EXTRA_ISSUE, type World } from './support/world.ts';

export interface PoisonOptions {
  /** Poison events and poison runs stored before the start, each. */
  stored: number;
  maxClaims: number;
}

const RULE_ID = 'comment-by-hand';
const MARKER = 'poison-scenario';
const RULE = `id: ${RULE_ID}
on:
  manual: true
  work_item_type: [issue]
do:
  - comment: { text: '${MARKER} {{event.id}}' }
`;
/** Slow enough at the simulator that the run is seen in flight and its process killed. */
const CALL_LATENCY_MS = 1500;

interface DeadEvent {
  event: { id: string };
  claims?: number;
  lastError?: { code: string; message: string };
}

export async function runPoison(options: PoisonOptions): Promise<Row> {
  const { stored, maxClaims } = options;
  const row = newRow(
    'poison events and runs',
    `${stored} stored poison events, ${stored} stored poison runs, 1 run in flight at every kill; maxClaims ${maxClaims}`,
    `kill -9 of the engine ${maxClaims} times, each with the same run in flight`,
    'events and runs whose processing throws every time',
  );
  const world = await createWorld({ rules: { [`${RULE_ID}.yaml`]: RULE }, extraIssues: stored + 1 });
  try {
    const configFile = join(world.dir, 'autopilot.yaml');
    writeFileSync(
      configFile,
      `events: { leaseMs: 500, maxClaims: ${maxClaims} }\nexecutor: { leaseMs: 1000, maxClaims: ${maxClaims} }\n`,
    );
    world.env.AUTOPILOT_CONFIG = configFile;
    const poison = await storePoison(world, stored);
    await world.startEngine();

    // Runs behind each poison run on its work item, asked for at once: they wait in the lane.
    const behind: string[] = [];
    for (let i = 0; i < stored; i += 1) behind.push(await manualRun(world, FIRST_EXTRA_ISSUE + i));
    await storedPoisonDead(world, row, poison, maxClaims, behind);

    await crashingRun(world, row, maxClaims, FIRST_EXTRA_ISSUE + stored);
    await figures(world, row);
  } finally {
    await world.close();
  }
  return row;
}

/** A for_each step stored without its params: its processing throws a TypeError every time. */
function poisonRun(i: number): Run {
  const step = {
    index: 0,
    type: 'for_each',
    params: null,
    recheck: false,
    idempotencyKey: `0b0b0b0b-0000-5000-8000-${String(i).padStart(12, '0')}`,
  } as unknown as PlannedAction;
  return {
    id: `poison-run-${i}`,
    eventId: `chat:poison-run-event-${i}`,
    ruleId: RULE_ID,
    ruleVersion: 'v0',
    mode: 'live',
    lane: `${DEMO.projectKey}:${FIRST_EXTRA_ISSUE + i}`,
    priority: 'webhook',
    actions: [step],
    createdAt: Date.now(),
  };
}

async function storePoison(world: World, count: number): Promise<{ events: string[]; runs: string[] }> {
  mkdirSync(world.env.AUTOPILOT_DATA as string, { recursive: true });
  const stores = await openSqliteStores({ path: join(world.env.AUTOPILOT_DATA as string, 'autopilot.db') });
  const events: string[] = [];
  const runs: string[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const event = poisonEvent(`chat:poison-event-${i}`);
      await stores.events.append(event, Date.now());
      events.push(event.id);
      const run = poisonRun(i);
      await stores.runs.enqueue([run], Date.now());
      runs.push(run.id);
    }
  } finally {
    await stores.close();
  }
  return { events, runs };
}

/** A manual run of the rule on one issue; returns its run id. */
async function manualRun(world: World, issueId: number): Promise<string> {
  const answer = await world.admin(`/api/rules/${RULE_ID}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ work_item: `demo/issue/${issueId}` }),
  });
  if (answer.status !== 202) throw new Error(`manual run: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { runId: string }).runId;
}

async function runState(world: World, runId: string): Promise<RunRecordView | undefined> {
  const answer = await world.admin(`/api/runs?rule=${RULE_ID}&limit=1000`);
  return ((await answer.json()) as RunRecordView[]).find((r) => r.run.id === runId);
}

async function storedPoisonDead(
  world: World,
  row: Row,
  poison: { events: string[]; runs: string[] },
  maxClaims: number,
  behind: string[],
): Promise<void> {
  const deadEvents = async () =>
    ((await (await world.admin('/api/dead-letters/events')).json()) as DeadEvent[]).filter((d) =>
      poison.events.includes(d.event.id),
    );
  const deadRuns = async () =>
    ((await (await world.admin('/api/dead-letters')).json()) as RunRecordView[]).filter((r) =>
      poison.runs.includes(r.run.id),
    );
  const settled = await waitUntil(
    async () =>
      (await deadEvents()).length === poison.events.length &&
      (await deadRuns()).length === poison.runs.length,
    60_000,
  );
  expectThat(row, settled, 'stored poison events or runs were not all dead-lettered within 60 s');
  const events = await deadEvents();
  const runs = await deadRuns();
  const exact = `claimed ${maxClaims} times without finishing; last error: AP_INTERNAL: TypeError`;
  const eventsOk = events.filter((d) => d.claims === maxClaims && d.lastError?.message.startsWith(exact));
  const runsOk = runs.filter(
    (r) => r.lastError?.code === 'AP_POISON' && r.lastError.message.startsWith(exact),
  );
  expectThat(
    row,
    eventsOk.length === poison.events.length,
    'a poison event was not dead-lettered as AP_POISON',
  );
  expectThat(row, runsOk.length === poison.runs.length, 'a poison run was not dead-lettered as AP_POISON');

  const behindDone = await waitUntil(async () => {
    for (const id of behind) if ((await runState(world, id))?.state !== 'succeeded') return false;
    return true;
  }, 60_000);
  expectThat(row, behindDone, 'a run behind a poison run on its work item did not succeed');
  row.notes.push(
    `stored poison: ${eventsOk.length}/${poison.events.length} events and ${runsOk.length}/${poison.runs.length} runs dead-lettered after ${maxClaims} claims with their last error; ${behind.length} runs behind them on the same work items ${behindDone ? 'succeeded' : 'NOT all succeeded'}`,
  );
}

/** A run in flight at every kill: after maxClaims kills the next process dead-letters it unrun. */
async function crashingRun(world: World, row: Row, maxClaims: number, target: number): Promise<void> {
  world.sim.setChaos({ latencyMs: CALL_LATENCY_MS });
  const runId = await manualRun(world, target);
  let kills = 0;
  for (; kills < maxClaims; kills += 1) {
    const inFlight = await waitUntil(async () => (await runState(world, runId))?.state === 'running', 60_000);
    if (!inFlight) break;
    await world.engine?.kill9();
    await world.startEngine();
  }
  world.sim.setChaos({});
  expectThat(row, kills === maxClaims, `the run was not in flight at kill ${kills + 1}`);
  const dead = await waitUntil(async () => (await runState(world, runId))?.state === 'dead', 60_000);
  const record = await runState(world, runId);
  const expected = `claimed ${maxClaims} times without finishing: its processing stopped the process every time`;
  const poisoned = record?.lastError?.code === 'AP_POISON' && record.lastError.message === expected;
  expectThat(row, dead && poisoned, `the run that stopped its process was not dead-lettered as AP_POISON`);
  const applied = world.sim.tenant.data.comments.filter(
    (c) => c.work_item_id === target && c.content.startsWith(MARKER),
  ).length;
  row.appliedTwice += applied > 1 ? 1 : 0;
  row.notes.push(
    `a run in flight at ${kills} kills: ${dead ? 'dead-lettered' : 'NOT dead-lettered'} by the next process (${record?.lastError?.message ?? 'no error'}); its comment applied ${applied} time(s)`,
  );
}

/** What the last process says of the dead letter it made: the log line and the metric. */
async function figures(world: World, row: Row): Promise<void> {
  const engine = world.engine;
  if (!engine) return;
  const lines = engine
    .output()
    .split('\n')
    .filter((l) => l.includes('"msg":"run dead-lettered') && l.includes('AP_POISON'));
  const metrics = await (await world.admin('/metrics')).text();
  const poisonRuns = Number(/^autopilot_poison_total\{kind="run"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  expectThat(
    row,
    lines.length === 1,
    `the last process wrote ${lines.length} run dead-lettered lines, not 1`,
  );
  expectThat(row, poisonRuns === 1, `autopilot_poison_total{kind="run"} was ${poisonRuns}, not 1`);
  const alive = (await fetch(`${engine.url}/readyz`)).ok;
  expectThat(row, alive, 'the engine is not ready after the poison');
  row.notes.push(
    `last process: ${lines.length} "run dead-lettered" AP_POISON error line, autopilot_poison_total{kind="run"} ${poisonRuns}, ready ${alive}`,
  );
}
