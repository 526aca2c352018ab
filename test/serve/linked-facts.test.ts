/**
 * The facts users asked for, through the front door: the engine on the built-in simulator with
 * the shipped rules, people acting in the simulator, the rules' writes read back from it.
 * Time in state (a bug In progress for four days), change.field by alias (a story's test
 * plan, pushed as field_test_plan, matched by the rule's test_plan), a related item's state (a
 * platform story bound by a space relation rule) and the parent's field (a P0 parent story).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS, type RunningSimulator } from '../../src/simulator/index.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient, type SimClient } from './support/sim-client.ts';

const TYPO = 6437110005; // issue "Typo on pricing page", in_progress
const DARK_MODE = 6437110002; // story "Dark mode"
const DAY = 86_400_000;

const shipped = (name: string) => readFileSync(new URL(`../../rules/${name}`, import.meta.url), 'utf8');

let t: TestEngine;
let sim: RunningSimulator;
let alice: SimClient;

beforeAll(async () => {
  t = await startTestEngine({
    rules: {
      'chase-bugs-stuck-in-progress.yaml': shipped('chase-bugs-stuck-in-progress.yaml'),
      'announce-test-plan.yaml': shipped('announce-test-plan.yaml'),
      'wait-for-platform-work.yaml': shipped('wait-for-platform-work.yaml'),
      'guard-p0-parent.yaml': shipped('guard-p0-parent.yaml'),
    },
  });
  sim = t.engine.simulator!;
  alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
}, 60_000);
afterAll(async () => t?.close());

const botComments = (workItemId: number) =>
  sim.state.comments.filter((c) => c.work_item_id === workItemId && c.operator === USERS.bot);

async function runsOf(ruleId: string, count: number) {
  return eventually(async () => {
    const runs = await t.engine.stores.runs.list({ ruleId });
    return runs.length === count && runs.every((r) => r.state === 'succeeded') ? runs : undefined;
  }, `${count} succeeded run(s) of ${ruleId}`);
}

describe('time in the current state', () => {
  it('a comment on a bug In progress for four days gets the nudge; one In progress for an hour does not', async () => {
    const typo = sim.state.work_items.find((w) => w.id === TYPO)!;
    const entered = typo.state_times.find((s) => s.state_key === 'in_progress' && s.end_time === 0)!;
    entered.start_time = Date.now() - 4 * DAY;
    expect(
      (
        await alice.call('POST', `/open_api/demo/work_item/issue/${TYPO}/comment/create`, {
          content: 'Any news?',
        })
      ).err_code,
    ).toBe(0);
    await runsOf('chase-bugs-stuck-in-progress', 1);
    expect(botComments(TYPO).map((c) => c.content)).toEqual([
      expect.stringMatching(
        /^In progress for 4 days \(since \d{4}-\d\d-\d\d\)\. Is something blocking it\?$/,
      ),
    ]);

    entered.start_time = Date.now() - 3_600_000;
    await alice.call('POST', `/open_api/demo/work_item/issue/${TYPO}/comment/create`, {
      content: 'Picked up again',
    });
    const notMatched = await eventually(async () => {
      const records = await t.engine.stores.audit.query({
        ruleId: 'chase-bugs-stuck-in-progress',
        kind: 'rule.not_matched',
      });
      // The engine's own comment is an event too, skipped as self-caused.
      const evaluated = records.filter((r) => (r.detail as { skipped?: unknown }).skipped === undefined);
      return evaluated.length === 1 ? evaluated : undefined;
    }, 'the second comment evaluated');
    expect(notMatched[0]!.detail).toMatchObject({
      conditions: [
        { path: 'state', outcome: true },
        { path: 'state_entered_at', outcome: false },
      ],
    });
    expect(botComments(TYPO)).toHaveLength(1);
  });
});

describe('change.field by alias', () => {
  it('an update of field_test_plan fires the rule that names test_plan, reading the field definitions once', async () => {
    const link = 'https://example.com/test-plans/dark-mode';
    const updated = await alice.call('PUT', `/open_api/demo/work_item/story/${DARK_MODE}`, {
      update_fields: [{ field_key: 'field_test_plan', field_value: link }],
    });
    expect(updated.err_code).toBe(0);
    await runsOf('announce-test-plan', 1);
    expect(botComments(DARK_MODE).map((c) => c.content)).toEqual([`Test plan ready for review: ${link}`]);
    expect(sim.requests({ route: 'config.fieldsAll' }).length).toBeGreaterThanOrEqual(1);
  });

  it('an update of another field does not fire it', async () => {
    await alice.call('PUT', `/open_api/demo/work_item/story/${DARK_MODE}`, {
      update_fields: [{ field_key: 'field_estimate', field_value: 5 }],
    });
    const notMatched = await eventually(async () => {
      const records = await t.engine.stores.audit.query({
        ruleId: 'announce-test-plan',
        kind: 'rule.not_matched',
      });
      return records.length === 1 ? records : undefined;
    }, 'the estimate update evaluated');
    const { conditions } = notMatched[0]!.detail as { conditions: unknown[] };
    expect(conditions[0]).toMatchObject({ path: 'field', actual: 'field_estimate', outcome: false });
    expect(botComments(DARK_MODE)).toHaveLength(1);
  });
});

const SEARCH = 6437110003; // story "Search v2", in Testing, P0
const PAYMENTS = 6437110006; // story "Payments API" in space platform, at start
const CRASH = 6437110004; // issue "Crash on login", P0

describe('related work items', () => {
  it('completing Testing while the bound platform story is not done warns, reading the related items only for that rule', async () => {
    // The events before this one had no candidate rule naming related items: nothing was read.
    expect(sim.requests({ route: 'relation.workItemList' })).toHaveLength(0);
    sim.state.bindings.push({
      rule_id: 'rule_demo_platform',
      work_item_id: SEARCH,
      remote_project_key: sim.state.work_items.find((w) => w.id === PAYMENTS)!.project_key,
      remote_work_item_type_key: 'story',
      remote_work_item_id: PAYMENTS,
      chat_group_merge: 0,
    });
    const done = await alice.call('POST', `/open_api/demo/workflow/story/${SEARCH}/node/testing/operate`, {
      action: 'confirm',
    });
    expect(done.err_code).toBe(0);
    await runsOf('wait-for-platform-work', 1);
    expect(botComments(SEARCH).map((c) => c.content)).toEqual([
      'Testing passed, but the linked platform work is not finished yet: release only after it is.',
    ]);
    expect(sim.requests({ route: 'relation.workItemList' })).toHaveLength(1);
  });
});

describe('the parent work item', () => {
  it('lowering a bug under a P0 parent story from P0 gets the reminder', async () => {
    expect(sim.requests({ route: 'config.workItemRelations' })).toHaveLength(0);
    sim.state.parent_relations = [
      {
        id: 'rel_bug_parent',
        name: 'Parent story',
        project_key: sim.state.work_items.find((w) => w.id === CRASH)!.project_key,
        work_item_type_key: 'issue',
        parent_project_key: sim.state.work_items.find((w) => w.id === SEARCH)!.project_key,
        parent_type_key: 'story',
      },
    ];
    sim.state.work_items.find((w) => w.id === CRASH)!.parent = {
      relation_id: 'rel_bug_parent',
      work_item_id: SEARCH,
    };
    const lowered = await alice.call('PUT', `/open_api/demo/work_item/issue/${CRASH}`, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }],
    });
    expect(lowered.err_code).toBe(0);
    await runsOf('guard-p0-parent', 1);
    expect(botComments(CRASH).map((c) => c.content)).toEqual([
      'The parent story is P0: lowering this bug below P0 needs the story owner to agree.',
    ]);
    expect(sim.requests({ route: 'config.workItemRelations' }).length).toBeGreaterThanOrEqual(1);
  });
});
