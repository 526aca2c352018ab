/**
 * Retention through the running engine: finished runs were never purged (retention did not call
 * the run queue's purge), so the queue grew by every run. Now processed events and succeeded or
 * skipped runs go after `retention.eventsMs`; dead letters stay until someone handles them; and
 * the per-work-item `causation:` and `webhook-change:` state records, never deleted before, go
 * once past their use.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';

const RULES = {
  'comment-created.yaml': `id: comment-created
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: 'seen' }
`,
  'comment-missing.yaml': `id: comment-missing
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: 'x', target: { id: '999999999' } }
`,
};
const DAY = 86_400_000;

let t: TriggerTestEngine;
beforeAll(async () => {
  t = await startTriggerEngine({ rules: RULES });
});
afterAll(async () => {
  await t?.close();
});

it('purges processed events and finished runs after retention.eventsMs, keeps dead letters, counts both', async () => {
  const token = t.engine.simulator?.credentials.webhookToken as string;
  const answer = await fetch(`${t.engine.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      header: { event_type: 'WorkitemCreateEvent', token, uuid: 'retention-1' },
      payload: { id: 6437110004, project_key: 'demo', work_item_type_key: 'issue', name: 'r' },
    }),
  });
  expect(answer.status).toBe(202);
  await t.engine.idle();
  const states = async () =>
    (await t.engine.stores.runs.list({ eventId: 'feishu:retention-1' })).map((r) => r.state).sort();
  expect(await states()).toEqual(['dead', 'succeeded']);

  expect(await t.engine.retention.purgeNow()).toMatchObject({ events: 0, runs: 0 });
  expect(await t.engine.stores.state.get('causation:demo:6437110004')).toBeDefined();
  t.clock.advance(8 * DAY);
  // The event, and the simulator's webhook for the engine's own comment.
  const purged = await t.engine.retention.purgeNow();
  expect(purged.runs).toBe(1);
  expect(purged.events).toBeGreaterThanOrEqual(1);
  // The causation remembered for the work item when its runs were planned goes too.
  expect(purged.state).toBeGreaterThanOrEqual(1);
  expect(await t.engine.stores.state.get('causation:demo:6437110004')).toBeUndefined();
  expect(await states()).toEqual(['dead']);
  expect(await t.engine.stores.events.get('feishu:retention-1')).toBeUndefined();

  const metrics = await (await fetch(`${t.engine.metricsUrl}/metrics`)).text();
  expect(metrics).toContain('autopilot_retention_purged_total{store="runs"} 1');
  expect(metrics).toContain(`autopilot_retention_purged_total{store="events"} ${purged.events}`);
  expect(metrics).toContain(`autopilot_retention_purged_total{store="state"} ${purged.state}`);
});

it('keeps variables for good and purges the records of applied ops after retention.eventsMs', async () => {
  const state = t.engine.stores.state;
  await state.updateVar('var:work_item:demo:6437110004:reopened', { kind: 'increment', by: 1 }, 'op-kept');
  expect(await state.get('var-op:op-kept')).toEqual({
    key: 'var:work_item:demo:6437110004:reopened',
    value: 1,
  });
  t.clock.advance(8 * DAY);
  await t.engine.retention.purgeNow();
  expect(await state.get('var-op:op-kept')).toBeUndefined();
  expect(await state.get('var:work_item:demo:6437110004:reopened')).toBe(1);
});

it('purges a decided approval after retention.eventsMs and never an open one', async () => {
  const state = t.engine.stores.state;
  await state.set('approval:run-open:0', { status: 'open', approvers: ['7400000000000000002'], until: 0 });
  await state.set('approval:run-decided:0', { status: 'decided', decision: 'approved', at: 0 });
  t.clock.advance(8 * DAY);
  await t.engine.retention.purgeNow();
  expect(await state.get('approval:run-decided:0')).toBeUndefined();
  // However long its timeout, an open approval is the parked run's until someone decides.
  expect(await state.get('approval:run-open:0')).toMatchObject({ status: 'open' });
});
