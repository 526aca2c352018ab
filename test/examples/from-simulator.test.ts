/**
 * The example rules against what the demo tenant of the simulator really pushes: the webhook
 * body is saved as a file and given to `autopilot test`, as a rule author would.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/cli/test-report.ts';
import { startHarness, type Harness } from '../ingest/simulator-harness.ts';
import { autopilot, candidate, NOW } from './run-autopilot.ts';

const PK = '66a1b2c3d4e5f60718293a4b';
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

interface Body {
  header: { event_type: string };
  payload: Record<string, unknown>;
}

async function dryRunDelivery(
  eventType: string,
  where: (b: Body) => boolean = () => true,
  workItem?: unknown,
): Promise<TestReport> {
  await h.idle();
  const delivery = h.received.find(
    (r) => (r.body as Body).header.event_type === eventType && where(r.body as Body),
  );
  if (!delivery) throw new Error(`the simulator pushed no such ${eventType}`);
  const file = join(mkdtempSync(join(tmpdir(), 'autopilot-sim-')), 'event.json');
  writeFileSync(file, JSON.stringify(delivery.body));
  const args = ['test', '--event', file, '--json', '--now', NOW];
  if (workItem !== undefined) {
    const itemFile = join(dirname(file), 'work-item.json');
    writeFileSync(itemFile, JSON.stringify(workItem));
    args.push('--work-item', itemFile);
  }
  const { code, stdout, stderr } = await autopilot(args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as TestReport;
}

describe('example rules on simulator deliveries', () => {
  it('a P0 critical bug created in the demo space: escalated and assigned', async () => {
    const created = await h.call('POST', '/open_api/demo/work_item/create', {
      work_item_type_key: 'issue',
      name: 'Checkout down',
      field_value_pairs: [
        { field_key: 'priority', field_value: { value: 'P0' } },
        { field_key: 'field_severity', field_value: { value: 'critical' } },
      ],
    });
    expect(created.err_code).toBe(0);
    const report = await dryRunDelivery('WorkitemCreateEvent');
    const escalate = candidate(report, 'escalate-p0-bugs');
    expect(escalate.matched).toBe(true);
    expect(escalate.run!.actions[0]!.calls![0]!.path).toBe(
      `/open_api/${PK}/work_item/issue/${String(created.data)}/comment/create`,
    );
    expect(candidate(report, 'assign-critical-bugs').matched).toBe(true);
  });

  const storyFact = {
    id: '6437110001',
    name: 'Checkout redesign',
    type: 'story',
    project: PK,
    state: 'doing',
    current_nodes: [{ id: 'doing', name: 'Doing' }],
    fields: {},
    roles: {},
  };

  it('a sub-task checked off on node doing: the node is confirmed', async () => {
    const task = await h.call('POST', '/open_api/demo/work_item/story/6437110001/workflow/task', {
      node_id: 'doing',
      name: 'Last one',
    });
    const done = await h.call('POST', '/open_api/demo/work_item/story/6437110001/subtask/modify', {
      node_id: 'doing',
      task_id: task.data,
      action: 'confirm',
    });
    expect(done.err_code).toBe(0);
    // Offline, the rule cannot know whether the node has other open sub-tasks: it says so.
    const offline = candidate(await dryRunDelivery('TaskStatusEvent'), 'complete-node-when-subtasks-done');
    expect(offline.conditions.at(-1)).toMatchObject({
      path: 'open_subtask_nodes',
      outcome: 'needs_live_data',
    });
    // With the live sub-task view (what the engine reads), it confirms the node.
    const live = { ...storyFact, open_subtask_nodes: [] };
    const rule = candidate(
      await dryRunDelivery('TaskStatusEvent', () => true, live),
      'complete-node-when-subtasks-done',
    );
    expect(rule.matched).toBe(true);
    expect(rule.run!.actions[0]!.calls).toMatchObject([
      {
        method: 'POST',
        path: `/open_api/${PK}/workflow/story/6437110001/node/doing/operate`,
        body: { action: 'confirm' },
      },
    ]);
  });

  it('a node rolled back: the comment names the node; the simulator sends no reason', async () => {
    await h.call('POST', '/open_api/demo/workflow/story/6437110002/node/start/operate', {
      action: 'confirm',
    });
    const rolledBack = await h.call('POST', '/open_api/demo/workflow/story/6437110002/node/start/operate', {
      action: 'rollback',
      rollback_reason: 'scope changed',
    });
    expect(rolledBack.err_code).toBe(0);
    const report = await dryRunDelivery(
      'WorkFlowNodeStatusEvent',
      (b) => b.payload.status_change_type === 'Rollbacked',
    );
    const rule = candidate(report, 'comment-rollback-reason');
    expect(rule.matched).toBe(true);
    expect(rule.run!.actions[0]!.calls![0]!.body).toEqual({
      content: 'Rolled back to Start (start) by 7400000000000000002. Reason: none given',
    });
  });
});
