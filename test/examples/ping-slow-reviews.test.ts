import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/ping-slow-reviews', () => {
  it('pings the testers of a story in its Testing node for three days', async () => {
    const report = await dryRun('bug-comment-on-story.json', 'story-in-testing-3-days.json');
    const rule = candidate(report, 'ping-slow-reviews');
    expect(rule.matched).toBe(true);
    expect(rule.conditions).toMatchObject([
      { path: 'node_entered_at.testing', operator: 'olderThan', actual: 1763680000000, outcome: true },
    ]);
    expect(rule.run!.actions[0]!.calls![0]!.body).toEqual({
      content: 'In Testing for 3 days. Testers (7400000000000000004): can the review finish this week?',
    });
  });

  it('says it needs the live story when only the webhook is given', async () => {
    const rule = candidate(await dryRun('bug-comment-on-story.json'), 'ping-slow-reviews');
    expect(rule.needsLiveData).toBe(true);
    expect(rule.conditions[0]).toMatchObject({ outcome: 'needs_live_data' });
  });
});
