import { describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/cli/test-report.ts';
import { autopilot, candidate, dryRun, NOW } from './run-autopilot.ts';

const EVENT = 'test/fixtures/events/bug-reopened.json';

async function withVars(vars: string): Promise<TestReport> {
  const args = ['test', '--event', EVENT, '--vars', `test/fixtures/vars/${vars}`, '--json', '--now', NOW];
  const { code, stdout, stderr } = await autopilot(args);
  if (code !== 0) throw new Error(`autopilot test exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as TestReport;
}

describe('rules/count-reopened-bugs', () => {
  it('counts the first reopening, writes nothing, and asks for no review yet', async () => {
    const report = await dryRun('bug-reopened.json');
    const rule = candidate(report, 'count-reopened-bugs');
    expect(rule.matched).toBe(true);
    const [increment, comment] = rule.run!.actions;
    expect(increment).toMatchObject({ type: 'increment', name: 'reopened' });
    expect(increment!.explain?.variable).toEqual({
      var: 'work_item.reopened',
      key: 'var:work_item:66a1b2c3d4e5f60718293a4b:6437110011:reopened',
      value: 1,
    });
    expect(comment!.explain?.branch).toMatchObject({
      taken: 'else',
      conditions: [{ fact: 'vars', path: 'work_item.reopened', outcome: false }],
    });
  });

  it('asks for the review on the third reopening: the comment step sees the count the increment leaves', async () => {
    const report = await withVars('reopened-twice.json');
    const [increment, comment] = candidate(report, 'count-reopened-bugs').run!.actions;
    expect(increment!.explain?.variable).toMatchObject({ before: 2, value: 3 });
    expect(comment!.explain?.branch).toMatchObject({
      taken: 'then',
      conditions: [{ actual: 3, outcome: true }],
    });
    // The comment reads the increment's result: known offline, so its exact call is shown.
    expect(comment!.explain?.calls).toMatchObject([
      {
        operation: 'comment.create',
        body: { content: 'Reopened 3 times: please look for the root cause before fixing it again.' },
      },
    ]);
  });

  it('refuses a variables file that is not name → value by scope', async () => {
    const { code, stderr } = await autopilot([
      'test',
      '--event',
      EVENT,
      '--vars',
      'test/fixtures/events/bug-reopened.json',
      '--now',
      NOW,
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      "AP_INPUT_FILE: the variables: unknown scope 'header' (scopes: work_item, rule, space)",
    );
  });
});
