import { describe, expect, it } from 'vitest';
import { candidate, dryRun, NOW } from './run-autopilot.ts';

// test/lark/approval.test.ts and approval-kill.test.ts run approvals through the engine.
describe('rules/approve-hotfix', () => {
  it('asks for the approval in the chat of the command, parked for a day, then moves and comments', async () => {
    const report = await dryRun('chat-hotfix-command.json');
    const rule = candidate(report, 'approve-hotfix');
    expect(rule.matched).toBe(true);
    const [approve, transition, comment] = rule.run!.actions;
    expect(approve).toMatchObject({ type: 'approve', name: 'signoff' });
    expect(approve!.explain).toMatchObject({
      parksUntil: Date.parse(NOW) + 86_400_000,
      params: {
        to: 'oc_5ad11d72b830411d72b836c20',
        title: 'Hotfix of bug 6437110004?',
        text: 'Asked by <name of 7400000000000000002>',
        approvers: ['7400000000000000003'],
        on_timeout: 'reject',
      },
    });
    expect(transition).toMatchObject({ type: 'transition' });
    expect(transition!.deferred).toMatch(/after a wait/);
    expect(comment!.explain?.deferred).toBe('reads {{steps.signoff.approver}}, known when the step runs');
  });
});
