/**
 * After a card_action rule's run the engine updates the clicked card in place (unless the rule
 * does with update_card), and a button's rule runs once per card however many people click it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { VERIFICATION_TOKEN } from '../fixtures/chat/lark-events.ts';
import { itemId, simUser } from '../fixtures/chat/sim-user.ts';

const PAGE = `
id: page-bug
on: { event: work_item.created, work_item_type: [issue] }
do:
  - message:
      to: ${DEMO_CHATS.oncall}
      card:
        title: 'Bug {{work_item.name}}'
        buttons: [{ text: Take it, action: take }]
`;

const TAKE = `
id: take-bug
on: { card_action: take }
do:
  - comment: { text: 'Taken by {{event.operator}}' }
`;

let t: TriggerTestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('a card_action rule without update_card', () => {
  it('ends by updating the card in place, and a second click by someone else runs nothing', async () => {
    t = await startTriggerEngine({
      rules: { 'page-bug.yaml': PAGE, 'take-bug.yaml': TAKE },
      env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
    });
    const sim = t.engine.simulator!;
    sim.setCardCallback({ url: `${t.engine.url}/chat/cards`, verification_token: VERIFICATION_TOKEN });
    const alice = simUser(sim);
    await alice.createIssue('Login crash');
    await alice.close();
    await sim.webhooksIdle();
    await t.engine.idle();
    const [card] = sim.larkMessages();
    const id = itemId(sim, 'Login crash');

    // Two people click before the engine has run anything: one run.
    await Promise.all([
      sim.clickCard({ message_id: card!.message_id, button: 'take', user: '7400000000000000003' }),
      sim.clickCard({ message_id: card!.message_id, button: 'take', user: '7400000000000000004' }),
    ]);
    await t.engine.idle();
    const comments = sim.state.comments.filter((c) => String(c.work_item_id) === id).map((c) => c.content);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatch(/^Taken by 740000000000000000[34]$/);
    const updated = sim.larkMessages().find((m) => m.message_id === card!.message_id);
    expect(updated?.updates).toBe(1);
    const content = JSON.stringify(updated?.content);
    expect(content).toMatch(/\*\*take\*\*: done by (bob|carol) at \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)/);
    expect(content).not.toContain('Take it');
    expect(
      await t.engine.stores.runs.list({ ruleId: 'take-bug', state: ['succeeded', 'queued', 'running'] }),
    ).toHaveLength(1);
  });
});
