/**
 * Missed and late webhooks: people make changes in the simulator while it drops 10% of its
 * webhook pushes and holds 5% back (a minute in long mode). The reconciler must recover every
 * dropped change from the operation records, and nothing twice: each change's effect (a comment
 * naming its change id) exactly once, the missed-webhook counter equal to the drops, each
 * recovered within one reconcile interval after it settled, and no 10429 from the API.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { translateRecords } from '../../src/records/translate-records.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { USERS } from '../../src/simulator/index.ts';
import { expectThat, newRow, waitUntil, type Row } from './support/figures.ts';
import { userToken } from '../support/sim-user-token.ts';
import { createWorld, FIRST_EXTRA_ISSUE, WEBHOOK_TOKEN, type World } from './support/world.ts';

export interface MissedOptions {
  changes: number;
  /** Changes made per second (by one person, through one user token). */
  rate: number;
  /** How long a delayed push is held back. */
  delayMs: number;
  intervalMs: number;
  settleMs: number;
}

const MARKER = 'seen';
const RULE = `id: seen
on:
  event: [work_item.updated, work_item.status_changed]
  project: [demo]
  work_item_type: [issue]
do:
  - comment: { text: "${MARKER} {{event.changeId}}" }
`;
const ISSUES = 100;

export async function runMissedWebhooks(options: MissedOptions): Promise<Row> {
  const row = newRow(
    'missed and late webhooks',
    `${options.changes} changes at ${options.rate}/s on ${ISSUES} work items; reconcile every ${options.intervalMs / 1000} s, settle ${options.settleMs / 1000} s`,
    `10% of webhook pushes dropped, 5% delayed ${options.delayMs / 1000} s`,
  );
  const config = join(tmpdir(), `autopilot-missed-${process.pid}-${Date.now()}.yaml`);
  writeFileSync(
    config,
    `reconcile:\n  intervalMs: ${options.intervalMs}\n  settleMs: ${options.settleMs}\n  maxRequestsPerSecond: 2\n`,
  );
  const world = await createWorld({
    rules: { 'seen.yaml': RULE },
    extraIssues: ISSUES,
    env: { AUTOPILOT_CONFIG: config },
  });
  try {
    const engine = await world.startEngine();
    world.sim.registerWebhook({ url: `${engine.url}/webhooks/feishu`, token: WEBHOOK_TOKEN });
    world.sim.setChaos({
      webhookDrop: 0.1,
      webhookDelayMs: options.delayMs,
      webhookDelayRate: 0.05 / 0.9,
      seed: 11,
    });
    const person = await userToken(world.sim, USERS.alice);
    // Evenly spaced, never a burst to catch up: the person stays within the API's limits too.
    let nextAt = Date.now();
    for (let i = 0; i < options.changes; i += 1) {
      if (nextAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, nextAt - Date.now()));
      nextAt = Math.max(nextAt, Date.now()) + 1000 / options.rate;
      await change(world, person, i);
    }
    const loadEnd = Date.now();
    // Every change settles, then at most one interval passes before a round has seen it.
    const expected = changeIds(world);
    const done = await waitUntil(
      () => seenCounts(world).size >= expected.size && pendingDeliveries(world) === 0,
      options.settleMs + options.intervalMs * 2 + 120_000,
    );
    const recoveredAfterMs = Date.now() - loadEnd;
    // The engine's own comments' pushes are dropped too; their changes come back in the next rounds.
    const dropsOf = () => world.sim.deliveries().filter((d) => d.status === 'dropped').length;
    await waitUntil(
      async () => (await missedCounter(world)) >= dropsOf(),
      options.settleMs + options.intervalMs * 2 + 30_000,
    );
    world.sim.setChaos({});
    const counts = seenCounts(world);
    for (const id of expected) {
      const n = counts.get(id) ?? 0;
      if (n === 0) row.lost += 1;
      if (n > 1) row.appliedTwice += 1;
    }
    const deliveries = world.sim.deliveries();
    const dropped = changesOf(deliveries.filter((d) => d.status === 'dropped'));
    const failed = changesOf(deliveries.filter((d) => d.status === 'failed'));
    const delayed = deliveries.filter((d) => d.delayed_ms !== undefined).length;
    const counter = await missedCounter(world);
    const missed = await missedRecords(world);
    const missedIds = new Set(missed.map((m) => m.eventId));
    const maxLag = Math.max(0, ...missed.map((m) => m.lagMs));
    const maxRound = longestRound(world);
    const engineUser = world.sim.credentials.userKey;
    const refused = world.sim
      .requests({ err_code: 10429 })
      .filter((r) => r.headers['x-user-key'] === engineUser);
    row.notes.push(
      `${expected.size} changes, ${counts.size} with an effect; ${dropped.size} pushes dropped, ${failed.size} failed (the engine did not answer in time), ${delayed} delayed`,
      `missed-webhook counter ${counter}: ${[...missedIds].filter((id) => dropped.has(id)).length} dropped, ${[...missedIds].filter((id) => failed.has(id)).length} failed`,
      `recovered up to ${(maxLag / 1000).toFixed(1)} s after the change (settle ${options.settleMs / 1000} s + interval ${options.intervalMs / 1000} s + the longest round ${(maxRound / 1000).toFixed(1)} s)`,
      `everything in ${(recoveredAfterMs / 1000).toFixed(0)} s after the last change; the engine got ${refused.length} × 10429`,
    );
    expectThat(row, done, 'not every change had its effect in time');
    expectThat(row, row.lost === 0, `${row.lost} changes without an effect`);
    expectThat(row, row.appliedTwice === 0, `${row.appliedTwice} changes with two effects`);
    expectThat(
      row,
      counter === missedIds.size,
      `counter ${counter}, ${missedIds.size} webhook.missed records`,
    );
    const unrecovered = [...dropped].filter((id) => !missedIds.has(id));
    expectThat(row, unrecovered.length === 0, `${unrecovered.length} dropped pushes not counted as missed`);
    const spurious = [...missedIds].filter((id) => !dropped.has(id) && !failed.has(id));
    expectThat(row, spurious.length === 0, `${spurious.length} changes counted as missed whose webhook came`);
    expectThat(row, failed.size > 0 || counter === dropped.size, `counter ${counter}, drops ${dropped.size}`);
    const allowed = options.settleMs + options.intervalMs + maxRound + 5000;
    expectThat(
      row,
      maxLag <= allowed,
      `a change was recovered ${maxLag} ms after it happened (> ${allowed})`,
    );
    expectThat(row, refused.length === 0, `the engine got ${refused.length} answers 10429`);
  } finally {
    await world.close();
  }
  return row;
}

/** A person's edit: a new resolution text each time (always a change), now and then the priority. */
async function change(world: World, token: string, i: number): Promise<void> {
  const id = FIRST_EXTRA_ISSUE + (i % ISSUES);
  const fields =
    i % 5 === 0
      ? [{ field_key: 'priority', field_value: { value: ['P1', 'P2', 'P3'][(i / 5) % 3] } }]
      : [{ field_key: 'field_resolution', field_value: `change ${i}` }];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const answer = await fetch(`${world.sim.baseUrl}/open_api/demo/work_item/issue/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-plugin-token': token },
      body: JSON.stringify({ update_fields: fields }),
    });
    const { err_code: code } = (await answer.json()) as { err_code: number };
    if (code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`change ${i} was refused five times`);
}

/** The change ids of the people's changes, from the operation records. */
function changeIds(world: World): Set<string> {
  const records = world.sim.state.op_records.filter((r) => r.operator === USERS.alice);
  const { events } = translateRecords(structuredClone(records), { engine: {} });
  return new Set(events.map((e) => e.id));
}

function seenCounts(world: World): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of world.sim.state.comments) {
    if (!c.content.startsWith(`${MARKER} `)) continue;
    const id = c.content.slice(MARKER.length + 1);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function pendingDeliveries(world: World): number {
  return world.sim.deliveries().filter((d) => d.status === 'pending').length;
}

async function missedCounter(world: World): Promise<number> {
  const text = await (await world.admin('/metrics')).text();
  return [...text.matchAll(/^autopilot_missed_webhooks_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

/** The change ids of these pushes. */
function changesOf(deliveries: ReadonlyArray<{ body: unknown }>): Set<string> {
  return new Set(
    deliveries.map((d) => normalizeFeishuWebhook(d.body, { receivedAt: 0 }).changeId ?? '').filter(Boolean),
  );
}

/** The engine's webhook.missed audit records: which change, how long after it happened. */
async function missedRecords(world: World): Promise<Array<{ eventId: string; lagMs: number }>> {
  const stores = await openSqliteStores({ path: join(world.dir, 'data', 'autopilot.db') });
  try {
    const records = await stores.audit.query({ kind: 'webhook.missed', limit: 1_000_000 });
    return records.map((r) => ({ eventId: r.eventId ?? '', lagMs: Number(r.detail?.lagMs ?? 0) }));
  } finally {
    await stores.close();
  }
}

/** The longest reconcile round the engine logged. */
function longestRound(world: World): number {
  let longest = 0;
  for (const line of world.engine?.output().split('\n') ?? []) {
    if (!line.includes('"reconciled"')) continue;
    try {
      const { rounds } = JSON.parse(line) as { rounds: Array<{ durationMs?: number }> };
      for (const r of rounds) longest = Math.max(longest, r.durationMs ?? 0);
    } catch {
      // Not a log line of ours.
    }
  }
  return longest;
}
