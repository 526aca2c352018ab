import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/assign-critical-bugs', () => {
  it('assigns a bug reported as critical (severity read from the webhook payload)', async () => {
    const report = await dryRun('p0-bug-created.json');
    const rule = candidate(report, 'assign-critical-bugs');
    expect(rule.matched).toBe(true);
    const [assign, comment] = rule.run!.actions;
    expect(assign!.params).toEqual({ role: 'operator', users: ['7400000000000000004'] });
    expect(assign!.deferred).toMatch(/role_owners/);
    expect(assign!.idempotencyKey).toBe(await expectedKey(report.event.id, 'assign-critical-bugs', 0));
    expect(comment!.calls![0]!.body).toEqual({ content: 'Critical bug: assigned to the on-call engineer.' });
  });

  it('needs the live bug when only the change is known, and matches with a normalized work item', async () => {
    const without = candidate(await dryRun('severity-raised.json'), 'assign-critical-bugs');
    expect(without).toMatchObject({ matched: false, needsLiveData: true });
    const report = await dryRun('severity-raised.json', 'critical-bug-normalized.json');
    const rule = candidate(report, 'assign-critical-bugs');
    expect(rule.matched).toBe(true);
    expect(rule.conditions.map((c) => c.outcome)).toEqual([true, false, true]);
  });
});
