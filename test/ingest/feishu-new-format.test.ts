import { describe, expect, it } from 'vitest';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { feishuFixture } from './load-fixture.ts';

const RECEIVED_AT = 1_800_000_000_000;
const PROJECT = '68382b399de4b0ec6c5a1f20';
const ALICE = '7491126018028093443';

function normalize(name: string) {
  return normalizeFeishuWebhook(feishuFixture(`new/${name}`), { receivedAt: RECEIVED_AT });
}

describe('Feishu new-format webhooks', () => {
  it('WorkitemCreateEvent → work_item.created with ids as strings and the uuid as event id', () => {
    expect(normalize('workitem-create.json')).toMatchObject({
      id: 'feishu:0b6e1c1e-6a0f-4a57-9d36-6a2a1b1f0001',
      source: 'feishu',
      type: 'work_item.created',
      occurredAt: 1761475143215,
      projectKey: PROJECT,
      workItem: { id: '6437110001', typeKey: 'issue' },
      operator: ALICE,
    });
  });

  it('keeps big string ids (beyond 2^53) exact and scales second timestamps to ms', () => {
    const event = normalize('workitem-create-key-value.json');
    expect(event.workItem).toEqual({ id: '7364829301234567890', typeKey: 'story' });
    expect(event.occurredAt).toBe(1761475084000);
  });

  it('never copies the token into the event', () => {
    for (const name of ['workitem-create.json', 'workitem-comment.json', 'task-status.json']) {
      expect(JSON.stringify(normalize(name))).not.toContain('fixture-secret-token');
    }
  });

  it('WorkitemUpdateEvent → work_item.updated with the field change (select options as values)', () => {
    const event = normalize('workitem-update.json');
    expect(event.type).toBe('work_item.updated');
    expect(event.change).toEqual({
      kind: 'field',
      field: 'priority',
      from: 'P2',
      to: 'P0',
      fields: [
        { field: 'priority', from: 'P2', to: 'P0' },
        { field: 'field_7a1c2e', from: null, to: '6437110042' },
      ],
    });
  });

  it('WorkitemStatusEvent → work_item.status_changed from/to state keys', () => {
    const event = normalize('workitem-status.json');
    expect(event.type).toBe('work_item.status_changed');
    expect(event.change).toEqual({
      kind: 'status',
      from: 'open',
      to: 'in_progress',
      fromName: 'Open',
      toName: 'In progress',
    });
  });

  it('WorkitemFinishEvent → work_item.status_changed to the final state, marked finished', () => {
    const event = normalize('workitem-finish.json');
    expect(event.type).toBe('work_item.status_changed');
    expect(event.change).toEqual({ kind: 'status', to: 'closed', finished: true });
  });

  it('WorkFlowNodeStatusEvent Reached → node.reached', () => {
    const event = normalize('workflow-node-reached.json');
    expect(event.type).toBe('node.reached');
    expect(event.change).toEqual({ kind: 'node', nodeId: 'review', nodeName: 'Review', from: 1, to: 2 });
  });

  it('WorkFlowNodeStatusEvent Checked → node.completed for the completed node, all nodes listed', () => {
    const event = normalize('workflow-node-completed.json');
    expect(event.type).toBe('node.completed');
    expect(event.change).toMatchObject({ kind: 'node', nodeId: 'develop', from: 2, to: 3 });
    expect(event.change?.nodes).toHaveLength(2);
  });

  it('WorkFlowNodeStatusEvent Rollbacked → node.rolled_back with the reason', () => {
    const event = normalize('workflow-node-rolled-back.json');
    expect(event.type).toBe('node.rolled_back');
    expect(event.change).toMatchObject({
      kind: 'node',
      nodeId: 'develop',
      from: 3,
      to: 2,
      reason: 'Spec changed: payment provider switched',
    });
  });

  it('WorkFlowNodeStatusEvent without status_change_type falls back to the node status codes', () => {
    const event = normalize('workflow-node-codes-only.json');
    expect(event.type).toBe('node.completed');
    expect(event.change).toMatchObject({ nodeId: 'test', from: 2, to: 3 });
  });

  it('WorkFlowNodeStatusEvent with no readable sub-kind becomes an update of kind node', () => {
    const body = {
      header: { event_type: 'WorkFlowNodeStatusEvent', uuid: 'u-1' },
      payload: { id: 1, work_item_type_key: 'story', node_id: 'x' },
    };
    const event = normalizeFeishuWebhook(body, { receivedAt: RECEIVED_AT });
    expect(event.type).toBe('work_item.updated');
    expect(event.change).toEqual({ kind: 'node', nodeId: 'x' });
  });

  it('WorkFlowNodeScheduleEvent → work_item.updated of kind schedule', () => {
    const event = normalize('workflow-node-schedule.json');
    expect(event.type).toBe('work_item.updated');
    expect(event.change).toEqual({
      kind: 'schedule',
      nodeId: 'develop',
      to: { estimate_start_date: 1761408000000, estimate_end_date: 1762012799999, points: 3 },
    });
  });

  it('WorkitemCommentEvent → work_item.commented with the text', () => {
    const event = normalize('workitem-comment.json');
    expect(event.type).toBe('work_item.commented');
    expect(event.change).toEqual({ kind: 'comment', text: 'Reproduced on Safari 17.1, not on Chrome' });
  });

  it('WorkitemAbortedEvent / WorkitemRestoreEvent → work_item.aborted / work_item.restored', () => {
    const aborted = normalize('workitem-aborted.json');
    expect(aborted.type).toBe('work_item.aborted');
    expect(aborted.change).toEqual({
      kind: 'aborted',
      from: false,
      to: true,
      reason: 'Duplicate of #6437110000',
    });
    const restored = normalize('workitem-restore.json');
    expect(restored.type).toBe('work_item.restored');
    expect(restored.change).toEqual({ kind: 'aborted', from: true, to: false });
  });

  it('WorkitemPersonAssignedEvent → work_item.roles_changed with the role map', () => {
    const event = normalize('workitem-person-assigned.json');
    expect(event.type).toBe('work_item.roles_changed');
    expect(event.change).toEqual({
      kind: 'role',
      roles: { operator: ['7491126018028090001'], reporter: [ALICE] },
    });
  });

  it('TaskCreateEvent / TaskUpdateEvent / TaskStatusEvent → subtask.changed with the action', () => {
    expect(normalize('task-create.json')).toMatchObject({
      type: 'subtask.changed',
      workItem: { id: '6437110001', typeKey: 'story' },
      change: {
        kind: 'subtask',
        action: 'created',
        taskId: '8811000001',
        nodeId: 'develop',
        name: 'Write migration',
      },
    });
    expect(normalize('task-update.json').change).toEqual({
      kind: 'subtask',
      action: 'updated',
      taskId: '8811000001',
      nodeId: 'develop',
      name: 'Write migration (v2)',
    });
    expect(normalize('task-status.json').change).toEqual({
      kind: 'subtask',
      action: 'status',
      taskId: '8811000001',
      nodeId: 'develop',
      from: 'doing',
      to: 'done',
      passed: true,
    });
  });

  it('WorkitemDeleteEvent → work_item.deleted, time from created_at when updated_at is null', () => {
    const event = normalize('workitem-delete.json');
    expect(event.type).toBe('work_item.deleted');
    expect(event.change).toBeUndefined();
    expect(event.occurredAt).toBe(1761475084469);
  });

  it('tolerates nulls everywhere: no work item, no change, receivedAt as the time', () => {
    const event = normalize('sparse.json');
    expect(event).toMatchObject({ type: 'work_item.updated', occurredAt: RECEIVED_AT, source: 'feishu' });
    expect(event.workItem).toBeUndefined();
    expect(event.change).toBeUndefined();
    expect(event.operator).toBeUndefined();
    expect(event.id).toMatch(/^feishu:body-[0-9a-f]{32}$/);
  });

  it('accepts lossless-json numbers for ids', () => {
    const body = {
      header: { event_type: 'WorkitemCreateEvent', uuid: 'u-2' },
      payload: { id: { isLosslessNumber: true, value: '7876543210987654321' }, work_item_type_key: 'issue' },
    };
    expect(normalizeFeishuWebhook(body, { receivedAt: RECEIVED_AT }).workItem?.id).toBe(
      '7876543210987654321',
    );
  });
});
