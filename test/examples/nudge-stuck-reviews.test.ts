import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/nudge-stuck-reviews', () => {
  it('nudges the testers of a story in Testing for more than five days', async () => {
    const report = await dryRun('stuck-review-poll.json', 'story-in-testing.json');
    expect(report.event).toMatchObject({ source: 'poll', type: 'work_item.updated' });
    const rule = candidate(report, 'nudge-stuck-reviews');
    expect(rule.matched).toBe(true);
    expect(rule.conditions.map((c) => [c.path, c.actual, c.outcome])).toEqual([
      ['current_nodes.0.id', 'testing', true],
      ['created_at', 1763000000000, true],
    ]);
    expect(rule.run!.actions[0]!.calls).toMatchObject([
      {
        path: '/open_api/66a1b2c3d4e5f60718293a4b/work_item/story/6437110001/comment/create',
        body: {
          content:
            'Still in review after more than five days, and now P1. Testers (7400000000000000004): please finish or roll back.',
        },
      },
    ]);
  });

  it('is not a candidate for a webhook update: only its own poll fires it', async () => {
    const report = await dryRun('severity-raised.json');
    expect(report.candidates.map((c) => c.ruleId)).not.toContain('nudge-stuck-reviews');
  });
});
