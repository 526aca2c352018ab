import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

const PROJECT = '66a1b2c3d4e5f60718293a4b';

describe('rules/escalate-p0-bugs', () => {
  it('comments on a new P0 bug and moves it on, re-reading it first', async () => {
    const report = await dryRun('p0-bug-created.json');
    expect(report.event).toMatchObject({
      type: 'work_item.created',
      workItem: { id: '6437110011', typeKey: 'issue' },
    });
    const rule = candidate(report, 'escalate-p0-bugs');
    expect(rule.matched).toBe(true);
    expect(rule.conditions).toEqual([
      {
        fact: 'work_item',
        path: 'fields.priority',
        operator: 'equal',
        expected: 'P0',
        actual: 'P0',
        outcome: true,
      },
    ]);
    const [comment, transition] = rule.run!.actions;
    expect(comment!.calls).toEqual([
      {
        operation: 'comment.create',
        method: 'POST',
        path: `/open_api/${PROJECT}/work_item/issue/6437110011/comment/create`,
        body: {
          content:
            'P0 raised by 7400000000000000002: "Payment page returns 500 for all users". Triage starts now; please post updates here.',
        },
        headers: { 'X-IDEM-UUID': await expectedKey(report.event.id, 'escalate-p0-bugs', 0) },
      },
    ]);
    expect(transition).toMatchObject({ type: 'transition', recheck: true, params: { to: 'in_progress' } });
    expect(transition!.calls).toBeUndefined();
    expect(transition!.deferred).toMatch(/workflow\.query/);
    expect(transition!.idempotencyKey).toBe(await expectedKey(report.event.id, 'escalate-p0-bugs', 1));
  });

  it('leaves a P2 bug alone, showing the priority it saw', async () => {
    const rule = candidate(await dryRun('p2-bug-created.json'), 'escalate-p0-bugs');
    expect(rule.matched).toBe(false);
    expect(rule.conditions[0]).toMatchObject({ actual: 'P2', outcome: false });
    expect(rule.run).toBeUndefined();
  });
});
