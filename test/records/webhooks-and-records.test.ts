/**
 * The simulator pushes a webhook and writes an operation record for every change; both must
 * become the same canonical event with the same change id, or the event log would store a
 * change twice (or the reconciler miss it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.ts';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { translateRecords } from '../../src/records/translate-records.ts';
import { ISSUE_OPEN, STORY, STORY_AT_START, startApi, type Api } from '../simulator/helpers.ts';
import { startReceiver, type Receiver } from '../simulator/receiver.ts';

let api: Api;
let receiver: Receiver;
const fromWebhooks = new Map<string, Event>();
const fromRecords = new Map<string, Event>();

const ALICE = '7400000000000000002';
const story = (id: number) => `/open_api/demo/work_item/story/${id}`;
const issue = `/open_api/demo/work_item/issue/${ISSUE_OPEN}`;

beforeAll(async () => {
  receiver = await startReceiver();
  api = await startApi({ webhooks: [{ url: receiver.url }] });
  const step = async (method: string, path: string, body?: unknown) => {
    api.clock.advance(1000);
    const answer = await api.call(method, path, body);
    expect(answer.json.err_code, `${method} ${path}: ${answer.text}`).toBe(0);
    return answer;
  };
  const created = await step('POST', '/open_api/demo/work_item/create', {
    work_item_type_key: 'story',
    name: 'New',
  });
  await step('PUT', story(STORY_AT_START), {
    update_fields: [
      { field_key: 'priority', field_value: { value: 'P0' } },
      { field_key: 'field_estimate', field_value: 5 },
    ],
  });
  await step('PUT', story(STORY_AT_START), {
    update_fields: [{ field_key: 'role_owners', field_value: [{ role: 'qa', owners: [ALICE] }] }],
  });
  await step('POST', `/open_api/demo/workflow/story/${STORY_AT_START}/node/start/operate`, {
    action: 'confirm',
  });
  await step('POST', `/open_api/demo/workflow/story/${STORY_AT_START}/node/start/operate`, {
    action: 'rollback',
    rollback_reason: 'not ready',
  });
  await step('PUT', `/open_api/demo/workflow/story/${STORY}/node/doing`, {
    node_owners: [ALICE],
    node_schedule: { estimate_start_date: 1, estimate_end_date: 2, points: 3 },
  });
  const comment = await step('POST', `${story(STORY)}/comment/create`, { content: 'hello' });
  const commentId = String(/"data":(\d+)/.exec(comment.text)?.[1]);
  await step('PUT', `${story(STORY)}/comment/${commentId}`, { content: 'edited' });
  await step('DELETE', `${story(STORY)}/comment/${commentId}`);
  const task = await step('POST', `${story(STORY)}/workflow/task`, { node_id: 'doing', name: 'write tests' });
  const taskId = Number(task.json.data);
  await step('POST', `${story(STORY)}/subtask/modify`, {
    node_id: 'doing',
    task_id: taskId,
    action: 'confirm',
  });
  await step('DELETE', `${story(STORY)}/task/${taskId}`);
  await step('PUT', `${story(STORY_AT_START)}/abort`, { is_aborted: true, reason: 'dup' });
  await step('PUT', `${story(STORY_AT_START)}/abort`, { is_aborted: false, reason: 'back' });
  await step('POST', `/open_api/demo/workflow/issue/${ISSUE_OPEN}/node/state_change`, {
    transition_id: 7100001,
  });
  await step('PUT', issue, {
    update_fields: [{ field_key: 'field_severity', field_value: { value: 'minor' } }],
  });
  await step('DELETE', story(Number(created.json.data)));
  await api.sim.webhooksIdle();

  for (const body of receiver.bodies) {
    const event = normalizeFeishuWebhook(body, { receivedAt: 0 });
    expect(event.changeId, body.header.event_type).toBeDefined();
    fromWebhooks.set(event.changeId as string, event);
  }
  const engine = { userKey: api.sim.credentials.userKey, pluginId: api.sim.credentials.pluginId };
  const translated = translateRecords(structuredClone(api.sim.state.op_records), { engine });
  // The item created and then deleted: its creation is not replayed, its deletion is.
  expect(translated.skips).toEqual([
    expect.objectContaining({
      code: 'AP_RECORD_ITEM_DELETED',
      workItemId: String(created.json.data),
      operationType: 'create',
    }),
  ]);
  for (const event of translated.events) fromRecords.set(event.id, event);
  for (const [id, event] of fromWebhooks)
    if (event.type === 'work_item.created' && event.workItem?.id === String(created.json.data))
      fromWebhooks.delete(id);
});

afterAll(async () => {
  await api.sim.close();
  await receiver.close();
});

describe('a webhook and the operation record of one change', () => {
  it('derive the same change ids, one each', () => {
    expect(fromWebhooks.size).toBe(receiver.bodies.length - 1);
    // Relation bindings are recorded but pushed no webhook; everything else pairs up.
    expect([...fromRecords.keys()].sort()).toEqual([...fromWebhooks.keys()].sort());
  });

  it('become the same event type with the same change', () => {
    for (const [id, webhook] of fromWebhooks) {
      const record = fromRecords.get(id) as Event;
      expect(record.type, webhook.type).toBe(webhook.type);
      expect(record.workItem).toEqual(webhook.workItem);
      expect(record.occurredAt).toBe(webhook.occurredAt);
      const pick = (e: Event) => {
        const c = e.change ?? {};
        return {
          kind: c.kind,
          field: c.field,
          nodeId: c.nodeId,
          taskId: c.taskId,
          action: c.action,
          role: c.role,
        };
      };
      expect(pick(record), webhook.type).toEqual(pick(webhook));
    }
  });

  it('agree on the values rule authors compare', () => {
    const byType = (type: string) => [...fromRecords.values()].filter((e) => e.type === type);
    const fields = byType('work_item.updated').find(
      (e) => e.change?.kind === 'field' && e.workItem?.id === String(STORY_AT_START),
    );
    expect(fields?.change).toMatchObject({ kind: 'field', field: 'priority', from: 'P2', to: 'P0' });
    expect((fields?.change?.fields as unknown[]).length).toBe(2);
    expect(
      byType('work_item.status_changed').find((e) => e.workItem?.id === String(ISSUE_OPEN))?.change,
    ).toEqual({
      kind: 'status',
      from: 'open',
      to: 'in_progress',
    });
    expect(byType('work_item.commented').map((e) => [e.change?.action, e.change?.text])).toEqual([
      ['add', 'hello'],
      ['modify', 'edited'],
      ['delete', 'edited'],
    ]);
    expect(byType('work_item.aborted')[0]?.change).toMatchObject({ to: true, reason: 'dup' });
    expect(byType('node.rolled_back')[0]?.change).toMatchObject({ nodeId: 'start', from: 3, to: 2 });
    const webhookRole = [...fromWebhooks.values()].find(
      (e) => e.type === 'work_item.roles_changed' && !e.change?.nodeId,
    );
    expect(webhookRole).toBeDefined();
  });

  it('say who made the change: here the engine, through its plugin', () => {
    for (const event of fromRecords.values())
      expect(event.origin).toMatchObject({ kind: 'engine', via: 'op_record' });
  });
});
