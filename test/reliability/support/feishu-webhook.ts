/** Feishu Project automation webhooks as the tenant would send them, one uuid per event. */
import { DEMO } from '../../../src/simulator/index.ts';
import { WEBHOOK_TOKEN } from './world.ts';

/** The demo tenant's work items (two stories and two issues in space `demo`). */
export const WORK_ITEMS = [
  { id: 6437110001, type: 'story' },
  { id: 6437110002, type: 'story' },
  { id: 6437110004, type: 'issue' },
  { id: 6437110005, type: 'issue' },
] as const;

// Strictly increasing times: the engine treats two webhooks of one type on one work item at the
// same millisecond as one change (src/events/change-id.ts), and every webhook made here is meant
// as a change of its own, even when a scenario builds hundreds in one tick.
let lastChangeAt = 0;

export function createdWebhook(uuid: string, item: { id: number; type: string }, token = WEBHOOK_TOKEN) {
  const at = Math.max(Date.now(), lastChangeAt + 1);
  lastChangeAt = at;
  return {
    header: { event_type: 'WorkitemCreateEvent', token, uuid, operator: '7400000000000000002' },
    payload: {
      id: item.id,
      name: `reliability ${uuid}`,
      project_key: DEMO.projectKey,
      project_simple_name: DEMO.simpleName,
      work_item_type_key: item.type,
      created_at: at,
      created_by: '7400000000000000002',
      updated_at: at,
      updated_by: '7400000000000000002',
      fields: [],
    },
  };
}

export interface Delivery {
  status: number;
  error?: string;
}

/** One POST to /webhooks/feishu; a network failure (engine killed mid-request) is status 0. */
export async function deliver(baseUrl: string, body: unknown): Promise<Delivery> {
  try {
    const answer = await fetch(`${baseUrl}/webhooks/feishu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await answer.arrayBuffer();
    return { status: answer.status };
  } catch (error) {
    return { status: 0, error: (error as Error).message };
  }
}

/** Comments in the simulator whose text carries `marker`, counted by the text after it. */
export function commentsByMarker(
  comments: ReadonlyArray<{ content: string; work_item_id: number }>,
  marker: string,
): Map<string, Array<{ workItemId: number; index: number }>> {
  const found = new Map<string, Array<{ workItemId: number; index: number }>>();
  comments.forEach((comment, index) => {
    const at = comment.content.indexOf(marker);
    if (at < 0) return;
    const key = comment.content.slice(at + marker.length).trim();
    const list = found.get(key) ?? [];
    list.push({ workItemId: comment.work_item_id, index });
    found.set(key, list);
  });
  return found;
}
