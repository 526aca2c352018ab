/**
 * Runs for the multi-process test and the cluster benchmark: one write per run, spread over three
 * endpoints of the simulator (comment.create, workItem.update, comment.update) so per-endpoint
 * limits are exercised side by side, each with its own X-IDEM-UUID so the simulator's effect
 * ledger tells how often each was applied.
 */
import { v5 as uuidv5 } from 'uuid';
import { buildApiCall } from '../../../src/openapi/catalogue.ts';
import type { OpenApiClient } from '../../../src/openapi/client.ts';
import type { ApiCall, Run } from '../../../src/plan/run.ts';
import type { RunningSimulator } from '../../../src/simulator/index.ts';

const NAMESPACE = '0b7e3a52-3c1d-4f6e-9a8b-5d4c3b2a1f00';

export const ENDPOINT_ROUTES = ['comment.create', 'workItem.update', 'comment.update'] as const;

interface Target {
  projectKey: string;
  item: { id: string; typeKey: string };
  commentId: string;
}

/** One work item per target with a comment of ours on it (comment.update needs one). */
export async function prepareTargets(sim: RunningSimulator, client: OpenApiClient): Promise<Target[]> {
  const { projectKey } = sim.credentials;
  const items = sim.state.work_items.filter((w) => w.project_key === projectKey && !w.deleted);
  const targets: Target[] = [];
  for (const w of items) {
    const item = { id: String(w.id), typeKey: w.work_item_type_key };
    const outcome = await client.call(call('comment.create', projectKey, item, { content: 'target' }), {
      idempotencyKey: uuidv5(`target/${item.id}`, NAMESPACE),
    });
    if (outcome.class !== 'ok')
      throw new Error(`cannot prepare a comment on ${item.id}: ${JSON.stringify(outcome)}`);
    const comment = sim.state.comments.findLast((c) => String(c.work_item_id) === item.id);
    targets.push({ projectKey, item, commentId: comment!.id });
  }
  return targets;
}

function call(
  operation: (typeof ENDPOINT_ROUTES)[number],
  projectKey: string,
  item: { id: string; typeKey: string },
  body: unknown,
  commentId?: string,
): ApiCall {
  const path = { project_key: projectKey, work_item_type_key: item.typeKey, work_item_id: item.id };
  return buildApiCall(operation, { path: commentId ? { ...path, comment_id: commentId } : path, body });
}

export function clusterRuns(
  targets: Target[],
  count: number,
  options: { prefix: string; lanes: number },
): Run[] {
  return Array.from({ length: count }, (_, i) => {
    const target = targets[i % targets.length]!;
    const operation = ENDPOINT_ROUTES[i % ENDPOINT_ROUTES.length]!;
    const text = `${options.prefix} ${i}`;
    const body =
      operation === 'workItem.update'
        ? { update_fields: [{ field_key: 'description', field_value: text }] }
        : { content: text };
    const id = `${options.prefix}-${i}`;
    return {
      id,
      eventId: `evt-${id}`,
      ruleId: 'cluster-rule',
      ruleVersion: 'v1',
      mode: 'live',
      lane: `lane-${i % options.lanes}`,
      priority: 'webhook',
      actions: [
        {
          index: 0,
          type: 'api',
          params: {},
          recheck: false,
          idempotencyKey: uuidv5(`${id}/0`, NAMESPACE),
          calls: [
            call(
              operation,
              target.projectKey,
              target.item,
              body,
              operation === 'comment.update' ? target.commentId : undefined,
            ),
          ],
        },
      ],
      createdAt: i,
    };
  });
}

/** The most requests of one route answered in any window [t, t + periodMs). */
export function busiestWindow(times: number[], periodMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + periodMs) end++;
    most = Math.max(most, end - start);
  }
  return most;
}
