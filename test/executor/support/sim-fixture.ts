/**
 * The simulator, a real Open API client pointed at it, and runs of comment writes over the demo
 * tenant's work items. Each action's X-IDEM-UUID is its own, so the simulator's effect ledger
 * tells how many times each action was applied.
 */
import { v5 as uuidv5 } from 'uuid';
import { buildApiCall } from '../../../src/openapi/catalogue.ts';
import { OpenApiClient } from '../../../src/openapi/client.ts';
import type { ApiCall, PlannedAction, Run } from '../../../src/plan/run.ts';
import { startSimulator, type RunningSimulator, type StartOptions } from '../../../src/simulator/index.ts';

const NAMESPACE = '6f1c2d4e-8a9b-4c0d-9e1f-2a3b4c5d6e7f';

export interface SimFixture {
  sim: RunningSimulator;
  client: OpenApiClient;
  workItems: Array<{ id: string; typeKey: string }>;
  close(): Promise<void>;
}

export async function startSimFixture(options: StartOptions = {}): Promise<SimFixture> {
  const sim = await startSimulator(options);
  const client = clientFor(sim.baseUrl, sim.credentials);
  const workItems = sim.state.work_items
    .filter((w) => w.project_key === sim.credentials.projectKey)
    .map((w) => ({ id: String(w.id), typeKey: w.work_item_type_key }));
  return {
    sim,
    client,
    workItems,
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

export function clientFor(
  baseUrl: string,
  credentials: { pluginId: string; pluginSecret: string; userKey: string },
): OpenApiClient {
  return new OpenApiClient({
    baseUrl,
    pluginId: credentials.pluginId,
    pluginSecret: credentials.pluginSecret,
    userKey: credentials.userKey,
    headersTimeoutMs: 5000,
    bodyTimeoutMs: 5000,
  });
}

export function commentOn(
  projectKey: string,
  item: { id: string; typeKey: string },
  content: string,
): ApiCall {
  return buildApiCall('comment.create', {
    path: { project_key: projectKey, work_item_type_key: item.typeKey, work_item_id: item.id },
    body: { content },
  });
}

/**
 * `count` runs of `actionsPerRun` comments each, spread over `lanes` lanes; the comment text
 * says lane, run sequence in the lane and action index, so order can be checked afterwards.
 */
export function commentRuns(
  projectKey: string,
  workItems: Array<{ id: string; typeKey: string }>,
  count: number,
  options: { actionsPerRun?: number; lanes?: number; prefix?: string } = {},
): Run[] {
  const perRun = options.actionsPerRun ?? 2;
  const lanes = options.lanes ?? 50;
  const prefix = options.prefix ?? 'run';
  return Array.from({ length: count }, (_, i) => {
    const lane = i % lanes;
    const item = workItems[lane % workItems.length] as { id: string; typeKey: string };
    const id = `${prefix}-${i}`;
    const actions: PlannedAction[] = Array.from({ length: perRun }, (_, a) => ({
      index: a,
      type: 'comment',
      params: {},
      recheck: false,
      idempotencyKey: uuidv5(`${id}/${a}`, NAMESPACE),
      calls: [commentOn(projectKey, item, `lane ${lane} seq ${Math.floor(i / lanes)} action ${a}`)],
    }));
    return {
      id,
      eventId: `evt-${id}`,
      ruleId: 'sim-rule',
      ruleVersion: 'v1',
      mode: 'live',
      lane: `lane-${lane}`,
      priority: 'webhook',
      actions,
      createdAt: i,
    };
  });
}
