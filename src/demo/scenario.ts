/**
 * The demo scenario: people working in the simulator's demo space (through the Open API, as
 * themselves), so the simulator pushes the webhooks Feishu Project would push and the engine
 * reacts. Each step names what it does and which rule should answer.
 */
import type { OpenApiClient } from '../openapi/client.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import type { ApiCall } from '../plan/run.ts';
import type { USERS } from '../simulator/model/seed-config.ts';
import { DEMO } from '../simulator/model/seed-config.ts';
import type { RunningSimulator } from '../simulator/server.ts';

export interface ScenarioStep<Context extends ScenarioContext = ScenarioContext> {
  title: string;
  /** The rules expected to act on the webhook this step causes. */
  expect: string[];
  run: (ctx: Context) => Promise<void>;
}

export interface ScenarioContext {
  sim: RunningSimulator;
  /** Open API clients acting as the demo's people. */
  as: (user: keyof typeof USERS) => OpenApiClient;
  call: (client: OpenApiClient, call: ApiCall) => Promise<unknown>;
  /** Work items found or created by earlier steps. */
  ids: Record<string, string>;
}

const space = DEMO.projectKey;
const ref = (typeKey: string, id: string) => ({ projectKey: space, typeKey, id });

export const SCENARIO: ScenarioStep[] = [
  {
    title: 'alice reports a P0, critical bug',
    expect: ['escalate-p0-bugs', 'assign-critical-bugs', 'page-on-call-p0'],
    run: async ({ as, call, ids }) => {
      const id = await call(
        as('alice'),
        projectCalls.createWorkItem(space, {
          work_item_type_key: 'issue',
          name: 'Checkout returns HTTP 500 for EU cards',
          field_value_pairs: [
            { field_key: 'priority', field_value: { value: 'P0' } },
            { field_key: 'field_severity', field_value: { value: 'critical' } },
          ],
        }),
      );
      ids.bug = String(id);
    },
  },
  {
    title: 'alice adds the test plan, bob checks off the last open sub-task of "Checkout redesign"',
    expect: ['complete-node-when-subtasks-done', 'ask-qa-sign-off'],
    run: async ({ sim, as, call, ids }) => {
      const story = findItem(sim, 'Checkout redesign');
      ids.checkout = story;
      // The node cannot be completed without its required test plan (20038).
      await call(
        as('alice'),
        projectCalls.updateWorkItem(ref('story', story), [
          { field_key: 'field_test_plan', field_value: 'https://example.com/test-plans/checkout' },
        ]),
      );
      const open = sim.state.subtasks.find((t) => String(t.work_item_id) === story && !t.passed);
      if (!open) throw new Error('demo tenant has no open sub-task on "Checkout redesign"');
      await call(
        as('bob'),
        projectCalls.modifySubtask(ref('story', story), {
          node_id: open.node_id,
          task_id: String(open.id),
          action: 'confirm',
        }),
      );
    },
  },
  {
    title: 'carol rolls "Search v2" back to its first node',
    expect: ['comment-rollback-reason'],
    run: async ({ sim, as, call }) => {
      const story = findItem(sim, 'Search v2');
      await call(
        as('carol'),
        projectCalls.operateNode(ref('story', story), 'doing', {
          action: 'rollback',
          rollback_reason: 'Acceptance criteria changed after the design review',
        }),
      );
    },
  },
  {
    title: 'alice comments "bug: …" on "Checkout redesign", now in Testing',
    expect: ['link-bugs-to-story'],
    run: async ({ as, call, ids }) => {
      await call(
        as('alice'),
        projectCalls.createComment(ref('story', ids.checkout as string), {
          content: 'bug: order total ignores the voucher on mobile',
        }),
      );
    },
  },
];

function findItem(sim: RunningSimulator, name: string): string {
  const item = sim.state.work_items.find((w) => w.name === name);
  if (!item) throw new Error(`demo tenant has no work item named "${name}"`);
  return String(item.id);
}
