/**
 * POST /chat/cards through the front door: the engine on its built-in simulator sends a card
 * from a rule, the simulator's click pushes Lark's card.action.trigger to the engine, and a
 * `card_action` rule comments on the card's work item.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { ENCRYPT_KEY, encrypted, VERIFICATION_TOKEN } from '../fixtures/chat/lark-events.ts';
import { simUser } from '../fixtures/chat/sim-user.ts';

const PAGE = `
id: page-bug
on: { event: work_item.created, work_item_type: [issue] }
do:
  - message:
      to: ${DEMO_CHATS.oncall}
      card:
        title: 'Bug {{work_item.name}}'
        buttons: [{ text: Take it, action: take, value: { why: triage } }]
`;

const TAKE = `
id: take-bug
on: { card_action: take }
do:
  - comment: { text: 'Taken by {{event.card.operator.user_id}} ({{event.card.value.why}}), user {{event.operator}}' }
  - update_card: { title: 'Bug taken', text: 'Take it: done by {{event.card.operator.user_id}}' }
`;

let t: TriggerTestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function cardSent(env: Record<string, string>) {
  t = await startTriggerEngine({
    rules: { 'page-bug.yaml': PAGE, 'take-bug.yaml': TAKE },
    env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, ...env },
  });
  const sim = t.engine.simulator!;
  const alice = simUser(sim);
  await alice.createIssue('Login crash');
  await alice.close();
  await sim.webhooksIdle();
  await t.engine.idle();
  const [card] = sim.larkMessages();
  const id = String(sim.state.work_items.find((w) => w.name === 'Login crash')?.id);
  return { sim, messageId: card!.message_id, id };
}

function commentsOn(id: string): string[] {
  return t!.engine
    .simulator!.state.comments.filter((c) => String(c.work_item_id) === id)
    .map((c) => c.content);
}

async function postCards(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${t!.engine.url}/chat/cards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.each([
  ['plain', {}],
  ['encrypted and signed', { LARK_ENCRYPT_KEY: ENCRYPT_KEY }],
])('a card click (%s)', (_name, env: Record<string, string>) => {
  it('is stored as card.action, runs the card_action rule once, and a redelivery applies nothing twice', async () => {
    const { sim, messageId, id } = await cardSent(env);
    sim.setCardCallback({
      url: `${t!.engine.url}/chat/cards`,
      verification_token: VERIFICATION_TOKEN,
      ...(env.LARK_ENCRYPT_KEY ? { encrypt_key: env.LARK_ENCRYPT_KEY } : {}),
    });
    const click = await sim.clickCard({ message_id: messageId, button: 'take', user: '7400000000000000003' });
    expect(click.status).toBe(200);
    const eventId = `card:${click.event_id}`;
    expect(click.answer).toMatchObject({ ok: true, eventId });
    const stored = await t!.engine.stores.events.get(eventId);
    expect(stored?.event).toMatchObject({
      type: 'card.action',
      projectKey: sim.credentials.projectKey,
      workItem: { id, typeKey: 'issue' },
      card: {
        action: 'take',
        value: { why: 'triage' },
        operator: { user_id: 'bob' },
        chat: DEMO_CHATS.oncall,
        message: messageId,
      },
    });
    await t!.engine.idle();
    expect(commentsOn(id)).toEqual(['Taken by bob (triage), user 7400000000000000003']);
    const updated = () => sim.larkMessages().find((m) => m.message_id === messageId);
    expect(updated()).toMatchObject({
      updates: 1,
      content: {
        config: { update_multi: true },
        header: { title: { content: 'Bug taken' } },
        elements: [{ tag: 'div', text: { content: 'Take it: done by bob' } }],
      },
    });

    const again = await fetch(`${sim.baseUrl}/_sim/lark/callbacks/${click.id}/redeliver`, { method: 'POST' });
    expect(((await again.json()) as { answer: unknown }).answer).toMatchObject({ eventId, duplicate: true });
    await t!.engine.idle();
    expect(commentsOn(id)).toEqual(['Taken by bob (triage), user 7400000000000000003']);
    expect(updated()?.updates).toBe(1);
  });
});

describe('card callbacks refused', () => {
  const click = (token: string) => ({
    schema: '2.0',
    header: { event_id: 'ev-forged', token, event_type: 'card.action.trigger' },
    event: {
      operator: { open_id: 'ou_x' },
      action: { tag: 'button', value: { autopilot: 1, action: 'take' } },
      context: { open_message_id: 'om_x', open_chat_id: 'oc_x' },
    },
  });

  it('a wrong verification token is 401 and nothing is stored', async () => {
    t = await startTriggerEngine({
      rules: { 'take-bug.yaml': TAKE },
      env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
    });
    const answer = await postCards(click('forged'));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 'AP_UNAUTHORIZED' } });
    expect(await t.engine.stores.events.get('card:ev-forged')).toBeUndefined();
    expect(
      (await postCards({ type: 'url_verification', challenge: 'c-1', token: VERIFICATION_TOKEN })).body,
    ).toEqual({ challenge: 'c-1' });
  });

  it('with an encrypt key: a plain or an unsigned body is 401 and nothing is stored', async () => {
    t = await startTriggerEngine({
      rules: { 'take-bug.yaml': TAKE },
      env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, LARK_ENCRYPT_KEY: ENCRYPT_KEY },
    });
    expect((await postCards(click(VERIFICATION_TOKEN))).status).toBe(401);
    expect((await postCards(encrypted(click(VERIFICATION_TOKEN)))).status).toBe(401);
    expect(await t.engine.stores.events.get('card:ev-forged')).toBeUndefined();
  });

  it('an action no rule has is stored, and no rule matches it', async () => {
    t = await startTriggerEngine({
      rules: { 'take-bug.yaml': TAKE },
      env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
    });
    const body = click(VERIFICATION_TOKEN);
    (body.event.action.value as Record<string, unknown>).action = 'nobody-handles-this';
    const answer = await postCards(body);
    expect(answer).toMatchObject({ status: 200, body: { ok: true, eventId: 'card:ev-forged' } });
    await t.engine.idle();
    expect(await t.engine.stores.runs.list({ eventId: 'card:ev-forged' })).toEqual([]);
    const audit = await t.engine.stores.audit.query({ eventId: 'card:ev-forged' });
    expect(audit.map((a) => [a.kind, a.detail])).toEqual([
      ['event.processed', expect.objectContaining({ type: 'card.action', candidates: 0, matchedRules: [] })],
    ]);
  });
});
