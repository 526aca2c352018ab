import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

// test/serve/for-each-related.test.ts runs this rule over 50 linked bugs on the simulator.
describe('rules/tell-linked-bugs', () => {
  it('matches the Testing node completed, and says what only the run can read', async () => {
    const report = await dryRun('testing-completed.json');
    const rule = candidate(report, 'tell-linked-bugs');
    expect(rule.matched).toBe(true);
    const [loop, summary] = rule.run!.actions;
    expect(loop).toMatchObject({ type: 'for_each', name: 'bugs', params: { max_items: 50 } });
    expect(loop!.explain?.deferred).toBe("reads the work item's related work items when it runs");
    expect(summary!.explain?.deferred).toBe('reads {{steps.bugs.count}}, known when the step runs');
  });

  it('does not match a rollback of the node', async () => {
    const report = await dryRun('node-rolled-back.json');
    expect(report.candidates.find((c) => c.ruleId === 'tell-linked-bugs')).toBeUndefined();
  });
});
