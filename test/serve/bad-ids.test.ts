/**
 * Ids the Open API cannot take, through the front door: a Feishu webhook whose work item id is
 * not an int64, and a chat command naming a 20-digit id, are refused at intake (400
 * `AP_ID_INVALID`, nothing stored); an event of that kind already stored by an older version is
 * processed without taking the engine down. Reading such an id used to throw outside any promise
 * (the batched work-item read) and end the process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.ts';
import { messageEvent, postChat, VERIFICATION_TOKEN } from '../fixtures/chat/lark-events.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';

const NEEDS_ITEM = `
id: needs-item
on:
  event: work_item.created
  work_item_type: [issue]
when:
  all:
    - { fact: work_item, path: fields.priority, operator: equal, value: P0 }
do:
  - comment: { text: 'P0: {{work_item.name}}' }
`;

const COMMENTS_ALWAYS = `
id: comments-always
on:
  event: work_item.created
  work_item_type: [story]
do:
  - assign: { role: rd, users: ['7400000000000000004'], mode: add }
`;

const MOVE = `
id: move-command
on:
  command: 'move {id} to {state}'
do:
  - transition:
      to: '{{command.args.state}}'
      target: { project: demo, type: issue, id: '{{command.args.id}}' }
`;

/** Work item ids as they appear in the JSON text of a delivery. */
const BAD_IDS = ['"abc"', '1e21', '1.5', '12345678901234567890123', '"12345678901234567890"', '-5', '0'];

let t: TriggerTestEngine;
let token: string;
let seq = 0;

beforeAll(async () => {
  t = await startTriggerEngine({
    rules: {
      'needs-item.yaml': NEEDS_ITEM,
      'comments-always.yaml': COMMENTS_ALWAYS,
      'move-command.yaml': MOVE,
    },
    env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
  });
  token = t.engine.simulator?.credentials.webhookToken as string;
});
afterAll(async () => {
  await t?.close();
});

function createdBody(idJson: string, type = 'issue'): { uuid: string; text: string } {
  seq += 1;
  const uuid = `bad-id-${seq}-${Date.now()}`;
  const text =
    `{"header":{"event_type":"WorkitemCreateEvent","uuid":"${uuid}","token":"${token}",` +
    `"operator":"7400000000000000002"},"payload":{"id":${idJson},"name":"x",` +
    `"project_key":"demo","work_item_type_key":"${type}"}}`;
  return { uuid, text };
}

interface Answer {
  eventId?: string;
  error?: { code: string; message: string };
}

async function postFeishu(text: string): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${t.engine.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function healthy(): Promise<void> {
  for (const path of ['/healthz', '/readyz']) {
    expect((await fetch(`${t.engine.url}${path}`)).status, path).toBe(200);
  }
}

describe('a work item id the API cannot take', () => {
  it.each(BAD_IDS)('payload.id %s: 400 AP_ID_INVALID, nothing stored', async (idJson) => {
    const { uuid, text } = createdBody(idJson);
    const answer = await postFeishu(text);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('AP_ID_INVALID');
    expect(answer.body.error?.message).toMatch(/work item id/);
    expect(await t.engine.stores.events.get(uuid)).toBeUndefined();
    expect(await t.engine.stores.events.get(`feishu:${uuid}`)).toBeUndefined();
  });

  it('a 20-digit chat command id: 400 AP_ID_INVALID, nothing stored, the sender is told', async () => {
    const body = messageEvent({ text: 'move 99999999999999999999 to resolved' });
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const answer = await postChat(t.engine.url, body);
    expect(answer.status).toBe(400);
    expect((answer.body.error as { code: string }).code).toBe('AP_ID_INVALID');
    await t.engine.idle();
    expect(await t.engine.stores.events.get(`chat:${messageId}`)).toBeUndefined();
    const replies = t.engine.simulator!.larkReplies().filter((r) => r.message_id === messageId);
    expect(replies.map((r) => (r.content as { text: string }).text)).toEqual([
      expect.stringMatching(/99999999999999999999.*not a work item id/),
    ]);
  });

  it('the engine stays up, healthy, and keeps processing good events', async () => {
    await healthy();
    const { text } = createdBody('6437110004');
    const answer = await postFeishu(text);
    expect(answer.status).toBe(202);
    await t.engine.idle();
    expect((await t.engine.stores.events.get(answer.body.eventId as string))?.processedAt).toBeDefined();
    await healthy();
  });
});

describe('a poison event an older version already stored', () => {
  function poison(id: string, typeKey: string): Event {
    seq += 1;
    return {
      id: `old-poison-${seq}`,
      source: 'feishu',
      type: 'work_item.created',
      occurredAt: Date.now(),
      projectKey: 'demo',
      workItem: { id, typeKey },
      payload: { id, work_item_type_key: typeKey },
    };
  }

  it('is processed: the conditions needing the item are not met, the engine stays up', async () => {
    const event = poison('abc', 'issue');
    await t.engine.stores.events.append(event, Date.now());
    t.engine.processor.notify();
    await t.engine.idle();
    expect((await t.engine.stores.events.get(event.id))?.processedAt).toBeDefined();
    await healthy();
  });

  it('a run planned from one dead-letters with AP_API_CALL_INVALID instead of crashing', async () => {
    const event = poison('99999999999999999999', 'story');
    await t.engine.stores.events.append(event, Date.now());
    t.engine.processor.notify();
    await t.engine.idle();
    const [run] = await t.engine.stores.runs.list({ eventId: event.id });
    expect(run?.state).toBe('dead');
    expect(run?.lastError?.code).toBe('AP_API_CALL_INVALID');
    await healthy();
  });
});
