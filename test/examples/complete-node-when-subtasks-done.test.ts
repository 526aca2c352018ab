import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/complete-node-when-subtasks-done', () => {
  it('confirms the node when the checked-off sub-task was its last open one', async () => {
    const report = await dryRun('subtask-checked-off.json', 'story-doing-subtasks-done.json');
    expect(report.event).toMatchObject({
      type: 'subtask.changed',
      change: { kind: 'subtask', action: 'status', taskId: '6432700007', nodeId: 'doing', passed: true },
    });
    const rule = candidate(report, 'complete-node-when-subtasks-done');
    expect(rule.matched).toBe(true);
    expect(rule.conditions.map((c) => [c.path, c.actual, c.outcome])).toEqual([
      ['action', 'status', true],
      ['passed', true, true],
      ['nodeId', 'doing', true],
      ['open_subtask_nodes', ['testing'], true],
    ]);
    expect(rule.run!.actions).toHaveLength(1);
    expect(rule.run!.actions[0]!.calls).toEqual([
      {
        operation: 'workflow.nodeOperate',
        method: 'POST',
        path: '/open_api/66a1b2c3d4e5f60718293a4b/workflow/story/6437110001/node/doing/operate',
        body: { action: 'confirm' },
        headers: { 'X-IDEM-UUID': await expectedKey(report.event.id, 'complete-node-when-subtasks-done', 0) },
      },
    ]);
  });

  it('does nothing while the node still has an open sub-task', async () => {
    const report = await dryRun('subtask-checked-off.json', 'story-doing-subtask-open.json');
    const rule = candidate(report, 'complete-node-when-subtasks-done');
    expect(rule.matched).toBe(false);
    expect(rule.conditions.at(-1)).toMatchObject({ path: 'open_subtask_nodes', outcome: false });
    expect(rule.run).toBeUndefined();
  });

  it('says the sub-tasks need live data when no work item is given', async () => {
    const report = await dryRun('subtask-checked-off.json');
    const rule = candidate(report, 'complete-node-when-subtasks-done');
    expect(rule.matched).toBe(false);
    expect(rule.conditions.at(-1)).toMatchObject({ path: 'open_subtask_nodes', outcome: 'needs_live_data' });
  });
});
