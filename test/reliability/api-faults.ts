/**
 * API faults: the simulator answers 50006, gateway 5xx pages, applies writes and then loses the
 * response, and delays some answers. Every planned action must end applied exactly once, or be
 * dead-lettered with its reason; none may vanish.
 */
import { createdWebhook } from './support/feishu-webhook.ts';
import { expectThat, newRow, runsOf, waitUntil, type Row } from './support/figures.ts';
import { startLoad } from './support/load.ts';
import { createWorld, FIRST_EXTRA_ISSUE } from './support/world.ts';

export interface FaultOptions {
  /** Actions in all (two per event). */
  actions: number;
  /** How long runs may take to finish once the events are in. */
  drainMs: number;
}

const MARKER = 'fault-mark';
const RULE = `id: fault-mark
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: "${MARKER} {{event.id}} 1" }
  - comment: { text: "${MARKER} {{event.id}} 2" }
`;
const ISSUES = 100;
export const CHAOS = {
  error50006: 0.1,
  http5xx: 0.05,
  lostResponse: 0.05,
  latencyMs: 1500,
  latencyRate: 0.02,
  seed: 7,
};

export async function runApiFaults(options: FaultOptions): Promise<Row> {
  const events = Math.ceil(options.actions / 2);
  const row = newRow(
    'API faults',
    `${events} events × 2 comments = ${events * 2} actions, 10 events/s`,
    '10% 50006, 5% HTTP 5xx, 5% lost after apply, 2% +1.5 s latency',
  );
  const world = await createWorld({ rules: { 'fault-mark.yaml': RULE }, extraIssues: ISSUES });
  try {
    const engine = await world.startEngine();
    world.sim.setChaos(CHAOS);
    const load = startLoad({
      baseUrl: engine.url,
      rate: 10,
      body: (i) =>
        i < events
          ? createdWebhook(`fault-${i}`, { id: FIRST_EXTRA_ISSUE + (i % ISSUES), type: 'issue' })
          : createdWebhook(`fault-idle-${i}`, { id: 6437110001, type: 'story' }),
    });
    await waitUntil(() => load.stats.sent >= events, 600_000);
    await load.finish();
    const finished = await waitUntil(async () => {
      const runs = await runsOf(world, 'fault-mark');
      return runs.length >= events && runs.every((r) => r.state === 'succeeded' || r.state === 'dead');
    }, 600_000);
    world.sim.setChaos({});
    if (!finished) {
      const open = (await runsOf(world, 'fault-mark')).filter(
        (r) => r.state !== 'succeeded' && r.state !== 'dead',
      );
      const sample = open[0]?.run.eventId ?? '';
      const trace = await (await world.admin(`/api/events/${sample}/trace`)).text();
      row.failures.push(
        `${open.length} runs still open after ${options.drainMs / 1000} s, e.g. ${trace.slice(-3000)}`,
      );
    }

    const applied = new Map<string, number>();
    for (const c of world.sim.tenant.data.comments) {
      if (c.content.startsWith(MARKER)) applied.set(c.content, (applied.get(c.content) ?? 0) + 1);
    }
    const runs = await runsOf(world, 'fault-mark');
    let exactlyOnce = 0;
    let deadLettered = 0;
    let deadWithoutReason = 0;
    const reasons = new Set<string>();
    for (let i = 0; i < events; i += 1) {
      const run = runs.find((r) => r.run.eventId === `feishu:fault-${i}`);
      for (const action of [1, 2]) {
        const count = applied.get(`${MARKER} feishu:fault-${i} ${action}`) ?? 0;
        if (count === 1) exactlyOnce += 1;
        if (count > 1) row.appliedTwice += 1;
        const dead = run?.state === 'dead' && run.nextAction <= action - 1;
        if (dead) {
          deadLettered += 1;
          if (!run.lastError?.message) deadWithoutReason += 1;
          else reasons.add(`${run.lastError.code}: ${run.lastError.message}`);
        }
        if (count === 0 && !dead) row.lost += 1;
      }
    }
    const faults = countFaults(world.sim.requests());
    row.notes.push(
      `${exactlyOnce} actions applied exactly once, ${deadLettered} dead-lettered (${deadWithoutReason} without a reason)`,
      ...[...reasons].map((reason) => `dead-letter reason: ${reason}`),
      `faults injected: ${Object.entries(faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    expectThat(row, row.lost === 0, `${row.lost} actions neither applied nor dead-lettered`);
    expectThat(row, row.appliedTwice === 0, `${row.appliedTwice} actions applied twice`);
    expectThat(row, deadWithoutReason === 0, `${deadWithoutReason} dead letters without a reason`);
    expectThat(row, exactlyOnce + deadLettered >= events * 2, 'some actions unaccounted for');
  } finally {
    await world.close();
  }
  return row;
}

function countFaults(requests: ReadonlyArray<{ outcome?: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) {
    if (r.outcome && r.outcome !== 'answered') counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  }
  return counts;
}
