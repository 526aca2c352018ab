/**
 * rules/weekly-p0-report through the front door: the engine on its built-in simulator, its clock
 * moved to Monday 10:00 Beijing time twice. The look-up finds the open P0 bugs, the team chat gets
 * their names, and the second Monday's message says how many there were the week before.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import { shiftedClock, startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { candidate, dryRun, REPO_ROOT } from './run-autopilot.ts';

const RULE = readFileSync(`${REPO_ROOT}/rules/weekly-p0-report.yaml`, 'utf8');
/** Monday 2026-11-23, 10:00 in Shanghai (02:00 UTC). */
const MONDAY_1000 = Date.UTC(2026, 10, 23, 2, 0, 0);
const WEEK = 7 * 86_400_000;

describe('rules/weekly-p0-report', () => {
  it('explains the look-up, and the message and variable that read its answer when they run', async () => {
    const report = await dryRun('weekly-p0-report-fired.json');
    const rule = candidate(report, 'weekly-p0-report');
    expect(rule.matched).toBe(true);
    expect(rule.run!.actions.map((a) => a.type)).toEqual(['lookup', 'message', 'set']);
    expect(JSON.stringify(rule.run!.actions[1])).toContain('{{steps.open_p0.count}}');
  });

  describe('on the engine', () => {
    let t: TriggerTestEngine;
    const clock = shiftedClock(MONDAY_1000 - 60_000);

    beforeAll(async () => {
      t = await startTriggerEngine({ rules: { 'weekly-p0-report.yaml': RULE }, clock });
    }, 120_000);
    afterAll(async () => t?.close());

    function openP0Names(): string[] {
      return t
        .engine!.simulator!.state.work_items.filter(
          (w) =>
            w.work_item_type_key === 'issue' &&
            !w.deleted &&
            ['open', 'in_progress'].includes(w.status.state_key) &&
            (w.fields.priority as { value?: string } | undefined)?.value === 'P0',
        )
        .map((w) => w.name);
    }

    const teamTexts = () =>
      t
        .engine!.simulator!.larkMessages()
        .filter((m) => m.chat_id === DEMO_CHATS.team)
        .map((m) => (m.content as { text: string }).text);

    it('lists the open P0 bugs in the team chat and compares with the Monday before', async () => {
      const names = openP0Names();
      expect(names.length).toBeGreaterThan(0);
      clock.set(MONDAY_1000 + 30_000);
      await t.engine.triggers.runner.runDue();
      await t.engine.idle();
      const [first] = teamTexts();
      expect(first).toBe(`Open P0 bugs: ${names.length} (last week: not counted). ${names.join(', ')}`);

      clock.set(MONDAY_1000 + WEEK + 30_000);
      await t.engine.triggers.runner.runDue();
      await t.engine.idle();
      expect(teamTexts()).toHaveLength(2);
      expect(teamTexts()[1]).toBe(
        `Open P0 bugs: ${names.length} (last week: ${names.length}). ${names.join(', ')}`,
      );
    }, 120_000);
  });
});
