/**
 * `wait` and `wait_until` through the executor and a real SQLite queue: the run parks outside its
 * lane, wakes when due, goes on where it stopped, and with `recheck` stops quietly when the
 * condition no longer holds after the wait.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { manualClock, planned, ruleFrom, T0, workItemEvent } from '../support/program.ts';

const HOUR = 3_600_000;
let h: Harness;
afterEach(async () => h?.close());

const NUDGE = `id: nudge
on: { event: work_item.created }
do:
  - comment: { text: 'Thanks, we will look at {{event.workItem.id}}' }
  - wait: 2h
  - comment: { text: 'Still open after two hours: {{event.workItem.id}}' }
`;

async function settle(harness: Harness): Promise<void> {
  harness.executor.notify();
  await harness.executor.idle();
}

const texts = (harness: Harness) =>
  harness.api.callsOf('comment.create').map((c) => (c.call.body as { content: string }).content);

describe('wait', () => {
  it('parks the run for the wait, outside its lane, then goes on from the step after it', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    const rule = ruleFrom(NUDGE);
    h.rules.set(rule.id, rule);
    const run = planned(rule);
    const other = planned(ruleFrom(NUDGE.replace('id: nudge', 'id: other')), workItemEvent({ id: 'evt-2' }));
    h.rules.set('other', ruleFrom(NUDGE.replace('id: nudge', 'id: other')));
    await h.stores.runs.enqueue([run], T0);
    h.executor.start();
    await settle(h);

    expect(texts(h)).toEqual(['Thanks, we will look at 1001']);
    expect(await h.stores.runs.get(run.id)).toMatchObject({
      state: 'parked',
      runAt: T0 + 2 * HOUR,
      nextAction: 1,
      progress: { state: { until: T0 + 2 * HOUR } },
    });
    // The work item's lane is free: a later run of the same work item goes ahead meanwhile.
    clock.set(T0 + 60_000);
    await h.stores.runs.enqueue([other], clock.now());
    await settle(h);
    expect(texts(h)).toHaveLength(2);
    expect((await h.stores.runs.get(other.id))?.state).toBe('parked');

    clock.set(T0 + 2 * HOUR - 1);
    await settle(h);
    expect(texts(h)).toHaveLength(2);

    clock.set(T0 + 2 * HOUR);
    await settle(h);
    expect(texts(h)).toEqual([
      'Thanks, we will look at 1001',
      'Thanks, we will look at 1001',
      'Still open after two hours: 1001',
    ]);
    const done = await h.stores.runs.get(run.id);
    expect(done).toMatchObject({ state: 'succeeded', nextAction: 3 });
    expect(done?.results[1]).toMatchObject({ index: 1, outcome: 'done', data: { until: T0 + 2 * HOUR } });
    // Each write kept the key of its step.
    const keys = h.api.callsOf('comment.create').map((c) => c.idempotencyKey);
    expect(keys[2]).toBe(run.actions[2]?.idempotencyKey);
    const kinds = (await h.stores.audit.query({ runId: run.id })).map((r) => r.kind);
    expect(kinds).toEqual([
      'action.attempted',
      'run.parked',
      'run.woken',
      'action.attempted',
      'run.succeeded',
    ]);
    const parked = await h.stores.audit.query({ runId: run.id, kind: 'run.parked' });
    expect(parked[0]).toMatchObject({ actionIndex: 1, detail: { action: 'wait', until: T0 + 2 * HOUR } });
  });

  it('survives a restart while parked: a new executor on the same queue resumes the run once', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    const rule = ruleFrom(NUDGE);
    h.rules.set(rule.id, rule);
    const run = planned(rule);
    await h.stores.runs.enqueue([run], T0);
    h.executor.start();
    await settle(h);
    await h.executor.stop(1000);
    expect((await h.stores.runs.get(run.id))?.state).toBe('parked');

    clock.set(T0 + 3 * HOUR);
    h.executor.start();
    await settle(h);
    expect(texts(h)).toEqual(['Thanks, we will look at 1001', 'Still open after two hours: 1001']);
    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
  });

  it('with recheck, stops the run quietly when the condition no longer holds after the wait', async () => {
    const clock = manualClock();
    let holds = true;
    h = await startHarness({ now: clock.now, recheck: async () => ({ holds, trace: [{ outcome: holds }] }) });
    const rule = ruleFrom(`id: still-open
on: { event: work_item.created }
when: { all: [{ fact: work_item, path: state, operator: equal, value: open }] }
do:
  - wait: 1h
    recheck: true
  - comment: { text: 'still open' }
`);
    h.rules.set(rule.id, rule);
    const run = planned(rule);
    await h.stores.runs.enqueue([run], T0);
    h.executor.start();
    await settle(h);
    holds = false;
    clock.set(T0 + HOUR);
    await settle(h);
    expect(texts(h)).toEqual([]);
    expect(await h.stores.runs.get(run.id)).toMatchObject({ state: 'skipped' });
    const skipped = await h.stores.audit.query({ runId: run.id, kind: 'action.skipped' });
    expect(skipped[0]?.detail).toMatchObject({ action: 'wait', reason: 'condition no longer true' });
  });
});

describe('wait_until', () => {
  it('parks until the time a template gives, and goes on at once when that time is past', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    const rule = ruleFrom(`id: until-due
on: { event: work_item.created }
do:
  - wait_until: '{{event.payload.due}}'
  - comment: { text: 'due now' }
`);
    h.rules.set(rule.id, rule);
    const later = planned(rule);
    const past = planned(
      rule,
      workItemEvent({ id: 'evt-past', payload: { due: new Date(T0 - 1).toISOString() } }),
    );
    await h.stores.runs.enqueue([later, past], T0);
    h.executor.start();
    await settle(h);
    expect(texts(h)).toEqual(['due now']);
    expect(await h.stores.runs.get(later.id)).toMatchObject({ state: 'parked', runAt: T0 + 2 * HOUR });
    clock.set(T0 + 2 * HOUR);
    await settle(h);
    expect(texts(h)).toEqual(['due now', 'due now']);
  });

  it('dead-letters a template that gives no time, with the rule error', async () => {
    h = await startHarness({ now: manualClock().now });
    const rule = ruleFrom(`id: until-bad
on: { event: work_item.created }
do:
  - wait_until: '{{event.payload.due}}'
`);
    h.rules.set(rule.id, rule);
    const run = planned(rule, workItemEvent({ payload: { due: 'next tuesday' } }));
    await h.stores.runs.enqueue([run], T0);
    h.executor.start();
    await settle(h);
    expect(await h.stores.runs.get(run.id)).toMatchObject({
      state: 'dead',
      lastError: { code: 'AP_RULE_INVALID' },
    });
    expect((await h.stores.runs.get(run.id))?.lastError?.message).toMatch(/next tuesday/);
  });
});
