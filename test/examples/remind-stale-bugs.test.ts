import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.ts';
import { startHarness } from '../executor/support/harness.ts';
import { manualClock } from '../executor/support/program.ts';
import { planRun } from '../../src/plan/plan-run.ts';
import { toEvent } from '../../src/cli/test-input.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun, REPO_ROOT } from './run-autopilot.ts';

const DAY = 86_400_000;

describe('rules/remind-stale-bugs', () => {
  it('explains the wait and the reminder rendered after it', async () => {
    const report = await dryRun('p2-bug-created.json');
    const rule = candidate(report, 'remind-stale-bugs');
    expect(rule.matched).toBe(true);
    const [wait, comment] = rule.run!.actions;
    expect(wait).toMatchObject({ type: 'wait', recheck: true, params: { duration: '1d' } });
    expect(wait!.deferred).toMatch(/parks the run for 1d .*re-checks/);
    expect(comment!.deferred).toMatch(/after a wait/);
    expect(comment!.idempotencyKey).toBe(await expectedKey(report.event.id, 'remind-stale-bugs', 1));
  });

  it('reminds a day later with the live name, and not at all once the bug is resolved', async () => {
    const { rules } = await loadRules(['rules/remind-stale-bugs.yaml'], { cwd: REPO_ROOT });
    const rule = rules[0]!;
    const body = JSON.parse(
      readFileSync(join(REPO_ROOT, 'test/fixtures/events/p2-bug-created.json'), 'utf8'),
    );
    const clock = manualClock();
    const h = await startHarness({ now: clock.now });
    try {
      h.rules.set(rule.id, rule);
      let state = 'open';
      h.api.otherwise((call) =>
        call.operation === 'workItem.query'
          ? {
              class: 'ok',
              data: [
                {
                  id: 6437110012,
                  name: 'Typo on the settings page (renamed)',
                  work_item_type_key: 'issue',
                  project_key: '66a1b2c3d4e5f60718293a4b',
                  work_item_status: { state_key: state },
                  fields: [{ field_key: 'priority', field_value: { label: 'P2', value: 'P2' } }],
                },
              ],
            }
          : { class: 'ok', data: {} },
      );
      const open = planRun(toEvent(body, clock.now()).event, rule, { now: clock.now() });
      const resolved = planRun(
        toEvent({ ...body, header: { ...body.header, uuid: 'other' } }, clock.now()).event,
        rule,
        {
          now: clock.now(),
        },
      );
      await h.stores.runs.enqueue([open], clock.now());
      h.executor.start();
      await h.executor.idle();
      expect(h.api.calls).toHaveLength(0);
      clock.advance(DAY);
      h.executor.notify();
      await h.executor.idle();
      expect(h.api.callsOf('comment.create').map((c) => c.call.body)).toEqual([
        { content: 'Still open a day later: "Typo on the settings page (renamed)" needs an owner.' },
      ]);
      state = 'resolved';
      await h.stores.runs.enqueue([resolved], clock.now());
      h.executor.notify();
      await h.executor.idle();
      clock.advance(DAY);
      h.executor.notify();
      await h.executor.idle();
      expect(h.api.callsOf('comment.create')).toHaveLength(1);
      expect((await h.stores.runs.get(resolved.id))?.state).toBe('skipped');
    } finally {
      await h.close();
    }
  });
});
