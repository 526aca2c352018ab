import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/overdue-bug-sweep', () => {
  it('reminds the assignee of a P1 bug open for a week, dates in Beijing time', async () => {
    const report = await dryRun('overdue-sweep-fired.json', 'overdue-bug.json');
    expect(report.event).toMatchObject({ source: 'schedule', type: 'schedule.fired' });
    const rule = candidate(report, 'overdue-bug-sweep');
    expect(rule.matched).toBe(true);
    expect(rule.conditions[0]).toMatchObject({ operator: 'olderThan', actual: 1763340000000, outcome: true });
    expect(rule.run!.actions[0]!.calls).toMatchObject([
      {
        method: 'POST',
        path: '/open_api/66a1b2c3d4e5f60718293a4b/work_item/issue/6437110013/comment/create',
        body: {
          content:
            'Overdue: this P1 bug was reported on 2025-11-17 and is still in_progress. Assignee: 7400000000000000003.',
        },
      },
    ]);
  });

  it('says it needs the work item when the tick comes without one', async () => {
    const rule = candidate(await dryRun('overdue-sweep-fired.json'), 'overdue-bug-sweep');
    expect(rule).toMatchObject({ matched: false, needsLiveData: true });
  });
});
