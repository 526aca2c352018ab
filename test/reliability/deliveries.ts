/**
 * Duplicated and reordered deliveries: every webhook is sent 1–5 times, all copies shuffled and
 * sent concurrently. Each event must have its effect once, and on each work item the effects must
 * come in the engine's event order (the lane's FIFO: the order its runs were queued in).
 */
import { createdWebhook, deliver } from './support/feishu-webhook.ts';
import { between, expectThat, newRow, runsOf, waitUntil, type Row } from './support/figures.ts';
import { createWorld, FIRST_EXTRA_ISSUE } from './support/world.ts';

export interface DeliveryOptions {
  events: number;
  concurrency: number;
}

const MARKER = 'order-mark';
const RULE = `id: order-mark
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: "${MARKER} {{event.id}}" }
`;
// At most 15 events per work item: under the run breaker (20 runs a minute per rule and item).
const EVENTS_PER_ITEM = 15;

export async function runDeliveries(options: DeliveryOptions): Promise<Row> {
  const issues = Math.ceil(options.events / EVENTS_PER_ITEM);
  const row = newRow(
    'duplicates and reordering',
    `${options.events} events on ${issues} work items, ${options.concurrency} concurrent`,
    'each delivered 1–5 times, shuffled',
  );
  const world = await createWorld({ rules: { 'order-mark.yaml': RULE }, extraIssues: issues });
  try {
    const engine = await world.startEngine();
    const copies: Array<{ uuid: string; body: unknown }> = [];
    for (let i = 0; i < options.events; i += 1) {
      const uuid = `order-${i}`;
      const body = createdWebhook(uuid, { id: FIRST_EXTRA_ISSUE + (i % issues), type: 'issue' });
      for (let n = between(1, 5); n > 0; n -= 1) copies.push({ uuid, body });
    }
    shuffle(copies);
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < copies.length) {
          const copy = copies[next++] as (typeof copies)[number];
          const { status } = await deliver(engine.url, copy.body);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    row.load += `, ${copies.length} deliveries`;
    row.notes.push(`answers: ${[...statuses].map(([s, n]) => `${s} × ${n}`).join(', ')}`);
    expectThat(
      row,
      [...statuses.keys()].every((s) => s >= 200 && s < 300),
      'a delivery was not answered 2xx',
    );

    const done = await waitUntil(async () => {
      const runs = await runsOf(world, 'order-mark');
      return (
        runs.length >= options.events && runs.every((r) => r.state === 'succeeded' || r.state === 'dead')
      );
    }, 300_000);
    expectThat(row, done, 'runs still open after 300 s');
    checkEffects(row, world.sim.tenant.data.comments, options.events, await runsOf(world, 'order-mark'));
  } finally {
    await world.close();
  }
  return row;
}

function checkEffects(
  row: Row,
  comments: ReadonlyArray<{ content: string; work_item_id: number }>,
  events: number,
  runs: Awaited<ReturnType<typeof runsOf>>,
): void {
  const seen = new Map<string, number>();
  const effectOrder = new Map<number, string[]>();
  for (const c of comments) {
    if (!c.content.startsWith(MARKER)) continue;
    const uuid = c.content.slice(MARKER.length + 1).replace(/^feishu:/, '');
    seen.set(uuid, (seen.get(uuid) ?? 0) + 1);
    effectOrder.set(c.work_item_id, [...(effectOrder.get(c.work_item_id) ?? []), uuid]);
  }
  row.appliedTwice = [...seen.values()].filter((n) => n > 1).length;
  row.lost = events - seen.size;
  // Runs come back in queue order; per lane that is the order the engine took the events in.
  const queueOrder = new Map<number, string[]>();
  for (const r of runs) {
    const item = Number(r.run.lane.split(':')[1]);
    queueOrder.set(item, [...(queueOrder.get(item) ?? []), r.run.eventId.replace(/^feishu:/, '')]);
  }
  const outOfOrder = [...queueOrder].filter(
    ([item, order]) => JSON.stringify(order) !== JSON.stringify(effectOrder.get(item) ?? []),
  );
  row.notes.push(`${seen.size} effects for ${events} events; ${outOfOrder.length} work items out of order`);
  expectThat(row, row.lost === 0, `${row.lost} events without their effect`);
  expectThat(row, row.appliedTwice === 0, `${row.appliedTwice} events applied twice`);
  expectThat(
    row,
    outOfOrder.length === 0,
    `effects out of queue order on items ${outOfOrder.map(([i]) => i)}`,
  );
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
