/**
 * Lark messages within Lark's limits (#11): 500 `message` actions to 10 chats and 20 people,
 * through the whole engine (event log → match → plan → run queue → executor → limiter → Lark
 * client) against the built-in simulator, which enforces Lark's limits as Lark does: 50 sends a
 * second and 1000 a minute per app, 5 a second to one chat or one person (a sliding second).
 * Side by side: no faults, and 5% of the sends' answers lost after Lark applied them (chaos
 * `lostResponse`: the socket is closed, the engine retries).
 *
 * Measured per scenario:
 * - refusals: sends the simulator answered 99991400 (app) or 230020 (chat, person); goal 0;
 * - the achieved rate as a ratio of the allowed rate: the least time Lark's limits allow for the
 *   sends made (a sliding second holds 50, so n sends need at least ⌊(n−1)/50⌋ s from first to
 *   last) over the time they took; goal ≥ 0.9;
 * - duplicates: messages posted twice (two posts with the same text); goal 0; and lost: messages
 *   never posted; goal 0.
 *
 * Events each carry a work item of their own, so the runs go through 500 lanes as webhook events
 * of 500 bugs would. `npm run bench -- lark-messages`; BENCH_LARK_MESSAGES sets the count
 * (default 500). Writes bench/results/lark-messages.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.ts';
import { startEngine, type RunningEngine } from '../src/engine/start-engine.ts';
import type { Event } from '../src/events/event.ts';
import { createLogger } from '../src/log/logger.ts';
import type { ChaosOptions } from '../src/simulator/chaos.ts';
import { LARK_APP_LIMIT, LARK_TARGET_LIMIT } from '../src/simulator/lark/lark-state.ts';

const RESULTS = fileURLToPath(new URL('./results/lark-messages.json', import.meta.url));
const MESSAGES = Number(process.env.BENCH_LARK_MESSAGES ?? 500);
const CHATS = 10;
const PEOPLE = 20;
const TIMEOUT_MS = 180_000;
const SCENARIOS: Array<{ name: string; chaos: ChaosOptions }> = [
  { name: 'no faults', chaos: {} },
  { name: '5% lost answers', chaos: { lostResponse: 0.05, seed: 11 } },
];

const RULE = `id: page
on: { event: webhook.page }
do:
  - message:
      to: '{{event.payload.to}}'
      text: '{{event.payload.text}}'
`;

const chatId = (i: number) => `oc_bench_${i}`;
const email = (i: number) => `bench${i}@example.com`;
const recipients = [
  ...Array.from({ length: CHATS }, (_, i) => chatId(i)),
  ...Array.from({ length: PEOPLE }, (_, i) => email(i)),
];

interface Row {
  scenario: string;
  messages: number;
  recipients: number;
  sends: number;
  lostAnswers: number;
  refusals: number;
  seconds: number;
  /** Most sends the simulator admitted within one sliding second (at most 50). */
  busiestSecond: number;
  /** Sends a second from the first to the last. */
  rate: number;
  allowedRate: number;
  ratio: number;
  posted: number;
  duplicates: number;
  lost: number;
}

async function scenario(name: string, chaos: ChaosOptions): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-lark-bench-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'page.yaml'), RULE);
  writeFileSync(join(dir, 'autopilot.yaml'), 'drift:\n  enabled: false\ntriggers:\n  tickMs: 3600000\n');
  const config = loadConfig({
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      AUTOPILOT_DATA: join(dir, 'data'),
      AUTOPILOT_RULES: join(dir, 'rules'),
      AUTOPILOT_CONFIG: join(dir, 'autopilot.yaml'),
    },
  });
  const engine = await startEngine({
    config,
    log: createLogger({ level: 'warn', destination: process.stderr }),
  });
  try {
    const sim = engine.simulator;
    if (!sim) throw new Error('the bench runs on the built-in simulator');
    addRecipients(sim.state.lark);
    sim.setChaos(chaos);
    const events = Array.from({ length: MESSAGES }, (_, i) => pageEvent(i));
    for (const event of events) await engine.stores.events.append(event, Date.now());
    engine.processor.notify();
    await finished(engine);
    return measure(name, engine);
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function addRecipients(lark: NonNullable<RunningEngine['simulator']>['state']['lark']): void {
  lark.users = [
    ...(lark.users ?? []),
    ...Array.from({ length: PEOPLE }, (_, i) => ({
      open_id: `ou_bench_${i}`,
      union_id: `on_bench_${i}`,
      user_id: `bench${i}`,
      name: `bench ${i}`,
      email: email(i),
    })),
  ];
  lark.chats = [
    ...(lark.chats ?? []),
    ...Array.from({ length: CHATS }, (_, i) => ({
      chat_id: chatId(i),
      name: `Bench ${i}`,
      members: [],
      bot_member: true,
    })),
  ];
}

function pageEvent(i: number): Event {
  return {
    id: `bench-page-${i}`,
    source: 'webhook',
    type: 'webhook.page',
    occurredAt: Date.now(),
    projectKey: 'bench',
    workItem: { id: String(7_000_000_000 + i), typeKey: 'issue' },
    payload: { to: recipients[i % recipients.length], text: `bench message ${i}` },
  };
}

async function finished(engine: RunningEngine): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const runs = await engine.stores.runs.list({ state: ['succeeded', 'dead'], limit: MESSAGES + 1 });
    if (runs.length >= MESSAGES) return;
    if (Date.now() > deadline) throw new Error(`only ${runs.length} of ${MESSAGES} runs finished`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function measure(name: string, engine: RunningEngine): Row {
  const sim = engine.simulator!;
  const sends = sim.requests({ route: 'lark.message.create' });
  const refusals = sends.filter((r) => r.err_code === 99991400 || r.err_code === 230020).length;
  const admitted = sends.filter((r) => r.status === 200 || r.outcome === 'lost');
  const times = admitted.map((r) => r.time).sort((a, b) => a - b);
  const seconds = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
  const leastSeconds = Math.floor((admitted.length - 1) / LARK_APP_LIMIT.qps);
  const texts = sim.larkMessages().map((m) => (m.content as { text: string }).text);
  const distinct = new Set(texts);
  const allowedRate = LARK_APP_LIMIT.qps;
  return {
    scenario: name,
    messages: MESSAGES,
    recipients: recipients.length,
    sends: sends.length,
    lostAnswers: sends.filter((r) => r.outcome === 'lost').length,
    refusals,
    seconds: round(seconds, 2),
    busiestSecond: busiest(times),
    rate: round((admitted.length - 1) / seconds, 1),
    allowedRate,
    ratio: round(leastSeconds / seconds, 3),
    posted: texts.length,
    duplicates: texts.length - distinct.size,
    lost: MESSAGES - distinct.size,
  };
}

/** Most of `times` (sorted) within any 1000 ms, as the simulator's sliding second counts. */
function busiest(times: readonly number[]): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while ((times[last] as number) - (times[first] as number) >= 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

const rows: Row[] = [];
for (const { name, chaos } of SCENARIOS) rows.push(await scenario(name, chaos));

console.log(
  `Lark messages: ${MESSAGES} to ${CHATS} chats and ${PEOPLE} people; limits ${LARK_APP_LIMIT.qps}/s and ${LARK_APP_LIMIT.qpm}/min per app, ${LARK_TARGET_LIMIT.qps}/s per chat or person`,
);
console.table(
  rows.map((r) => ({
    scenario: r.scenario,
    sends: r.sends,
    'lost answers': r.lostAnswers,
    refusals: r.refusals,
    seconds: r.seconds,
    'busiest second': r.busiestSecond,
    'sends/s': r.rate,
    'ratio to allowed': r.ratio,
    duplicates: r.duplicates,
    lost: r.lost,
  })),
);
const ok = rows.every((r) => r.refusals === 0 && r.ratio >= 0.9 && r.duplicates === 0 && r.lost === 0);
console.log(ok ? 'goals met: 0 refusals, ratio ≥ 0.9, 0 duplicates, 0 lost' : 'GOALS NOT MET');
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(
  RESULTS,
  `${JSON.stringify(
    {
      bench: 'lark-messages',
      at: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      limits: { app: LARK_APP_LIMIT, target: LARK_TARGET_LIMIT },
      goals: { refusals: 0, ratio: 0.9, duplicates: 0, lost: 0 },
      ok,
      rows,
    },
    null,
    2,
  )}\n`,
);
if (!ok) process.exitCode = 1;
