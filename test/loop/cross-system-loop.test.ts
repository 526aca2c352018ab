/**
 * A real cross-system loop: a rule of ours raises priority, an automation rule hosted by the
 * simulator (as Feishu Project's own automation would) lowers it back, the rule fires again.
 * The engine learns from the operation records that the change came from the automation,
 * follows the chain across it, and stops it within 3 cycles with one audit record naming both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { startTestEngine, type TestEngine } from '../serve/support/engine-harness.ts';
import { simClient, type SimClient } from '../serve/support/sim-client.ts';
import { userToken } from '../support/sim-user-token.ts';

const ESCALATE = `id: escalate
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

const USERS_ONLY = `id: users-only
on:
  event: work_item.updated
  project: [demo]
when:
  all:
    - { fact: origin, path: kind, operator: equal, value: user }
do:
  - comment: { text: 'a person changed {{change.field}} ({{origin.id}})' }
`;

const AUTOMATION = '7500000000000000001';
const ISSUE = '6437110005';
let t: TestEngine | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

type Sim = NonNullable<TestEngine['engine']['simulator']>;

async function start(
  rules: Record<string, string>,
  configYaml?: string,
): Promise<{ sim: Sim; alice: SimClient }> {
  t = await startTestEngine({ rules, ...(configYaml ? { configYaml } : {}) });
  const sim = t.engine.simulator as Sim;
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  return { sim, alice };
}

/** Until the engine, the simulator's webhooks and its automation rules have nothing left to do. */
async function settle(sim: Sim): Promise<void> {
  for (let quiet = 0; quiet < 2;) {
    const before = sim.state.op_records.length;
    await sim.webhooksIdle();
    await t?.engine.idle();
    quiet = sim.state.op_records.length === before ? quiet + 1 : 0;
  }
}

describe('a loop through a Feishu automation rule', () => {
  it.each([
    { maxCycles: undefined, expected: 3 },
    { maxCycles: 4, expected: 5 },
  ])(
    'is stopped after $expected cycles (loop.maxAutomationCycles $maxCycles), with one loop_stopped record naming both rules',
    async ({ maxCycles, expected }) => {
      const config = maxCycles === undefined ? undefined : `loop:\n  maxAutomationCycles: ${maxCycles}\n`;
      const { sim, alice } = await start({ 'escalate.yaml': ESCALATE }, config);
      sim.registerAutomation({
        id: AUTOMATION,
        on_field: 'priority',
        to: 'P0',
        by: ['plugin'],
        set: [{ field_key: 'priority', field_value: { value: 'P2' } }],
      });
      const answer = await alice.call('PUT', `/open_api/demo/work_item/issue/${ISSUE}`, {
        update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }],
      });
      expect(answer.err_code).toBe(0);
      await settle(sim);

      const cycles = sim.automationRuns().filter((r) => r.rule_id === AUTOMATION && r.outcome === 'applied');
      // Default 2: the rule answers the automation twice; its third answer is stopped (3 cycles).
      expect(cycles.length).toBe(expected);
      const ours = sim.state.op_records.filter(
        (r) => r.operator === sim.credentials.userKey && r.op_record_module === 'field_mod',
      );
      expect(ours).toHaveLength(cycles.length);
      const stopped = await (t as TestEngine).engine.stores.audit.query({ kind: 'loop_stopped' });
      expect(stopped).toHaveLength(1);
      expect(stopped[0]).toMatchObject({
        ruleId: 'escalate',
        detail: { reason: 'automation_loop', rule: 'escalate', automationRule: AUTOMATION },
      });
    },
  );

  it('lets rules filter on the origin: a person fires the rule, the automation does not', async () => {
    const { sim } = await start({ 'users-only.yaml': USERS_ONLY });
    sim.registerAutomation({
      id: AUTOMATION,
      on_field: 'priority',
      to: 'P1',
      set: [{ field_key: 'field_severity', field_value: { value: 'minor' } }],
    });
    // A person with a user token (operator_type user), not through a plugin.
    const token = await userToken(sim, USERS.bob);
    const put = await fetch(`${sim.baseUrl}/open_api/demo/work_item/issue/${ISSUE}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-plugin-token': token },
      body: JSON.stringify({ update_fields: [{ field_key: 'priority', field_value: { value: 'P1' } }] }),
    });
    expect(((await put.json()) as { err_code: number }).err_code).toBe(0);
    await settle(sim);
    const comments = sim.state.comments.filter(
      (c) => String(c.work_item_id) === ISSUE && c.content.startsWith('a person'),
    );
    expect(comments.map((c) => c.content)).toEqual([`a person changed priority (${USERS.bob})`]);
    expect(sim.automationRuns()).toHaveLength(1);
  });
});
