/**
 * Cross-system loops: a rule raises an issue's priority, an automation rule hosted by the
 * simulator (standing in for Feishu Project's own) lowers it back, the rule fires again. On
 * each of 20 work items such a loop is started at once; every one must stop within 3 cycles,
 * with exactly one loop_stopped audit record naming both rules.
 */
import { join } from 'node:path';
import { USERS } from '../../src/simulator/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { expectThat, newRow, waitUntil, type Row } from './support/figures.ts';
import { userToken } from '../support/sim-user-token.ts';
import { createWorld, FIRST_EXTRA_ISSUE, WEBHOOK_TOKEN, type World } from './support/world.ts';

export interface LoopOptions {
  loops: number;
}

const AUTOMATION = '7500000000000000009';
const RULE = `id: escalate-p2
on:
  event: work_item.updated
  project: [demo]
  work_item_type: [issue]
when:
  all:
    - { fact: change, operator: changedTo, value: { field: priority, value: P2 } }
do:
  - update_fields: { fields: { priority: P0 } }
`;

export async function runAutomationLoops(options: LoopOptions): Promise<Row> {
  const row = newRow(
    'cross-system loops',
    `${options.loops} loops, ten started a second, each through a Feishu automation rule`,
    'the automation answers every write of ours',
  );
  const world = await createWorld({ rules: { 'escalate-p2.yaml': RULE }, extraIssues: options.loops });
  try {
    const engine = await world.startEngine();
    world.sim.registerWebhook({ url: `${engine.url}/webhooks/feishu`, token: WEBHOOK_TOKEN });
    world.sim.registerAutomation({
      id: AUTOMATION,
      on_field: 'priority',
      to: 'P0',
      by: ['plugin'],
      set: [{ field_key: 'priority', field_value: { value: 'P2' } }],
    });
    // A person with a user token (its own rate budget), ten loops started a second.
    const token = await userToken(world.sim, USERS.alice);
    for (let i = 0; i < options.loops; i += 1) {
      await start(world, token, FIRST_EXTRA_ISSUE + i);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Settled: no operation record for a few seconds (the loops have ended, one way or another).
    let last = -1;
    let quietSince = Date.now();
    await waitUntil(() => {
      const now = world.sim.state.op_records.length;
      if (now !== last) [last, quietSince] = [now, Date.now()];
      return Date.now() - quietSince > 3000;
    }, 120_000);
    const stopped = await loopRecords(world);
    let within = 0;
    let worst = 0;
    for (let i = 0; i < options.loops; i += 1) {
      const id = FIRST_EXTRA_ISSUE + i;
      const cycles = world.sim
        .automationRuns()
        .filter((r) => r.work_item_id === id && r.outcome === 'applied').length;
      worst = Math.max(worst, cycles);
      const records = stopped.filter((r) => r.workItem?.endsWith(`:${id}`));
      const named =
        records.length === 1 &&
        records[0]?.ruleId === 'escalate-p2' &&
        records[0]?.detail?.automationRule === AUTOMATION;
      if (cycles <= 3 && named) within += 1;
    }
    row.notes.push(
      `${within} of ${options.loops} loops stopped within 3 cycles with one record naming both rules; most cycles ${worst}`,
    );
    expectThat(
      row,
      within === options.loops,
      `${options.loops - within} loops not stopped as they should be`,
    );
    expectThat(
      row,
      stopped.length === options.loops,
      `${stopped.length} loop_stopped records for ${options.loops} loops`,
    );
  } finally {
    await world.close();
  }
  return row;
}

/** A person sets priority P2, which the rule answers with P0. */
async function start(world: World, token: string, id: number): Promise<void> {
  const answer = await fetch(`${world.sim.baseUrl}/open_api/demo/work_item/issue/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-plugin-token': token },
    body: JSON.stringify({ update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }] }),
  });
  const { err_code: code } = (await answer.json()) as { err_code: number };
  if (code !== 0) throw new Error(`starting the loop on ${id} was refused (${code})`);
}

async function loopRecords(world: World) {
  const stores = await openSqliteStores({ path: join(world.dir, 'data', 'autopilot.db') });
  try {
    return await stores.audit.query({ kind: 'loop_stopped', limit: 10_000 });
  } finally {
    await stores.close();
  }
}
