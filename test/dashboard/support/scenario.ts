/**
 * A scripted scenario against the built-in simulator, for the dashboard's tests: a P0 bug that
 * matches (its name is hostile: markup, a template, RTL marks), a P2 bug that does not (the
 * why-not story), a shadow rule's would-be calls, a rule whose runs wait a day (parked), and a
 * deploy that dies (a dead letter).
 */
import { readFileSync } from 'node:fs';
import { COMMENT_ON_DEPLOY, postDeploy } from '../../serve/support/deploys.ts';
import { startTestEngine, type TestEngine } from '../../serve/support/engine-harness.ts';
import { simClient, type SimClient } from '../../serve/support/sim-client.ts';

export const DEPLOY_SECRET = 'deploy-secret-for-dashboard-tests';
export const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">{{event.id}} \u202Eevil\u202C ok';

export const SHADOW_RULE = `id: shadow-welcome
description: 'would welcome every new bug (shadow: recorded, never sent)'
mode: shadow
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: 'Welcome, {{work_item.name}}' }
`;

export const WAITING_RULE = `id: remind-later
description: a day after a bug is filed, asks for news (the run waits a day, parked)
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - wait: 1d
  - comment: { text: 'A day has passed: any news on {{work_item.name}}?' }
`;

export interface Scenario {
  t: TestEngine;
  sim: SimClient;
  /** Event ids by what they are. */
  events: { hostile: string; p2: string; deploy: string };
  /** Work item ids (without project) of the two bugs. */
  items: { hostile: string; p2: string };
  deadRunId: string;
  createBug(name: string, priority: string): Promise<void>;
  deploy(id: string, payload: unknown): Promise<string>;
}

export async function startScenario(): Promise<Scenario> {
  const t = await startTestEngine({
    env: { AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: DEPLOY_SECRET },
    rules: {
      'escalate-p0-bugs.yaml': readFileSync(
        new URL('../../../rules/escalate-p0-bugs.yaml', import.meta.url),
        'utf8',
      ),
      'shadow-welcome.yaml': SHADOW_RULE,
      'comment-on-deploy.yaml': COMMENT_ON_DEPLOY,
      'remind-later.yaml': WAITING_RULE,
    },
  });
  const simulator = t.engine.simulator;
  if (!simulator) throw new Error('expected the built-in simulator');
  const sim = await simClient(
    simulator.baseUrl,
    simulator.credentials.pluginId,
    simulator.credentials.pluginSecret,
  );
  const createBug = async (name: string, priority: string) => {
    const answer = await sim.call('POST', '/open_api/demo/work_item/create', {
      work_item_type_key: 'issue',
      name,
      field_value_pairs: [{ field_key: 'priority', field_value: { value: priority } }],
    });
    if (answer.err_code !== 0) throw new Error(`create failed: ${JSON.stringify(answer)}`);
    await simulator.webhooksIdle();
    await t.engine.idle();
  };
  const deploy = async (id: string, payload: unknown) => {
    const response = await postDeploy(t.url, DEPLOY_SECRET, id, payload);
    const { eventId } = (await response.json()) as { eventId: string };
    await t.engine.idle();
    return eventId;
  };
  await createBug(HOSTILE_NAME, 'P0');
  await createBug('Typo on the settings page', 'P2');
  const deployEvent = await deploy('deploy-1', { version: '1.0', item: '999999' });
  const list = (await t.engine.stores.views.listEvents({ type: 'work_item.created' })).items;
  const byName = (name: string) => list.find((e) => e.workItemName === name);
  const itemOf = (name: string) => String(byName(name)?.workItem?.split(':')[1]);
  const [dead] = await t.engine.stores.runs.list({ state: 'dead' });
  return {
    t,
    sim,
    events: {
      hostile: byName(HOSTILE_NAME)?.eventId as string,
      p2: byName('Typo on the settings page')?.eventId as string,
      deploy: deployEvent,
    },
    items: { hostile: itemOf(HOSTILE_NAME), p2: itemOf('Typo on the settings page') },
    deadRunId: dead?.run.id as string,
    createBug,
    deploy,
  };
}
