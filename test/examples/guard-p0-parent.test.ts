import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/guard-p0-parent', () => {
  it('reminds that the parent story is P0 when a bug is lowered from P0', async () => {
    const report = await dryRun('bug-priority-lowered.json', 'bug-with-p0-parent.json');
    const rule = candidate(report, 'guard-p0-parent');
    expect(rule.matched).toBe(true);
    expect(rule.conditions[1]).toMatchObject({
      fact: 'parent',
      path: 'fields.priority',
      actual: 'P0',
      outcome: true,
    });
    expect(rule.run!.actions[0]!.calls![0]!.body).toEqual({
      content: 'The parent story is P0: lowering this bug below P0 needs the story owner to agree.',
    });
  });

  it('without the parent, says it needs live data', async () => {
    const rule = candidate(await dryRun('bug-priority-lowered.json'), 'guard-p0-parent');
    expect(rule.needsLiveData).toBe(true);
    expect(rule.conditions[1]).toMatchObject({ fact: 'parent', outcome: 'needs_live_data' });
  });
});
