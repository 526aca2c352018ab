/**
 * Polls through the front door: the engine with its built-in simulator, a person changing a
 * bug's priority through the simulator's Open API, the poll round run by the trigger runner
 * with the engine's injected clock moved past the interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { commentsOn, itemId, simUser } from '../fixtures/chat/sim-user.ts';

const POLL = `
id: poll-bug-priority
description: Bugs whose priority changes get a note, found by polling.
on:
  poll:
    every: 1m
    search: { project: demo, work_item_type: issue }
    watch: [priority]
do:
  - comment: { text: 'poll saw priority {{change.from}} -> {{change.to}}' }
`;

const ON_EVENT = `
id: note-priority-change
description: Any priority change of a bug, whether a webhook or a poll reports it.
on:
  event: work_item.updated
  work_item_type: [issue]
when:
  all:
    - { fact: change, path: field, operator: equal, value: priority }
do:
  - comment: { text: 'event rule saw priority -> {{change.to}} from {{event.source}}' }
`;

let t: TriggerTestEngine;
let user: ReturnType<typeof simUser>;
let typo: string;

function disconnectWebhooks(): void {
  const sim = t.engine.simulator!;
  for (const target of sim.webhookTargets()) sim.unregisterWebhook(target.id);
}

function connectWebhooks(): void {
  const sim = t.engine.simulator!;
  sim.registerWebhook({ url: `${t.engine.url}/webhooks/feishu`, token: sim.credentials.webhookToken });
}

async function pollRound() {
  t.clock.advance(61_000);
  const report = await t.engine.triggers.runner.runDue();
  await t.engine.idle();
  const round = report.polls.find((p) => p.ruleId === 'poll-bug-priority');
  if (!round) throw new Error('the poll did not run');
  return round;
}

beforeAll(async () => {
  t = await startTriggerEngine({
    rules: { 'poll-bug-priority.yaml': POLL, 'note-priority-change.yaml': ON_EVENT },
  });
  user = simUser(t.engine.simulator!);
  typo = itemId(t.engine.simulator!, 'Typo on pricing page');
});

afterAll(async () => {
  await user?.close();
  await t?.close();
});

describe('a poll', () => {
  it('records a baseline at start, then emits nothing for items that did not change', async () => {
    const round = await pollRound();
    expect(round.baseline).toBe(false);
    expect(round.stored).toEqual([]);
    expect(t.engine.simulator!.state.comments.filter((c) => c.content.includes('poll saw'))).toEqual([]);
  });

  it('sees a change made in the simulator (no webhook) and fires exactly once', async () => {
    disconnectWebhooks();
    await user.setField('issue', typo, 'priority', { value: 'P1' });
    const round = await pollRound();
    expect(round.stored).toHaveLength(1);
    expect(round.stored[0]).toMatchObject({
      source: 'poll',
      type: 'work_item.updated',
      workItem: { id: typo, typeKey: 'issue' },
      change: { kind: 'field', field: 'priority', from: 'P3', to: 'P1' },
      payload: { rule_id: 'poll-bug-priority' },
    });
    expect(round.stored[0]?.id).toMatch(/^poll:[0-9a-f]{32}$/);
    // The poll rule and the event rule both ran on the poll's event, once each.
    expect(commentsOn(t.engine.simulator!, typo, 'poll saw')).toEqual(['poll saw priority P3 -> P1']);
    expect(commentsOn(t.engine.simulator!, typo, 'event rule saw')).toEqual([
      'event rule saw priority -> P1 from poll',
    ]);

    const again = await pollRound();
    expect(again.stored).toEqual([]);
    expect(commentsOn(t.engine.simulator!, typo, 'poll saw')).toHaveLength(1);
  });

  it('does not deliver again a change a webhook already delivered: it runs once', async () => {
    connectWebhooks();
    await user.setField('issue', typo, 'priority', { value: 'P2' });
    await t.engine.simulator!.webhooksIdle();
    await t.engine.idle();
    expect(commentsOn(t.engine.simulator!, typo, 'event rule saw priority -> P2')).toEqual([
      'event rule saw priority -> P2 from feishu',
    ]);

    const round = await pollRound();
    expect(round.stored).toEqual([]);
    expect(round.skippedAsDelivered).toBe(1);
    expect(commentsOn(t.engine.simulator!, typo, 'event rule saw priority -> P2')).toHaveLength(1);
    expect(commentsOn(t.engine.simulator!, typo, 'poll saw priority P1 -> P2')).toEqual([]);
  });

  it('still delivers a later change the webhook missed', async () => {
    disconnectWebhooks();
    await user.setField('issue', typo, 'priority', { value: 'P0' });
    const round = await pollRound();
    expect(round.stored.map((e) => e.change)).toEqual([
      { kind: 'field', field: 'priority', from: 'P2', to: 'P0' },
    ]);
    expect(commentsOn(t.engine.simulator!, typo, 'poll saw priority P2 -> P0')).toHaveLength(1);
  });

  it('reports a work item created since the last round as work_item.created', async () => {
    disconnectWebhooks();
    const id = await user.createIssue('Poll-only bug');
    const round = await pollRound();
    expect(round.stored.map((e) => [e.type, e.workItem?.id, e.change])).toEqual([
      ['work_item.created', id, undefined],
    ]);
  });

  it('waits for its interval: a check before it is due searches nothing', async () => {
    const before = t.engine.simulator!.requests({ route: 'workItem.searchByParams' }).length;
    const report = await t.engine.triggers.runner.runDue();
    expect(report.polls).toEqual([]);
    expect(t.engine.simulator!.requests({ route: 'workItem.searchByParams' }).length).toBe(before);
  });
});
