import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/complete-node-when-subtasks-done', () => {
  it('confirms the node of a sub-task that was checked off', async () => {
    const report = await dryRun('subtask-checked-off.json');
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
});
