/**
 * The built-in simulator's webhook token is public (`sim-webhook-token`, in its README): with
 * FEISHU_WEBHOOK_TOKEN set, only the configured token is taken, also while the engine runs on
 * the built-in simulator, and the simulator's own pushes carry the configured token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const CONFIGURED = 'configured-webhook-token-for-tests';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ env: { FEISHU_WEBHOOK_TOKEN: CONFIGURED } });
});
afterAll(async () => {
  await t.close();
});

async function post(token: string, uuid: string): Promise<number> {
  const response = await fetch(`${t.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      header: { event_type: 'WorkitemCreateEvent', token, uuid },
      payload: { id: 6437110004, project_key: 'demo', work_item_type_key: 'issue' },
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('FEISHU_WEBHOOK_TOKEN set, no Feishu credentials (built-in simulator)', () => {
  it("refuses the simulator's public token: 401, nothing stored", async () => {
    expect(t.engine.simulator).toBeDefined();
    expect(await post('sim-webhook-token', 'public-token')).toBe(401);
    expect(await t.engine.stores.events.get('feishu:public-token')).toBeUndefined();
  });

  it('takes the configured token', async () => {
    expect(await post(CONFIGURED, 'configured-token')).toBe(202);
  });

  it("stores the simulator's own pushes, which now carry the configured token", async () => {
    const sim = t.engine.simulator!;
    const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
    const created = await alice.call('POST', '/open_api/demo/work_item/create', {
      work_item_type_key: 'issue',
      name: 'pushed with the configured token',
    });
    expect(created.err_code).toBe(0);
    await sim.webhooksIdle();
    const delivery = sim
      .deliveries()
      .find((d) => JSON.stringify(d.body).includes('pushed with the configured token'));
    expect(delivery).toMatchObject({ status: 'delivered', response_status: 202 });
    expect(JSON.stringify(delivery?.body)).toContain(CONFIGURED);
    await t.engine.idle();
    expect(await t.engine.stores.events.get(`feishu:${delivery?.uuid}`)).toBeDefined();
  });
});
