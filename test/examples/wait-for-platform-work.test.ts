import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/wait-for-platform-work', () => {
  it('warns when the related platform story is still in progress', async () => {
    const report = await dryRun('testing-completed.json', 'story-with-platform-work.json');
    const rule = candidate(report, 'wait-for-platform-work');
    expect(rule.matched).toBe(true);
    expect(rule.conditions[1]).toMatchObject({
      fact: 'related',
      path: 'rule_demo_platform.*.state',
      actual: ['doing'],
      outcome: true,
    });
    expect(rule.run!.actions[0]!.calls![0]!.body).toEqual({
      content: 'Testing passed, but the linked platform work is not finished yet: release only after it is.',
    });
  });

  it('without the related items, says it needs live data', async () => {
    const rule = candidate(await dryRun('testing-completed.json'), 'wait-for-platform-work');
    expect(rule.needsLiveData).toBe(true);
    expect(rule.conditions[1]).toMatchObject({ outcome: 'needs_live_data' });
  });
});
