/**
 * Messages under load and faults: Lark's per-chat limit held by the limiter (no refusals), a
 * lost answer retried without a second post, and people looked up once for many messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { simUser } from '../fixtures/chat/sim-user.ts';

let t: TriggerTestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const RULE = `
id: page
on: { event: work_item.created, work_item_type: [issue] }
retry: { base_delay: 10ms, max_delay: 50ms }
do:
  - message:
      to: [${DEMO_CHATS.oncall}, '7400000000000000003']
      text: 'New bug {{work_item.name}} from {{event.operator | name}}'
`;

async function fileBugs(count: number, chaos?: Record<string, number>) {
  // The drift watch off: its own user/query (the rule's user keys) would count with the message's.
  t = await startTriggerEngine({ rules: { 'page.yaml': RULE }, configYaml: 'drift:\n  enabled: false\n' });
  const sim = t.engine.simulator!;
  const alice = simUser(sim);
  for (let i = 0; i < count; i++) await alice.createIssue(`Bug ${i}`);
  await alice.close();
  if (chaos) sim.setChaos(chaos);
  await sim.webhooksIdle();
  await t.engine.idle();
  sim.setChaos({});
  return sim;
}

describe('message delivery', () => {
  it("keeps to Lark's 5 per second per chat and per person: no message refused", async () => {
    const sim = await fileBugs(7);
    expect(sim.larkMessages().filter((m) => m.chat_id === DEMO_CHATS.oncall)).toHaveLength(7);
    expect(sim.larkMessages().filter((m) => m.receive_id === 'on_7400000000000000003')).toHaveLength(7);
    expect(sim.requests({ route: 'lark.message.create', err_code: 230020 })).toEqual([]);
    expect(sim.requests({ route: 'lark.message.create', err_code: 99991400 })).toEqual([]);
    // Fourteen messages, two people to look up, one user/query (cached afterwards).
    expect(sim.requests({ route: 'user.query' })).toHaveLength(1);
  });

  it('retries a send whose answer was lost without posting it twice', async () => {
    const sim = await fileBugs(4, { lostResponse: 0.5, seed: 3 });
    expect(sim.requests({ route: 'lark.message.create', outcome: 'lost' }).length).toBeGreaterThan(0);
    const sent = sim.larkMessages();
    expect(sent).toHaveLength(8);
    expect(new Set(sent.map((m) => `${m.receive_id}|${(m.content as { text: string }).text}`)).size).toBe(8);
    expect(await t!.engine.stores.runs.list({ state: 'dead' })).toEqual([]);
  });
});
