import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

function commentBody(report: Awaited<ReturnType<typeof dryRun>>): unknown {
  const rule = candidate(report, 'comment-rollback-reason');
  expect(rule.matched).toBe(true);
  const [call] = rule.run!.actions[0]!.calls!;
  expect(call).toMatchObject({
    method: 'POST',
    path: '/open_api/66a1b2c3d4e5f60718293a4b/work_item/story/6437110001/comment/create',
  });
  return call!.body;
}

describe('rules/comment-rollback-reason', () => {
  it('comments the reason a legacy WFNodeRollbacked delivery gives', async () => {
    const report = await dryRun('node-rolled-back-legacy.json');
    expect(report.input).toBe('feishu-webhook');
    expect(report.event.type).toBe('node.rolled_back');
    expect(commentBody(report)).toEqual({
      content:
        'Rolled back to Development (doing) by 7400000000000000004. Reason: Coupon rules missing from the test plan',
    });
  });

  it('says no reason was given when the new-format event carries none', async () => {
    const report = await dryRun('node-rolled-back.json');
    expect(commentBody(report)).toEqual({
      content: 'Rolled back to Development (doing) by 7400000000000000004. Reason: none given',
    });
  });
});
