import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { autopilot, candidate, dryRun } from './run-autopilot.ts';

describe('rules/notify-status-page', () => {
  it('closes the incident of a resolved bug, with the token shown as ***', async () => {
    const report = await dryRun('bug-resolved.json');
    expect(report.event).toMatchObject({
      type: 'work_item.status_changed',
      change: { from: 'in_progress', to: 'resolved' },
    });
    const rule = candidate(report, 'notify-status-page');
    expect(rule.matched).toBe(true);
    const [http] = rule.run!.actions;
    // The plan keeps the template: the value is read only when the step runs.
    expect(http!.params.headers).toEqual({ Authorization: 'Bearer {{secrets.STATUS_PAGE_TOKEN}}' });
    expect(http!.deferred).toMatch(/secrets\.\*/);
    expect(http!.explain?.calls).toEqual([
      {
        operation: 'http.request',
        method: 'POST',
        path: 'https://status.example.com/api/v1/incidents/resolve',
        body: { work_item: '6437110011', resolved_by: '7400000000000000003' },
        headers: {
          authorization: 'Bearer ***',
          'content-type': 'application/json',
          'idempotency-key': await expectedKey(report.event.id, 'notify-status-page', 0),
        },
      },
    ]);
  });

  it('prints the header with *** in the text report', async () => {
    const { code, stdout } = await autopilot(['test', '--event', 'test/fixtures/events/bug-resolved.json']);
    expect(code).toBe(0);
    expect(stdout).toContain('authorization: Bearer ***');
  });

  it('leaves a bug that only moved to in progress alone', async () => {
    const report = await dryRun('p0-bug-created.json');
    expect(report.candidates.some((c) => c.ruleId === 'notify-status-page' && c.matched)).toBe(false);
  });
});
