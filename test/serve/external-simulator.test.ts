/**
 * The engine configured only by environment variables against a simulator started on its own
 * (`autopilot sim` in a child process): a change a person makes in the simulator is pushed to
 * the engine, and the rule's API effect lands in the simulator's state.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import type { RequestRecord } from '../../src/simulator/index.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient, type SimClient } from './support/sim-client.ts';
import { startSimProcess, type SimProcess } from './support/sim-process.ts';

const rule = (name: string) => readFileSync(new URL(`../../rules/${name}`, import.meta.url), 'utf8');

let sim: SimProcess;
let t: TestEngine;
let alice: SimClient;

beforeAll(async () => {
  sim = await startSimProcess();
  t = await startTestEngine({
    rules: { 'escalate-p0-bugs.yaml': rule('escalate-p0-bugs.yaml') },
    env: {
      FEISHU_BASE_URL: sim.baseUrl,
      FEISHU_PLUGIN_ID: sim.pluginId,
      FEISHU_PLUGIN_SECRET: sim.pluginSecret,
      FEISHU_USER_KEY: sim.userKey,
      // Two tokens: a rotation in progress; the simulator sends the second.
      FEISHU_WEBHOOK_TOKEN: `previous-webhook-token-000,${sim.webhookToken}`,
    },
  });
  const registered = await fetch(`${sim.baseUrl}/_sim/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${t.url}/webhooks/feishu` }),
  });
  expect(registered.status).toBe(201);
  alice = await simClient(sim.baseUrl, sim.pluginId, sim.pluginSecret);
}, 30_000);

afterAll(async () => {
  await t?.close();
  await sim?.stop();
});

async function simRequests(route: string): Promise<RequestRecord[]> {
  const response = await fetch(`${sim.baseUrl}/_sim/requests?route=${encodeURIComponent(route)}`);
  return (await response.json()) as RequestRecord[];
}

describe('engine against a separately started simulator', () => {
  it('uses no built-in simulator when credentials are configured', () => {
    expect(t.engine.simulator).toBeUndefined();
  });

  it('a P0 bug created by a person gets the triage comment and moves to in progress', async () => {
    const created = await alice.call('POST', `/open_api/${sim.projectKey}/work_item/create`, {
      work_item_type_key: 'issue',
      name: 'Checkout returns 500',
      field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P0' } }],
    });
    expect(created.err_code).toBe(0);
    const id = String(created.data);

    const [transition] = await eventually(async () => {
      const found = await simRequests('workflow.stateChange');
      return found.length > 0 ? found : undefined;
    }, 'the rule to move the bug');
    expect(transition?.err_code).toBe(0);
    expect(transition?.path).toContain(id);
    expect(transition?.headers['x-user-key']).toBe(USERS.bot);
    const comments = await simRequests('comment.create');
    expect(comments).toHaveLength(1);
    expect(JSON.stringify(comments[0]?.body)).toContain('Checkout returns 500');

    const state = (await (await fetch(`${sim.baseUrl}/_sim/state`)).json()) as {
      work_items: Array<{ id: number | string; status: { state_key: string; updated_by: string } }>;
      comments: Array<{ work_item_id: number | string; operator: string; content: string }>;
    };
    const item = state.work_items.find((w) => String(w.id) === id);
    expect(item?.status).toMatchObject({ state_key: 'in_progress', updated_by: USERS.bot });
    const onItem = state.comments.filter((c) => String(c.work_item_id) === id);
    expect(onItem).toEqual([expect.objectContaining({ operator: USERS.bot })]);

    // The engine's own comment and transition come back as webhooks and are skipped (no allow_self).
    await t.engine.idle();
    const runs = await t.engine.stores.runs.list({ ruleId: 'escalate-p0-bugs' });
    expect(runs.map((r) => r.state)).toEqual(['succeeded']);
  });
});
