import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/cli/test-report.ts';
import { autopilot, candidate, dryRun, NOW } from './run-autopilot.ts';

describe('rules/chase-bugs-stuck-in-progress', () => {
  it('nudges a bug In progress for four days, the time read from its state times', async () => {
    const report = await dryRun('bug-commented.json', 'bug-in-progress-4-days.json');
    const rule = candidate(report, 'chase-bugs-stuck-in-progress');
    expect(rule.matched).toBe(true);
    expect(rule.conditions.map((c) => [c.path, c.operator, c.actual, c.outcome])).toEqual([
      ['state', 'equal', 'in_progress', true],
      ['state_entered_at', 'olderThan', 1763600000000, true],
    ]);
    expect(rule.run!.actions[0]!.calls![0]!.body).toEqual({
      content: 'In progress for 4 days (since 2025-11-20). Is something blocking it?',
    });
  });

  it('leaves alone a bug that entered In progress the day before', async () => {
    const item = JSON.parse(
      readFileSync(new URL('../fixtures/work-items/bug-in-progress-4-days.json', import.meta.url), 'utf8'),
    ) as { data: [{ state_times: { start_time: number }[] }] };
    item.data[0].state_times[1]!.start_time = 1763900000000; // 46,000 s before NOW
    const file = join(mkdtempSync(join(tmpdir(), 'autopilot-item-')), 'bug.json');
    writeFileSync(file, JSON.stringify(item));
    const event = 'test/fixtures/events/bug-commented.json';
    const { code, stdout } = await autopilot([
      'test',
      '--event',
      event,
      '--work-item',
      file,
      '--json',
      '--now',
      NOW,
    ]);
    expect(code).toBe(0);
    const rule = candidate(JSON.parse(stdout) as TestReport, 'chase-bugs-stuck-in-progress');
    expect(rule.matched).toBe(false);
    expect(rule.conditions[1]).toMatchObject({ actual: 1763900000000, outcome: false });
  });
});
