/**
 * A parked approval survives `kill -9`: the engine runs as its own process (`autopilot serve`)
 * against a simulator in this process; it posts the approval card and parks, is killed with
 * SIGKILL, and restarted on the same data. The approver's click then reaches the new process,
 * which resumes the run once: one comment, the card updated, the run succeeded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import { createdWebhook, deliver } from '../reliability/support/feishu-webhook.ts';
import { createWorld, type World } from '../reliability/support/world.ts';

const TOKEN = 'approval-kill-verification-token';
const BOB = '7400000000000000003';
const ISSUE = { id: 6437110004, type: 'issue' };
const RULE = `id: ship-it
on: { event: work_item.created, work_item_type: [issue] }
do:
  - name: signoff
    approve:
      to: ${DEMO_CHATS.oncall}
      title: 'Ship {{event.workItem.id}}?'
      approvers: ['${BOB}']
      timeout: 24h
  - comment: { text: 'shipped: {{steps.signoff.decision}} by {{steps.signoff.approver}}' }
`;

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

describe('a parked approval and kill -9', () => {
  it('is decided by a click after the engine was killed and restarted, once', async () => {
    world = await createWorld({ rules: { 'ship-it.yaml': RULE }, env: {} });
    const { sim } = world;
    Object.assign(world.env, {
      LARK_BASE_URL: sim.baseUrl,
      LARK_APP_ID: sim.credentials.larkAppId,
      LARK_APP_SECRET: sim.credentials.larkAppSecret,
      LARK_VERIFICATION_TOKEN: TOKEN,
    });
    const first = await world.startEngine();
    expect((await deliver(first.url, createdWebhook('approval-kill-1', ISSUE))).status).toBe(202);
    const card = await until('the approval card', () =>
      sim.larkMessages().find((m) => JSON.stringify(m.content).includes('"Approve"')),
    );
    const runs = async () => {
      const answer = await world!.admin('/api/runs?rule=ship-it');
      return (await answer.json()) as Array<{ state: string }>;
    };
    await until('the parked run', async () => ((await runs())[0]?.state === 'parked' ? true : undefined));

    await first.kill9();
    const second = await world.startEngine();
    sim.setCardCallback({ url: `${second.url}/chat/cards`, verification_token: TOKEN });
    expect((await runs())[0]?.state).toBe('parked');
    const click = await sim.clickCard({ message_id: card.message_id, button: 'Approve', user: BOB });
    expect(click.status).toBe(200);

    const comments = () => sim.state.comments.filter((c) => c.content.startsWith('shipped:'));
    await until('the run to succeed', async () =>
      (await runs())[0]?.state === 'succeeded' ? true : undefined,
    );
    expect(comments().map((c) => c.content)).toEqual([`shipped: approved by ${BOB}`]);
    const updated = sim.larkMessages().find((m) => m.message_id === card.message_id);
    expect(JSON.stringify(updated?.content)).toContain('Approved**');
    expect(updated?.updates).toBe(1);
  }, 120_000);
});
