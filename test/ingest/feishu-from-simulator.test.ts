import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractWebhookToken, normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { ALICE, startHarness, T0, type Harness } from './simulator-harness.ts';

// Seeded demo items (src/simulator/model/seed.ts).
const STORY = 6437110001; // at node `doing`
const STORY_AT_START = 6437110002;
const ISSUE_OPEN = 6437110004;
const PK = '66a1b2c3d4e5f60718293a4b';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  expect(h.sim.internalErrors()).toEqual([]);
  await h.close();
});

function normalizedAll() {
  return h.received.map((r) => normalizeFeishuWebhook(r.body, { receivedAt: 0 }));
}

describe('normalizing what the simulator pushes', () => {
  it('maps every delivery onto the engine type with its change, token read from the body', async () => {
    const ok = (answer: { err_code: number }) => expect(answer.err_code).toBe(0);
    ok(
      await h.call('POST', '/open_api/demo/work_item/create', {
        work_item_type_key: 'issue',
        name: 'Fresh bug',
      }),
    );
    ok(
      await h.call('PUT', `/open_api/demo/work_item/story/${STORY_AT_START}`, {
        update_fields: [{ field_key: 'priority', field_value: { value: 'P0' } }],
      }),
    );
    ok(
      await h.call('POST', `/open_api/demo/workflow/story/${STORY_AT_START}/node/start/operate`, {
        action: 'confirm',
      }),
    );
    ok(
      await h.call('POST', `/open_api/demo/workflow/story/${STORY_AT_START}/node/start/operate`, {
        action: 'rollback',
        rollback_reason: 'not ready',
      }),
    );
    ok(
      await h.call('POST', `/open_api/demo/work_item/story/${STORY}/comment/create`, {
        content: 'bug: broken link',
      }),
    );
    ok(
      await h.call('PUT', `/open_api/demo/work_item/issue/${ISSUE_OPEN}/abort`, {
        is_aborted: true,
        reason: 'dup',
      }),
    );
    ok(
      await h.call('PUT', `/open_api/demo/work_item/issue/${ISSUE_OPEN}/abort`, {
        is_aborted: false,
        reason: 'no',
      }),
    );
    ok(
      await h.call('POST', `/open_api/demo/workflow/issue/${ISSUE_OPEN}/node/state_change`, {
        transition_id: 7100001,
      }),
    );
    const task = await h.call('POST', `/open_api/demo/work_item/story/${STORY}/workflow/task`, {
      node_id: 'doing',
      name: 'Write docs',
    });
    ok(task);
    ok(
      await h.call('POST', `/open_api/demo/work_item/story/${STORY}/subtask/modify`, {
        node_id: 'doing',
        task_id: task.data,
        action: 'confirm',
      }),
    );
    await h.idle();

    for (const r of h.received) expect(extractWebhookToken(r.body, r.headers)).toBe('harness-token');
    const events = normalizedAll();
    for (const e of events) {
      expect(e).toMatchObject({
        source: 'feishu',
        projectKey: PK,
        projectName: 'demo',
        operator: ALICE,
        occurredAt: T0,
      });
      expect(e.id).toMatch(/^feishu:[0-9a-f-]{36}$/);
      expect(JSON.stringify(e)).not.toContain('harness-token');
    }
    // Deliveries keep each work item's order (one lane per item), not a global one.
    const of = (id: number) => events.filter((e) => e.workItem?.id === String(id));
    const created = events.find((e) => e.type === 'work_item.created');
    expect(created?.workItem?.typeKey).toBe('issue');
    expect(of(STORY_AT_START).map((e) => [e.type, e.change])).toEqual([
      ['work_item.updated', { kind: 'field', field: 'priority', from: 'P2', to: 'P0' }],
      ['node.completed', { kind: 'node', nodeId: 'start', nodeName: 'Start', from: 2, to: 3 }],
      ['node.reached', { kind: 'node', nodeId: 'doing', nodeName: 'Development', from: 1, to: 2 }],
      ['work_item.status_changed', { kind: 'status', from: 'start', to: 'doing' }],
      ['node.rolled_back', { kind: 'node', nodeId: 'start', nodeName: 'Start', from: 3, to: 2 }],
      ['work_item.status_changed', { kind: 'status', from: 'doing', to: 'start' }],
    ]);
    expect(of(ISSUE_OPEN).map((e) => [e.type, e.change])).toEqual([
      ['work_item.aborted', { kind: 'aborted', from: false, to: true, reason: 'dup' }],
      ['work_item.restored', { kind: 'aborted', from: true, to: false, reason: 'no' }],
      ['work_item.status_changed', { kind: 'status', from: 'open', to: 'in_progress' }],
    ]);
    const story = of(STORY);
    expect(story.map((e) => e.type)).toEqual(['work_item.commented', 'subtask.changed', 'subtask.changed']);
    expect(story[0]!.change).toMatchObject({ kind: 'comment', text: 'bug: broken link', action: 'add' });
    expect(story[2]!.change).toEqual({
      kind: 'subtask',
      action: 'status',
      taskId: String(task.data),
      nodeId: 'doing',
      name: 'Write docs',
      passed: true,
    });
  });

  it('maps a deletion onto work_item.deleted', async () => {
    expect((await h.call('DELETE', `/open_api/demo/work_item/issue/${ISSUE_OPEN}`)).err_code).toBe(0);
    await h.idle();
    expect(normalizedAll()).toMatchObject([
      { type: 'work_item.deleted', workItem: { id: String(ISSUE_OPEN) } },
    ]);
  });
});
