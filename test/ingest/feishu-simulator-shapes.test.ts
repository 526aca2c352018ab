import { describe, expect, it } from 'vitest';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { feishuFixture } from './load-fixture.ts';

/** Payload shapes our simulator pushes (src/simulator/model/changes.ts): nested `node`, `sub_task`, before/after role maps. */
function normalize(name: string) {
  return normalizeFeishuWebhook(feishuFixture(`new/${name}`), { receivedAt: 0 });
}

describe('Feishu payload variants', () => {
  it('node owner change nested under `node`', () => {
    expect(normalize('node-owner-assigned.json')).toMatchObject({
      type: 'work_item.roles_changed',
      change: { kind: 'role', nodeId: 'doing', from: ['7400000000000000002'], to: ['7400000000000000003'] },
    });
  });

  it('role map before and after, with the one role that changed', () => {
    expect(normalize('roles-before-after.json').change).toEqual({
      kind: 'role',
      role: 'operator',
      from: [],
      to: ['7400000000000000004'],
      roles: { operator: ['7400000000000000004'] },
      previousRoles: { operator: [] },
    });
  });

  it('node schedule nested under `node`', () => {
    expect(normalize('node-schedule-nested.json').change).toEqual({
      kind: 'schedule',
      nodeId: 'testing',
      to: { estimate_start_date: 1761408000000, estimate_end_date: 1762012799999 },
    });
  });

  it('sub-task status with the task nested under `sub_task`', () => {
    expect(normalize('task-status-nested.json')).toMatchObject({
      type: 'subtask.changed',
      workItem: { id: '6437110001', typeKey: 'story' },
      change: {
        kind: 'subtask',
        action: 'status',
        taskId: '6432700001',
        nodeId: 'doing',
        name: 'Write unit tests',
        passed: true,
      },
    });
  });

  it('TaskDeleteEvent → subtask.changed with action deleted', () => {
    expect(normalize('task-delete.json').change).toMatchObject({
      action: 'deleted',
      taskId: '6432700002',
      passed: false,
    });
  });

  it('comment with id and action', () => {
    expect(normalize('comment-with-id.json').change).toEqual({
      kind: 'comment',
      text: 'Please add a test plan',
      commentId: '7565422599569830001',
      action: 'add',
    });
  });

  it('abort with reason and flag', () => {
    expect(normalize('aborted-with-flag.json')).toMatchObject({
      type: 'work_item.aborted',
      change: { kind: 'aborted', from: false, to: true, reason: 'Superseded by the v3 checkout' },
    });
  });
});
