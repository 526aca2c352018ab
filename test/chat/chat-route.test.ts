/**
 * POST /chat/events through the front door: the engine with its built-in simulator standing in
 * for Lark, a real HTTP request per delivery, replies read from the simulator's record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptLarkPayload } from '../../src/ingest/chat/lark-crypto.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import {
  challenge,
  ENCRYPT_KEY,
  encrypted,
  messageEvent,
  postChat,
  postSealed,
  VERIFICATION_TOKEN,
} from '../fixtures/chat/lark-events.ts';

const MOVE = `
id: move-command
description: Move a bug to another state and say so in the thread.
on:
  command: 'move {id} to {state}'
when:
  all:
    - { fact: command, path: args.state, operator: in, value: [open, in_progress, resolved] }
do:
  - transition:
      to: '{{command.args.state}}'
      target: { project: demo, type: issue, id: '{{command.args.id}}' }
  - reply:
      text: 'Moved bug {{command.args.id}} to {{command.args.state}}.'
`;

const RESTRICTED = `
id: close-command
description: Close a bug (release managers only).
on:
  command: 'close {id}'
  users: [dana]
do:
  - reply: { text: 'Closing {{command.args.id}}.' }
`;

let t: TriggerTestEngine;
let url: string;

function issueId(name: string): string {
  const item = t.engine.simulator!.state.work_items.find((w) => w.name === name);
  return String(item!.id);
}

function repliesTo(messageId: string) {
  return t.engine.simulator!.larkReplies().filter((r) => r.message_id === messageId);
}

function replyText(reply: { content: unknown }): string {
  return (reply.content as { text: string }).text;
}

beforeAll(async () => {
  t = await startTriggerEngine({
    rules: { 'move-command.yaml': MOVE, 'close-command.yaml': RESTRICTED },
    env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, LARK_ENCRYPT_KEY: ENCRYPT_KEY },
  });
  url = t.engine.url;
});

afterAll(async () => {
  await t?.close();
});

describe('url_verification', () => {
  it('refuses a plain body: with an encrypt key set, Lark encrypts even the challenge', async () => {
    const answer = await postChat(url, challenge());
    expect(answer.status).toBe(401);
  });

  it('answers the challenge of an encrypted body', async () => {
    const answer = await postChat(url, encrypted(challenge()));
    expect(answer).toEqual({ status: 200, body: { challenge: 'ch-7f3a' } });
  });

  it('refuses a challenge with the wrong token', async () => {
    const answer = await postChat(url, encrypted(challenge('not-the-token')));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: { code: 'AP_UNAUTHORIZED', message: 'verification token is missing or does not match' },
    });
  });
});

describe('bad deliveries get a clear answer and no action', () => {
  it('a wrong verification token: 401, nothing stored, no reply', async () => {
    const body = messageEvent({
      text: `move ${issueId('Typo on pricing page')} to resolved`,
      token: 'forged',
    });
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const answer = await postSealed(url, body, t.clock.now());
    expect(answer.status).toBe(401);
    expect((answer.body.error as { code: string }).code).toBe('AP_UNAUTHORIZED');
    await t.engine.idle();
    expect(await t.engine.stores.events.get(`chat:${messageId}`)).toBeUndefined();
    expect(repliesTo(messageId)).toEqual([]);
  });

  it('an encrypted body that does not decrypt with our key: 400', async () => {
    const sealed = encrypted(messageEvent({ text: 'move 1 to open' }), 'some-other-key');
    const answer = await postChat(url, sealed, { sign: { key: ENCRYPT_KEY, timestamp: t.clock.now() } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code: 'AP_BAD_REQUEST',
      message: 'encrypted payload could not be decrypted: check LARK_ENCRYPT_KEY against the app settings',
    });
  });

  it('an encrypt field that is not AES-CBC data at all: 400', async () => {
    const answer = await postChat(
      url,
      { encrypt: 'bm90IGVuY3J5cHRlZA==' },
      { sign: { key: ENCRYPT_KEY, timestamp: t.clock.now() } },
    );
    expect(answer.status).toBe(400);
    expect((answer.body.error as { message: string }).message).toMatch(/wrong length for AES-256-CBC/);
  });

  it('an encrypted body whose plaintext is not JSON: 400', async () => {
    const answer = await postChat(
      url,
      { encrypt: encryptLarkPayload('not json', ENCRYPT_KEY) },
      { sign: { key: ENCRYPT_KEY, timestamp: t.clock.now() } },
    );
    expect(answer.status).toBe(400);
    expect((answer.body.error as { message: string }).message).toMatch(/not valid JSON/);
  });

  it('a signature that does not match the body: 401', async () => {
    const body = encrypted(messageEvent({ text: 'move 1 to open' }));
    const answer = await postChat(url, body, {
      sign: { key: 'wrong-key', timestamp: t.clock.now() },
    });
    expect(answer.status).toBe(401);
    expect((answer.body.error as { message: string }).message).toMatch(/X-Lark-Signature/);
  });

  it('a correctly signed request with a stale timestamp: 401', async () => {
    const body = encrypted(messageEvent({ text: 'move 1 to open' }));
    const answer = await postChat(url, body, {
      sign: { key: ENCRYPT_KEY, timestamp: t.clock.now() - 3_600_000 },
    });
    expect(answer.status).toBe(401);
    expect((answer.body.error as { message: string }).message).toMatch(/Timestamp/);
  });

  it('not JSON: 415 for another content type, 400 for a broken body', async () => {
    const wrongType = await fetch(`${url}/chat/events`, { method: 'POST', body: 'hello' });
    expect(wrongType.status).toBe(415);
    const broken = await fetch(`${url}/chat/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"schema":',
    });
    expect(broken.status).toBe(400);
  });

  it('a message event without ids: 400 naming what is missing', async () => {
    const body = messageEvent({ text: 'move 1 to open' });
    delete (body.event as { message: Record<string, unknown> }).message.chat_id;
    const answer = await postSealed(url, body, t.clock.now());
    expect(answer.status).toBe(400);
    expect((answer.body.error as { code: string }).code).toBe('AP_EVENT_INVALID');
  });

  it('an unknown command: 200, a help reply listing the commands, nothing stored', async () => {
    const body = messageEvent({ text: 'deploy everything' });
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const answer = await postSealed(url, body, t.clock.now());
    expect(answer).toEqual({ status: 200, body: { ok: true, command: null } });
    await t.engine.idle();
    expect(await t.engine.stores.events.get(`chat:${messageId}`)).toBeUndefined();
    const replies = repliesTo(messageId);
    expect(replies).toHaveLength(1);
    const text = replyText(replies[0]!);
    expect(text).toContain(`I don't know "deploy everything"`);
    expect(text).toContain('• move {id} to {state} (Move a bug to another state and say so in the thread.)');
    expect(text).toContain('• close {id} (Close a bug (release managers only).)');
  });

  it('a user not on the allow-list: a reply saying so, nothing stored, no action', async () => {
    const body = messageEvent({ text: 'close 42', userId: 'mallory' });
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const answer = await postSealed(url, body, t.clock.now());
    expect(answer).toEqual({
      status: 200,
      body: { ok: true, command: 'close', refused: 'user_not_allowed' },
    });
    await t.engine.idle();
    expect(await t.engine.stores.events.get(`chat:${messageId}`)).toBeUndefined();
    const replies = repliesTo(messageId);
    expect(replies.map(replyText)).toEqual(['Sorry, you are not allowed to use the "close" command.']);
  });

  it('a user on the allow-list runs the command', async () => {
    const body = messageEvent({ text: 'close 42', userId: 'dana' });
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    expect((await postSealed(url, body, t.clock.now())).status).toBe(200);
    await t.engine.idle();
    expect(repliesTo(messageId).map(replyText)).toEqual(['Closing 42.']);
  });

  it('events the bot does not handle are acknowledged and ignored', async () => {
    const body = messageEvent({ text: 'x' });
    (body.header as Record<string, unknown>).event_type = 'im.chat.member.bot.added_v1';
    const answer = await postSealed(url, body, t.clock.now());
    expect(answer).toEqual({
      status: 200,
      body: { ok: true, ignored: 'event type im.chat.member.bot.added_v1 is not handled' },
    });
  });
});

describe('a command', () => {
  it('is stored as chat.command before the answer, runs, and the reply action answers in the thread', async () => {
    const id = issueId('Crash on login');
    const body = encrypted(messageEvent({ text: `move ${id} to in_progress`, chatId: 'oc_team' }));
    const answer = await postChat(url, body, { sign: { key: ENCRYPT_KEY, timestamp: t.clock.now() } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, command: 'move' });
    const stored = await t.engine.stores.events.get(answer.body.eventId as string);
    expect(stored?.event).toMatchObject({
      source: 'chat',
      type: 'chat.command',
      command: { name: 'move', args: { id, state: 'in_progress' }, chatId: 'oc_team', sender: 'alice' },
      workItem: { id, typeKey: 'issue' },
      projectKey: 'demo',
    });
    await t.engine.idle();
    const item = t.engine.simulator!.state.work_items.find((w) => String(w.id) === id);
    expect(item?.status.state_key).toBe('in_progress');
    const messageId = stored!.event.command!.messageId;
    expect(repliesTo(messageId).map(replyText)).toEqual([`Moved bug ${id} to in_progress.`]);
  });

  it('redelivered by Lark is stored once and answered once', async () => {
    const body = messageEvent({ text: 'close 7', userId: 'dana', messageId: 'om_redelivered' });
    const first = await postSealed(url, body, t.clock.now());
    const second = await postSealed(url, body, t.clock.now());
    expect(first.body).toMatchObject({ ok: true, eventId: 'chat:om_redelivered' });
    expect(second.body).toMatchObject({ ok: true, eventId: 'chat:om_redelivered', duplicate: true });
    await t.engine.idle();
    expect(repliesTo('om_redelivered').map(replyText)).toEqual(['Closing 7.']);
  });

  it('whose run is dead-lettered gets the API error replied in the thread', async () => {
    // The bug flow requires a resolution before Resolved: the transition is refused for good.
    const id = issueId('Typo on pricing page');
    const body = messageEvent({ text: `move ${id} to resolved`, messageId: 'om_refused' });
    expect((await postSealed(url, body, t.clock.now())).status).toBe(200);
    await t.engine.idle();
    const [run] = await t.engine.stores.runs.list({ eventId: 'chat:om_refused' });
    expect(run?.state).toBe('dead');
    expect(repliesTo('om_refused').map(replyText)).toEqual([
      '"move" failed (rule move-command): Required Field Is Not Set / Resolved(field_resolution) Required [AP_API_PERMANENT]',
    ]);
  });

  it('that fails (no such work item) gets the API error replied in the thread', async () => {
    const body = messageEvent({ text: 'move 999999999 to resolved', messageId: 'om_unknown_item' });
    expect((await postSealed(url, body, t.clock.now())).status).toBe(200);
    await t.engine.idle();
    // The work item is read when the transition is resolved: the run dead-letters with the API's error.
    const runs = await t.engine.stores.runs.list({ eventId: 'chat:om_unknown_item' });
    expect(runs.map((r) => [r.state, r.lastError?.errCode])).toEqual([['dead', 30005]]);
    const replies = repliesTo('om_unknown_item').map(replyText);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(
      /^"move" failed \(rule move-command\): WorkItem Not Found .*\[AP_API_PERMANENT\]$/,
    );
  });
});
