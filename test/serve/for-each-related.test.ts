/**
 * A for_each over 50 related work items through the front door (the shipped tell-linked-bugs
 * rule, the engine on the built-in simulator): every write within the Open API's limits
 * (0 × 10429), and with answers lost after the write was applied (chaos), no write applied twice.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS, type RunningSimulator } from '../../src/simulator/index.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const STORY = 6437110003; // "Search v2", in its Testing node
const BUGS = 50;

let t: TestEngine;
let sim: RunningSimulator;
let bugIds: number[];

beforeAll(async () => {
  t = await startTestEngine({
    rules: {
      'tell-linked-bugs.yaml': readFileSync(
        new URL('../../rules/tell-linked-bugs.yaml', import.meta.url),
        'utf8',
      ),
    },
  });
  sim = t.engine.simulator!;
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  // 50 bugs whose Linked story is the story, as if filed over the weeks before.
  const model = sim.state.work_items.find((w) => w.work_item_type_key === 'issue')!;
  bugIds = Array.from({ length: BUGS }, (_, i) => 6437300000 + i);
  for (const [i, id] of bugIds.entries()) {
    sim.state.work_items.push({
      ...structuredClone(model),
      id,
      name: `linked bug ${i}`,
      fields: { ...structuredClone(model.fields), _field_linked_story: STORY },
    });
  }
  // From here on, one write in ten are applied and then their answer is lost.
  sim.setChaos({ lostResponse: 0.1, seed: 17 });
  await alice.call('POST', `/open_api/demo/workflow/story/${STORY}/node/testing/operate`, {
    action: 'confirm',
  });
  await eventually(
    async () => {
      const runs = await t.engine.stores.runs.list({ ruleId: 'tell-linked-bugs' });
      return runs.length === 1 && runs[0]!.state === 'succeeded' ? runs : undefined;
    },
    'the tell-linked-bugs run',
    120_000,
  );
}, 180_000);
afterAll(async () => t?.close());

const botComments = (workItemId: number) =>
  sim.state.comments.filter((c) => c.work_item_id === workItemId && c.operator === USERS.bot);

describe('for_each over 50 related work items', () => {
  it('comments once on every linked bug, though answers were lost', () => {
    expect(bugIds.map((id) => botComments(id).length)).toEqual(bugIds.map(() => 1));
    expect(botComments(STORY).map((c) => c.content)).toEqual([
      `Testing passed: ${BUGS} linked bug(s) asked to re-check.`,
    ]);
    const lost = sim.requests({ outcome: 'lost' });
    expect(lost.length).toBeGreaterThan(0);
  });

  it('stays within the API limits: no 10429', () => {
    expect(sim.requests({ err_code: 10429 })).toEqual([]);
  });

  it('reads the related bugs with one paged search, not one read per bug', () => {
    expect(sim.requests({ route: 'workItem.searchByRelation' }).length).toBeLessThanOrEqual(2);
  });
});
