/**
 * `approve:` through the front door: the engine on its built-in simulator posts an approval
 * card, parks the run, and the simulator's clicks (pushed to POST /chat/cards) decide it. The
 * decision is taken once (Lark's redelivery, two approvers at once), someone not on the
 * allow-list gets a polite reply and changes nothing, the card is updated in place, a timeout
 * rejects or continues.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { VERIFICATION_TOKEN } from '../fixtures/chat/lark-events.ts';
import { itemId, simUser } from '../fixtures/chat/sim-user.ts';

const BOB = '7400000000000000003';
const CAROL = '7400000000000000004';
const ALICE = '7400000000000000002';
const DAY = 86_400_000;

const rule = (extra = '') => `
id: ship-it
on: { event: work_item.created, work_item_type: [issue] }
do:
  - name: signoff
    approve:
      to: ${DEMO_CHATS.oncall}
      title: 'Ship {{work_item.name}}?'
      text: 'Raised by {{event.operator}}'
      approvers: ['${BOB}', '${ALICE}']
      timeout: 24h${extra}
  - comment: { text: '{{steps.signoff.decision}} by {{steps.signoff.approver}}' }
`;

let t: TriggerTestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function parkedApproval(ruleText = rule()) {
  t = await startTriggerEngine({
    rules: { 'ship-it.yaml': ruleText },
    env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
  });
  return afterStart(t);
}

async function afterStart(engine: TriggerTestEngine) {
  const sim = engine.engine.simulator!;
  sim.setCardCallback({ url: `${engine.engine.url}/chat/cards`, verification_token: VERIFICATION_TOKEN });
  const alice = simUser(sim);
  await alice.createIssue('Release 7');
  await alice.close();
  await sim.webhooksIdle();
  await engine.engine.idle();
  const [card] = sim.larkMessages();
  const [planned] = await engine.engine.stores.audit.query({ ruleId: 'ship-it', kind: 'run.planned' });
  return { sim, messageId: card!.message_id, id: itemId(sim, 'Release 7'), runId: planned!.runId! };
}

const engineOf = () => t!.engine;

function commentsOn(id: string): string[] {
  return engineOf()
    .simulator!.state.comments.filter((c) => String(c.work_item_id) === id)
    .map((c) => c.content);
}

function cardText(messageId: string): string {
  const message = engineOf()
    .simulator!.larkMessages()
    .find((m) => m.message_id === messageId);
  return JSON.stringify(message?.content);
}

function repliesTo(messageId: string): string[] {
  return engineOf()
    .simulator!.larkMessages()
    .filter((m) => m.parent_id === messageId)
    .map((m) => String((m.content as { text?: unknown }).text));
}

async function settle(): Promise<void> {
  await engineOf().idle();
  await engineOf().simulator!.webhooksIdle();
  await engineOf().idle();
}

describe('approve', () => {
  it('posts a card with Approve / Reject, parks, and an approver’s click resumes the run once', async () => {
    const { sim, messageId, id, runId } = await parkedApproval();
    expect(cardText(messageId)).toContain('Ship Release 7?');
    expect(cardText(messageId)).toContain('"Approve"');
    expect(cardText(messageId)).toContain('"Reject"');
    expect(await engineOf().stores.runs.get(runId)).toMatchObject({ state: 'parked' });

    // Carol is not on the allow-list: a polite reply, nothing changes.
    const refused = await sim.clickCard({ message_id: messageId, button: 'Approve', user: CAROL });
    expect(refused.status).toBe(200);
    await settle();
    expect(await engineOf().stores.runs.get(runId)).toMatchObject({ state: 'parked' });
    expect(repliesTo(messageId).join('\n')).toMatch(/only .* can decide "Ship Release 7\?"/);
    expect(commentsOn(id)).toEqual([]);

    const click = await sim.clickCard({ message_id: messageId, button: 'Approve', user: BOB });
    expect(click.status).toBe(200);
    await settle();
    expect(commentsOn(id)).toEqual([`approved by ${BOB}`]);
    expect(await engineOf().stores.runs.get(runId)).toMatchObject({ state: 'succeeded' });
    expect(cardText(messageId)).toMatch(/Approved\*\* by .+ at \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)/);
    expect(cardText(messageId)).not.toContain('"Reject"');

    // Lark delivers the same click again: deduped, nothing twice.
    await fetch(`${sim.baseUrl}/_sim/lark/callbacks/${click.id}/redeliver`, { method: 'POST' });
    await settle();
    expect(commentsOn(id)).toEqual([`approved by ${BOB}`]);
    const kinds = (await engineOf().stores.audit.query({ runId })).map((r) => r.kind);
    expect(kinds.filter((k) => k === 'run.woken')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'approval.clicked')).toHaveLength(2);
  });

  it('two approvers clicking at once: one decision, the other is told it was taken', async () => {
    const { sim, messageId, id, runId } = await parkedApproval();
    const clicks = await Promise.all([
      sim.clickCard({ message_id: messageId, button: 'Approve', user: BOB }),
      sim.clickCard({ message_id: messageId, button: 'Reject', user: ALICE }),
    ]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    await settle();
    const clicked = await engineOf().stores.audit.query({ runId, kind: 'approval.clicked' });
    expect(clicked.map((r) => r.detail?.outcome).sort()).toEqual(['decided', 'refused']);
    const record = await engineOf().stores.runs.get(runId);
    const decided = clicked.find((r) => r.detail?.outcome === 'decided')?.detail;
    if (decided?.decision === 'approved') {
      expect(record?.state).toBe('succeeded');
      expect(commentsOn(id)).toEqual([`approved by ${BOB}`]);
    } else {
      expect(record?.state).toBe('skipped');
      expect(commentsOn(id)).toEqual([]);
    }
    expect(repliesTo(messageId).join('\n')).toMatch(/was already (approved|rejected) by/);
  });

  it('a rejection ends the run quietly (skipped), and the card says who rejected it', async () => {
    const { sim, messageId, id, runId } = await parkedApproval();
    await sim.clickCard({ message_id: messageId, button: 'Reject', user: ALICE });
    await settle();
    const record = await engineOf().stores.runs.get(runId);
    expect(record).toMatchObject({ state: 'skipped' });
    expect(commentsOn(id)).toEqual([]);
    expect(cardText(messageId)).toMatch(/Rejected\*\* by /);
    const skipped = await engineOf().stores.audit.query({ runId, kind: 'action.skipped' });
    expect(skipped[0]?.detail).toMatchObject({
      reason: 'approval rejected',
      decision: 'rejected',
      approver: ALICE,
    });
  });

  it('a timeout rejects by default', async () => {
    const { messageId, id, runId } = await parkedApproval();
    t!.clock.advance(DAY + 1000);
    engineOf().executor.notify();
    await expect
      .poll(async () => (await engineOf().stores.runs.get(runId))?.state, { timeout: 10_000 })
      .toBe('skipped');
    expect(commentsOn(id)).toEqual([]);
    expect(cardText(messageId)).toMatch(/Timed out\*\* at .*nobody decided/);
  });

  it('with on_timeout: continue the run goes on with decision timed_out', async () => {
    const text = rule('\n      on_timeout: continue').replace(
      "'{{steps.signoff.decision}} by {{steps.signoff.approver}}'",
      "'{{steps.signoff.decision}}'",
    );
    const { id, runId } = await parkedApproval(text);
    t!.clock.advance(DAY + 1000);
    engineOf().executor.notify();
    await expect
      .poll(async () => (await engineOf().stores.runs.get(runId))?.state, { timeout: 10_000 })
      .toBe('succeeded');
    expect(commentsOn(id)).toEqual(['timed_out']);
  });

  it('approvers that render to no user key dead-letter the run with AP_APPROVAL_APPROVERS, and no card is sent', async () => {
    const text = rule().replace(`approvers: ['${BOB}', '${ALICE}']`, "approvers: ['{{work_item.name}}']");
    t = await startTriggerEngine({
      rules: { 'ship-it.yaml': text },
      env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
    });
    const sim = t.engine.simulator!;
    const alice = simUser(sim);
    await alice.createIssue('Release 7');
    await alice.close();
    await settle();
    expect(sim.larkMessages()).toEqual([]);
    const [dead] = await engineOf().stores.runs.list({ ruleId: 'ship-it', state: 'dead' });
    expect(dead?.lastError).toMatchObject({ code: 'AP_APPROVAL_APPROVERS' });
    expect(dead?.lastError?.message).toContain('"Release 7"');
  });
});
