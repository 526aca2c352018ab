import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/cli/test-report.ts';
import { expectedKey } from './expected-key.ts';
import { autopilot, candidate, dryRun, NOW, REPO_ROOT } from './run-autopilot.ts';

const PROJECT = '66a1b2c3d4e5f60718293a4b';

describe('rules/triage-summary', () => {
  it('explains a manual run: only this rule, on the work item it names, read live', async () => {
    const report = await dryRun('manual-run-triage-summary.json', 'critical-bug-normalized.json');
    expect(report.event).toMatchObject({
      source: 'manual',
      type: 'manual.run',
      workItem: { id: '6437110014', typeKey: 'issue' },
      payload: { rule_id: 'triage-summary', requested_by: 'cli' },
    });
    expect(report.manual).toEqual({ ruleId: 'triage-summary' });
    expect(report.candidates.map((c) => c.ruleId)).toEqual(['triage-summary']);
    const rule = candidate(report, 'triage-summary');
    expect(rule.matched).toBe(true);
    expect(rule.conditions[0]).toMatchObject({ path: 'fields.priority', actual: 'P1', outcome: true });
    expect(rule.run!.actions[0]!.calls).toEqual([
      {
        operation: 'comment.create',
        method: 'POST',
        path: `/open_api/${PROJECT}/work_item/issue/6437110014/comment/create`,
        body: { content: 'Triage summary (manual.run): "Orders export times out" is P1, state open.' },
        headers: { 'X-IDEM-UUID': await expectedKey(report.event.id, 'triage-summary', 0) },
      },
    ]);
  });

  it('fires on its event too: a new P0 bug gets the summary', async () => {
    const rule = candidate(await dryRun('p0-bug-created.json'), 'triage-summary');
    expect(rule.matched).toBe(true);
    expect(rule.run!.actions[0]!.params).toEqual({
      text: 'Triage summary (work_item.created): "Payment page returns 500 for all users" is P0, state open.',
    });
  });

  it('a manual event naming another rule does not fire it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-manual-'));
    try {
      const fixture = join(REPO_ROOT, 'test/fixtures/events/manual-run-triage-summary.json');
      const event = JSON.parse(readFileSync(fixture, 'utf8')) as { payload: Record<string, unknown> };
      event.payload.rule_id = 'escalate-p0-bugs';
      const file = join(dir, 'event.json');
      writeFileSync(file, JSON.stringify(event));
      const { code, stdout } = await autopilot(['test', '--event', file, '--json', '--now', NOW]);
      expect(code).toBe(0);
      // escalate-p0-bugs has no manual trigger, triage-summary is not the rule named: nothing fires.
      const report = JSON.parse(stdout) as TestReport;
      expect(report.candidates).toEqual([]);
      expect(report.manual).toEqual({
        ruleId: 'escalate-p0-bugs',
        refused: {
          code: 'AP_MANUAL_REFUSED',
          message: "rule 'escalate-p0-bugs' has no manual trigger: add manual: true to its on",
        },
      });
      const text = await autopilot(['test', '--event', file, '--now', NOW]);
      expect(text.stdout).toContain(
        "  manual     names rule escalate-p0-bugs, which it cannot run: AP_MANUAL_REFUSED: rule 'escalate-p0-bugs' has no manual trigger",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
