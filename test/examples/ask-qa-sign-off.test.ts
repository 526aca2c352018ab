import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/ask-qa-sign-off', () => {
  it('posts a card with a "Passed" button to the team chat when a story reaches Testing', async () => {
    const report = await dryRun('testing-reached.json');
    const rule = candidate(report, 'ask-qa-sign-off');
    expect(rule.matched).toBe(true);
    const [message] = rule.run!.actions;
    expect(message).toMatchObject({
      type: 'message',
      params: {
        to: 'oc_sim_team',
        card: {
          title: 'Ready for QA: Checkout redesign',
          color: 'blue',
          buttons: [{ text: 'Passed', action: 'qa-sign-off', style: 'primary' }],
        },
      },
    });
  });

  it('leaves a node completed alone', async () => {
    const report = await dryRun('testing-completed.json');
    expect(report.candidates.find((c) => c.ruleId === 'ask-qa-sign-off')).toBeUndefined();
  });
});
