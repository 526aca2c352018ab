/**
 * Crashes: the engine is killed with SIGKILL at random moments while webhooks keep coming at a
 * steady rate, and restarted each time. Every event answered 2xx must be processed in the end,
 * every comment the rules plan must be applied exactly once, and no run may be left unfinished.
 */
import { createdWebhook, WORK_ITEMS } from './support/feishu-webhook.ts';
import { between, expectThat, newRow, runsOf, waitUntil, type Row } from './support/figures.ts';
import { startLoad } from './support/load.ts';
import { createWorld, FIRST_EXTRA_ISSUE, type World } from './support/world.ts';

export interface CrashOptions {
  kills: number;
  rate: number;
}

const MARKER = 'crash-mark';
// Issues get a comment, stories do not: one event in `writeEvery` writes, which keeps the writes
// under the Open API's 15/s per endpoint while every event still has to be stored and processed.
const RULE = `id: crash-mark
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: "${MARKER} {{event.id}}" }
`;

export async function runCrashes(options: CrashOptions): Promise<Row> {
  const row = newRow('crashes', `${options.rate} events/s`, `${options.kills} × kill -9 + restart`);
  const writeEvery = Math.max(2, Math.ceil(options.rate / 12.5));
  const world = await createWorld({ rules: { 'crash-mark.yaml': RULE }, extraIssues: ISSUES });
  try {
    const engine = await world.startEngine();
    const load = startLoad({
      baseUrl: engine.url,
      rate: options.rate,
      body: (i) => createdWebhook(`crash-${i}`, itemFor(i, writeEvery)),
    });
    const restarts: number[] = [];
    for (let kill = 0; kill < options.kills; kill += 1) {
      await sleep(between(500, 2500));
      await world.engine?.kill9();
      const t0 = Date.now();
      await world.startEngine();
      restarts.push(Date.now() - t0);
    }
    await load.finish();
    const { stats } = load;
    row.load = `${options.rate} events/s, ${stats.sent} events, ${stats.deliveries} deliveries`;
    row.notes.push(
      `${stats.failedDeliveries} deliveries refused or cut by a kill (sent again, as Feishu retries)${stats.timedOut > 0 ? `, ${stats.timedOut} of them answered 408 by the restarted engine's header timeout` : ''}`,
      `restart to healthy: median ${median(restarts)} ms`,
    );
    expectThat(row, stats.badStatuses.size === 0, `unexpected statuses ${[...stats.badStatuses]}`);
    await checkOutcome(world, row, stats.sent, stats.accepted, writeEvery);
  } finally {
    await world.close();
  }
  return row;
}

const ISSUES = 100;

const writes = (i: number, writeEvery: number) => i % writeEvery === writeEvery - 1;

function itemFor(i: number, writeEvery: number) {
  // One event in `writeEvery` is on one of many issues, the rest on the two stories.
  if (writes(i, writeEvery))
    return { id: FIRST_EXTRA_ISSUE + (Math.floor(i / writeEvery) % ISSUES), type: 'issue' };
  return WORK_ITEMS[i % 2] as (typeof WORK_ITEMS)[number];
}

async function checkOutcome(
  world: World,
  row: Row,
  sent: number,
  accepted: Set<string>,
  writeEvery: number,
): Promise<void> {
  const writers = [...accepted].filter((uuid) => writes(Number(uuid.slice('crash-'.length)), writeEvery));
  const countComments = () => {
    const counts = new Map<string, number>();
    for (const c of world.sim.tenant.data.comments) {
      if (!c.content.startsWith(MARKER)) continue;
      // The rule writes the namespaced event id (feishu:<uuid>); the load knows the uuid.
      const id = c.content.slice(MARKER.length + 1).replace(/^feishu:/, '');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };
  const drained = await waitUntil(async () => {
    const counts = countComments();
    if (writers.some((uuid) => !counts.has(uuid))) return false;
    return (await unfinishedRuns(world)).length === 0;
  }, 600_000);
  expectThat(row, drained, 'the engine did not drain within 600 s');

  const counts = countComments();
  const missingEffects = writers.filter((uuid) => !counts.has(uuid));
  row.appliedTwice = [...counts.values()].filter((n) => n > 1).length;
  const unprocessed = await unprocessedEvents(world, [...accepted]);
  row.lost = new Set([...missingEffects, ...unprocessed]).size;
  const unfinished = await unfinishedRuns(world);
  row.notes.push(
    `${accepted.size}/${sent} events answered 2xx; ${writers.length} comments expected, ${counts.size} applied`,
    `${unfinished.length} runs queued, running or dead at the end`,
  );
  expectThat(row, accepted.size === sent, `${sent - accepted.size} events never accepted`);
  if (row.lost > 0) {
    const sample = [...missingEffects, ...unprocessed][0] as string;
    const trace = await (await world.admin(`/api/events/${sample}/trace`)).text();
    row.failures.push(`${row.lost} accepted events lost, e.g. ${sample}: ${trace.slice(0, 1500)}`);
  }
  expectThat(row, row.appliedTwice === 0, `${row.appliedTwice} comments applied twice`);
  expectThat(row, unfinished.length === 0, `${unfinished.length} runs unfinished or dead`);
}

/** Runs not succeeded, state by state (the admin API pages at 1,000; these lists stay short). */
async function unfinishedRuns(world: World) {
  const lists = await Promise.all(
    ['queued', 'running', 'dead'].map((state) => runsOf(world, 'crash-mark', state)),
  );
  return lists.flat();
}

/** Accepted events the engine does not have as processed (admin API trace). */
async function unprocessedEvents(world: World, uuids: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < uuids.length; i += 25) {
    await Promise.all(
      uuids.slice(i, i + 25).map(async (uuid) => {
        const answer = await world.admin(`/api/events/${encodeURIComponent(uuid)}/trace`);
        const story = answer.ok ? ((await answer.json()) as { event?: { processedAt?: number } }) : undefined;
        if (story?.event?.processedAt === undefined) missing.push(uuid);
      }),
    );
  }
  return missing;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
