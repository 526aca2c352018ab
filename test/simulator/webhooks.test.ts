import { afterEach, describe, expect, it } from 'vitest';
import { ISSUE_OPEN, STORY, STORY_AT_START, startApi, type Api } from './helpers.ts';
import { startReceiver, type Receiver } from './receiver.ts';

let api: Api;
let receiver: Receiver;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
  await receiver.close();
});

const ALICE = '7400000000000000002';
const types = () => receiver.bodies.map((b) => b.header.event_type);

describe('webhooks', () => {
  it('pushes WorkitemCreateEvent in the new format with the acting user and the webhook token', async () => {
    receiver = await startReceiver();
    api = await startApi({ webhookToken: 'wh-secret', webhooks: [{ url: receiver.url }] });
    const created = await api.call(
      'POST',
      '/open_api/demo/work_item/create',
      { work_item_type_key: 'story', name: 'Hooked' },
      { 'x-user-key': ALICE },
    );
    await api.sim.webhooksIdle();
    expect(receiver.bodies).toHaveLength(1);
    const [event] = receiver.bodies;
    expect(event?.header).toMatchObject({
      event_type: 'WorkitemCreateEvent',
      token: 'wh-secret',
      operator: ALICE,
    });
    expect(event?.header.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(event?.payload).toMatchObject({
      id: created.json.data,
      name: 'Hooked',
      project_key: '66a1b2c3d4e5f60718293a4b',
      project_simple_name: 'demo',
      work_item_type_key: 'story',
      created_by: ALICE,
    });
    expect(api.sim.deliveries()).toMatchObject([
      { status: 'delivered', attempts: 1, event_type: 'WorkitemCreateEvent' },
    ]);
  });

  it('pushes node events (Checked then Reached), status, update, comment, abort/restore and task events in order', async () => {
    receiver = await startReceiver();
    api = await startApi({ webhooks: [{ url: receiver.url }] });
    await api.call('POST', `/open_api/demo/workflow/story/${STORY_AT_START}/node/start/operate`, {
      action: 'confirm',
    });
    await api.call('PUT', `/open_api/demo/work_item/story/${STORY_AT_START}`, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P0' } }],
    });
    await api.call('POST', `/open_api/demo/work_item/story/${STORY_AT_START}/comment/create`, {
      content: 'ping',
    });
    await api.call('PUT', `/open_api/demo/work_item/story/${STORY_AT_START}/abort`, {
      is_aborted: true,
      reason: 'x',
    });
    await api.call('PUT', `/open_api/demo/work_item/story/${STORY_AT_START}/abort`, {
      is_aborted: false,
      reason: 'y',
    });
    await api.call('POST', `/open_api/demo/work_item/story/${STORY}/workflow/task`, {
      node_id: 'doing',
      name: 't',
    });
    await api.call('POST', `/open_api/demo/workflow/issue/${ISSUE_OPEN}/node/state_change`, {
      transition_id: 7100001,
    });
    await api.sim.webhooksIdle();
    const forStory = receiver.bodies.filter((b) => b.payload.id === STORY_AT_START);
    expect(forStory.map((b) => [b.header.event_type, b.payload.status_change_type])).toEqual([
      ['WorkFlowNodeStatusEvent', 'Checked'],
      ['WorkFlowNodeStatusEvent', 'Reached'],
      ['WorkitemStatusEvent', undefined],
      ['WorkitemUpdateEvent', undefined],
      ['WorkitemCommentEvent', undefined],
      ['WorkitemAbortedEvent', undefined],
      ['WorkitemRestoreEvent', undefined],
    ]);
    expect(forStory[1]?.payload.nodes).toEqual([
      { state_key: 'doing', node_name: 'Development', pre_status: 1, cur_status: 2 },
    ]);
    expect(forStory[3]?.payload.changed_fields).toEqual([
      { field_key: 'priority', before: { label: 'P2', value: 'P2' }, after: { label: 'P0', value: 'P0' } },
    ]);
    expect(forStory[4]?.payload.comment).toBe('ping');
    expect(types()).toContain('TaskCreateEvent');
    const status = receiver.bodies.find((b) => b.payload.id === ISSUE_OPEN);
    expect(status?.payload).toMatchObject({
      pre_work_item_status: { state_key: 'open' },
      cur_work_item_status: { state_key: 'in_progress' },
    });
  });

  it('retries a failing target and records every attempt; filters by event type', async () => {
    receiver = await startReceiver(2);
    api = await startApi({ webhooks: [{ url: receiver.url, event_types: ['WorkitemCommentEvent'] }] });
    await api.call('PUT', `/open_api/demo/work_item/story/${STORY}`, {
      update_fields: [{ field_key: 'name', field_value: 'x' }],
    });
    await api.call('POST', `/open_api/demo/work_item/story/${STORY}/comment/create`, { content: 'retry me' });
    await api.sim.webhooksIdle();
    expect(types()).toEqual(['WorkitemCommentEvent']);
    expect(receiver.attempts).toBe(3);
    expect(api.sim.deliveries()).toMatchObject([{ status: 'delivered', attempts: 3, response_status: 200 }]);
  });

  it('gives up after the configured attempts', async () => {
    receiver = await startReceiver(10);
    api = await startApi({ webhooks: [{ url: receiver.url }], webhookAttempts: 2 });
    await api.call('POST', `/open_api/demo/work_item/story/${STORY}/comment/create`, { content: 'lost' });
    await api.sim.webhooksIdle();
    expect(api.sim.deliveries()).toMatchObject([{ status: 'failed', attempts: 2, response_status: 500 }]);
  });

  it('registers targets at run time through POST /_sim/webhooks', async () => {
    receiver = await startReceiver();
    api = await startApi();
    const bad = await api.raw('POST', '/_sim/webhooks', JSON.stringify({ url: 'ftp://x' }), {
      'content-type': 'application/json',
    });
    expect(bad.status).toBe(400);
    const ok = await api.raw('POST', '/_sim/webhooks', JSON.stringify({ url: receiver.url, token: 't2' }), {
      'content-type': 'application/json',
    });
    expect(ok.status).toBe(201);
    await api.call('POST', `/open_api/demo/work_item/story/${STORY}/comment/create`, { content: 'hi' });
    await api.sim.webhooksIdle();
    expect(receiver.bodies[0]?.header.token).toBe('t2');
  });

  it('redelivers a recorded event with the same uuid', async () => {
    receiver = await startReceiver();
    api = await startApi({ webhooks: [{ url: receiver.url }] });
    await api.call('POST', `/open_api/demo/work_item/story/${STORY}/comment/create`, { content: 'twice' });
    await api.sim.webhooksIdle();
    const [delivery] = api.sim.deliveries();
    const again = await api.raw('POST', `/_sim/webhooks/deliveries/${delivery?.id}/redeliver`, undefined, {});
    expect(again.status).toBe(202);
    await api.sim.webhooksIdle();
    expect(receiver.bodies.map((b) => b.header.uuid)).toEqual([delivery?.uuid, delivery?.uuid]);
    expect((await api.raw('POST', '/_sim/webhooks/deliveries/nope/redeliver', undefined, {})).status).toBe(
      404,
    );
  });
});
