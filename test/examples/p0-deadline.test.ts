/**
 * rules/p0-deadline through the front door: the engine on its built-in simulator with a clock the
 * test moves. A P0 bug's run parks until four hours after the bug was reported (wait_until), then
 * comments if the bug is not resolved, and stops quietly if it is.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenApiClient } from '../../src/openapi/client.ts';
import { projectCalls } from '../../src/openapi/project-calls.ts';
import { USERS } from '../../src/simulator/index.ts';
import { shiftedClock, startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { eventually } from '../serve/support/engine-harness.ts';
import { candidate, dryRun, REPO_ROOT } from './run-autopilot.ts';

const HOUR = 3_600_000;
const RULE = readFileSync(`${REPO_ROOT}/rules/p0-deadline.yaml`, 'utf8');

describe('rules/p0-deadline', () => {
  it('explains the wait until four hours after the report and the comment rendered after it', async () => {
    const report = await dryRun('p0-bug-created.json');
    const rule = candidate(report, 'p0-deadline');
    expect(rule.matched).toBe(true);
    const [wait, comment] = rule.run!.actions;
    expect(wait).toMatchObject({ type: 'wait_until', recheck: true });
    expect(comment!.deferred ?? '').toMatch(/after a wait/);
  });

  describe('on the engine', () => {
    let t: TriggerTestEngine;
    let alice: OpenApiClient;
    const clock = shiftedClock();

    beforeAll(async () => {
      t = await startTriggerEngine({ rules: { 'p0-deadline.yaml': RULE }, clock });
      const sim = t.engine.simulator!;
      alice = new OpenApiClient({
        baseUrl: sim.baseUrl,
        pluginId: sim.credentials.pluginId,
        pluginSecret: sim.credentials.pluginSecret,
        userKey: USERS.alice,
      });
    }, 120_000);
    afterAll(async () => {
      await alice?.close();
      await t?.close();
    });

    async function reportP0(name: string): Promise<number> {
      const outcome = await alice.call(
        projectCalls.createWorkItem(t.engine.simulator!.credentials.simpleName, {
          work_item_type_key: 'issue',
          name,
          field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P0' } }],
        }),
        { idempotencyKey: randomUUID() },
      );
      if (outcome.class !== 'ok') throw new Error(`create failed: ${outcome.errCode} ${outcome.errMsg}`);
      return Number(outcome.data);
    }

    const commentsOn = (id: number) =>
      t.engine.simulator!.state.comments.filter((c) => Number(c.work_item_id) === id).map((c) => c.content);

    it('comments on a P0 still open four hours later, and not on one resolved meanwhile', async () => {
      const open = await reportP0('Payments time out');
      const fixed = await reportP0('Login loops');
      const sim = t.engine.simulator!;
      await sim.webhooksIdle();
      await t.engine.idle();
      const parked = async () => (await t.engine.stores.runs.list({ state: 'parked' })).length;
      await eventually(async () => (await parked()) === 2 || undefined, 'two parked runs', 60_000);
      expect(commentsOn(open)).toEqual([]);

      const item = sim.state.work_items.find((w) => w.id === fixed)!;
      item.status = { ...item.status, state_key: 'resolved' };
      clock.advance(4 * HOUR + 60_000);
      await eventually(() => commentsOn(open).length > 0 || undefined, 'the deadline comment', 60_000);
      await eventually(async () => (await parked()) === 0 || undefined, 'both runs woken', 60_000);
      await t.engine.idle();
      expect(commentsOn(open)).toEqual([
        'Four hours and still open: this P0 is past its deadline. Developer: nobody.',
      ]);
      expect(commentsOn(fixed)).toEqual([]);
    }, 180_000);
  });
});
