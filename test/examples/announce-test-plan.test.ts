import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/announce-test-plan', () => {
  it('matches the update of field_test_plan by its alias test_plan', async () => {
    const report = await dryRun('test-plan-updated.json', 'story-with-test-plan.json');
    expect(report.event.change).toMatchObject({ kind: 'field', field: 'field_test_plan' });
    const rule = candidate(report, 'announce-test-plan');
    expect(rule.matched).toBe(true);
    expect(rule.conditions[0]).toMatchObject({
      fact: 'change',
      path: 'field',
      operator: 'in',
      expected: ['test_plan'],
      actual: 'test_plan',
      outcome: true,
    });
    expect(rule.run!.actions[0]!.calls![0]!.body).toEqual({
      content: 'Test plan ready for review: https://example.com/test-plans/checkout-v2',
    });
  });

  it('without the work item, cannot know the alias and says so', async () => {
    const rule = candidate(await dryRun('test-plan-updated.json'), 'announce-test-plan');
    expect(rule.matched).toBe(false);
    expect(rule.needsLiveData).toBe(true);
    expect(rule.conditions[0]).toMatchObject({ actual: 'field_test_plan', outcome: 'needs_live_data' });
  });
});
