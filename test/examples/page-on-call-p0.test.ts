import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/page-on-call-p0', () => {
  it('posts a red card with a "Take it" button to the on-call chat for a new P0 bug', async () => {
    const report = await dryRun('p0-bug-created.json');
    const rule = candidate(report, 'page-on-call-p0');
    expect(rule.matched).toBe(true);
    const [message] = rule.run!.actions;
    expect(message).toMatchObject({
      type: 'message',
      params: {
        to: 'oc_sim_oncall',
        card: {
          title: 'P0: Payment page returns 500 for all users',
          color: 'red',
          text: 'Raised by <name of 7400000000000000002>. Who takes it?',
          fields: { Priority: 'P0', Severity: 'critical' },
          buttons: [{ text: 'Take it', action: 'take-p0-bug', style: 'primary' }],
        },
      },
    });
  });

  it('leaves a P2 bug alone', async () => {
    const report = await dryRun('p2-bug-created.json');
    expect(candidate(report, 'page-on-call-p0').matched).toBe(false);
  });
});
