import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../src/plan/idempotency.ts';
import { loadRules } from '../../src/rules/load-rules.ts';
import { candidate, dryRun, REPO_ROOT } from './run-autopilot.ts';

async function nestedKey(eventId: string, path: string): Promise<string> {
  const { rules } = await loadRules(['rules/route-new-bugs.yaml'], { cwd: REPO_ROOT });
  return idempotencyKey(eventId, 'route-new-bugs', rules[0]!.version, path);
}

describe('rules/route-new-bugs', () => {
  it('takes the P0 pair for a P0 bug: the trace, then the exact comment and the deferred assignment', async () => {
    const report = await dryRun('p0-bug-created.json');
    const [choose] = candidate(report, 'route-new-bugs').run!.actions;
    expect(choose!.type).toBe('choose');
    expect(choose!.deferred).toMatch(/first pair whose condition holds/);
    const explain = choose!.explain!;
    expect(explain.branch).toMatchObject({ taken: 0, conditions: [{ actual: 'P0', outcome: true }] });
    const [comment, assign] = explain.steps!;
    expect(comment).toMatchObject({
      path: '0/c0/0',
      idempotencyKey: await nestedKey(report.event.id, '0/c0/0'),
      calls: [{ operation: 'comment.create', body: { content: 'P0: paging the on-call engineer.' } }],
    });
    expect(assign).toMatchObject({
      path: '0/c0/1',
      type: 'assign',
      deferred: expect.stringMatching(/role_owners/),
    });
  });

  it('takes the sprint pair for a P2 bug, after the P0 pair was false', async () => {
    const report = await dryRun('p2-bug-created.json');
    const explain = candidate(report, 'route-new-bugs').run!.actions[0]!.explain!;
    expect(explain.branch?.taken).toBe(1);
    expect(explain.branch?.conditions.map((c) => c.outcome)).toEqual([false, true]);
    expect(explain.steps!.map((s) => s.calls?.[0]?.body)).toEqual([
      { content: 'Queued for the next sprint.' },
    ]);
  });
});
