/**
 * Event ids through the front door: every source's ids live under its own prefix, so a holder of
 * the Feishu token cannot post a uuid shaped like another source's id (`chat:…`, `webhook:…`)
 * and make that later delivery a "duplicate"; a redelivery is still a duplicate, also of an
 * event an older version stored under its bare uuid; and over-long delivery ids are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.ts';
import { bodyHashId } from '../../src/ingest/feishu/event-id.ts';
import { parseJson } from '../../src/openapi/json.ts';
import type { StoredEvent } from '../../src/store/ports.ts';
import { messageEvent, postChat, VERIFICATION_TOKEN } from '../fixtures/chat/lark-events.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { COMMENT_ON_DEPLOY, postDeploy } from './support/deploys.ts';

const SECRET = 'deploys-secret-for-event-id-tests';
const ADMIN = 'admin-token-for-event-id-tests-0123456789';

const MOVE = `
id: move-command
on:
  command: 'move {id} to {state}'
do:
  - reply: { text: 'ok' }
`;

let t: TriggerTestEngine;
let token: string;

beforeAll(async () => {
  t = await startTriggerEngine({
    rules: { 'move-command.yaml': MOVE, 'comment-on-deploy.yaml': COMMENT_ON_DEPLOY },
    env: {
      LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
      AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: SECRET,
      AUTOPILOT_ADMIN_TOKEN: ADMIN,
    },
  });
  token = t.engine.simulator?.credentials.webhookToken as string;
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  body: { eventId?: string; duplicate?: boolean; error?: { code: string; message: string } };
}

async function postFeishu(body: unknown): Promise<Answer> {
  // The legacy format carries its token in a header.
  const legacy = typeof body === 'object' && body !== null && 'eventType' in body;
  const response = await fetch(`${t.engine.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(legacy && { 'x-plug-in-token': token }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function created(uuid: string | undefined) {
  return {
    header: { event_type: 'WorkitemCreateEvent', token, ...(uuid === undefined ? {} : { uuid }) },
    payload: { id: 6437110004, project_key: 'demo', work_item_type_key: 'issue', name: 'ids' },
  };
}

/** The legacy format without a uuid: its id is a hash of the body. */
function legacyCreated(name: string) {
  return { eventType: 'EventCreate-issue', id: 6437110004, project_key: 'demo', name };
}

describe('ids taken ahead of time', () => {
  it('a Feishu uuid shaped like a chat id does not suppress that chat message', async () => {
    const ahead = await postFeishu(created('chat:om_taken_ahead'));
    expect(ahead.status).toBe(202);
    expect(ahead.body.eventId).toBe('feishu:chat:om_taken_ahead');
    const chat = await postChat(
      t.engine.url,
      messageEvent({ text: 'move 6437110004 to open', messageId: 'om_taken_ahead' }),
    );
    expect(chat.status).toBe(200);
    expect(chat.body).toMatchObject({ eventId: 'chat:om_taken_ahead' });
    expect(chat.body.duplicate).toBeUndefined();
  });

  it('a Feishu uuid shaped like a generic webhook id does not suppress that webhook', async () => {
    expect((await postFeishu(created('webhook:deploys:msg_taken_ahead'))).status).toBe(202);
    const deploy = await postDeploy(t.engine.url, SECRET, 'msg_taken_ahead', {
      version: '1.2',
      item: '6437110004',
    });
    expect(deploy.status).toBe(202);
    expect(await deploy.json()).toMatchObject({
      eventId: 'webhook:deploys:msg_taken_ahead',
      duplicate: false,
    });
  });

  it('every stored event id starts with its source', async () => {
    await t.engine.idle();
    const ids = ['feishu:chat:om_taken_ahead', 'chat:om_taken_ahead', 'webhook:deploys:msg_taken_ahead'];
    for (const id of ids) {
      const stored = await t.engine.stores.events.get(id);
      expect(id.startsWith(`${stored?.event.source}:`), id).toBe(true);
    }
  });
});

describe('dedupe', () => {
  it('a redelivered Feishu event is still a duplicate', async () => {
    const first = await postFeishu(created('redelivered-1'));
    const again = await postFeishu(created('redelivered-1'));
    expect(first).toMatchObject({ status: 202, body: { eventId: 'feishu:redelivered-1', duplicate: false } });
    expect(again).toMatchObject({ status: 200, body: { eventId: 'feishu:redelivered-1', duplicate: true } });
  });

  it('a redelivered legacy body without a uuid is still a duplicate', async () => {
    const first = await postFeishu(legacyCreated('hash-1'));
    const again = await postFeishu(legacyCreated('hash-1'));
    expect(first.status).toBe(202);
    expect(first.body.eventId).toMatch(/^feishu:body-[0-9a-f]{32}$/);
    expect(again).toMatchObject({ status: 200, body: { eventId: first.body.eventId, duplicate: true } });
  });

  /** An event as an older version stored it: under the bare uuid, or `feishu-<hash>`. */
  async function storeAsOlderVersion(id: string): Promise<void> {
    const event: Event = {
      id,
      source: 'feishu',
      type: 'work_item.created',
      occurredAt: Date.now(),
      payload: {},
    };
    await t.engine.stores.events.append(event, Date.now());
  }

  it('a redelivery of an event an older version stored under its bare uuid is a duplicate', async () => {
    await storeAsOlderVersion('stored-before-upgrade');
    const again = await postFeishu(created('stored-before-upgrade'));
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await t.engine.stores.events.get('feishu:stored-before-upgrade')).toBeUndefined();
  });

  it('so is a legacy body an older version stored under feishu-<hash>', async () => {
    const body = legacyCreated('hash-before-upgrade');
    // Hashed as the engine reads the body (ids as strings).
    const hash = bodyHashId(parseJson(JSON.stringify(body))).replace(/^body-/, '');
    await storeAsOlderVersion(`feishu-${hash}`);
    expect((await postFeishu(body)).body).toMatchObject({ duplicate: true });
  });

  it('the trace finds a Feishu event by its bare uuid too', async () => {
    await postFeishu(created('trace-by-uuid'));
    const answer = await fetch(`${t.engine.url}/api/events/trace-by-uuid/trace`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { event: StoredEvent }).event.event.id).toBe('feishu:trace-by-uuid');
  });
});

describe('over-long delivery ids', () => {
  const long = 'u'.repeat(257);

  it('a Feishu uuid over 256 characters: 400 AP_ID_INVALID', async () => {
    const answer = await postFeishu(created(long));
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('AP_ID_INVALID');
    expect(answer.body.error?.message).toMatch(/header\.uuid is 257 characters long; at most 256/);
  });

  it('a uuid of exactly 256 characters is fine', async () => {
    expect((await postFeishu(created('v'.repeat(256)))).status).toBe(202);
  });

  it('a webhook-id over 256 characters: 400 AP_ID_INVALID', async () => {
    const answer = await postDeploy(t.engine.url, SECRET, long, { version: '1' });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as Answer['body']).error?.code).toBe('AP_ID_INVALID');
  });

  it('a Lark message_id over 256 characters: 400 AP_ID_INVALID', async () => {
    const answer = await postChat(
      t.engine.url,
      messageEvent({ text: 'move 6437110004 to open', messageId: long }),
    );
    expect(answer.status).toBe(400);
    expect((answer.body.error as { code: string }).code).toBe('AP_ID_INVALID');
  });
});
