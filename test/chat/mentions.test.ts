/**
 * #11.5: an argument given as an @mention becomes the person's Feishu Project user key, so
 * `assign 6437110004 to @Bob` works. Through the front door: a Lark message with mentions,
 * the engine on its built-in simulator (bob's Lark union id is his Feishu Project out_id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { messageEvent, postChat, VERIFICATION_TOKEN } from '../fixtures/chat/lark-events.ts';

const ASSIGN = `
id: assign-command
description: Give a bug to someone, named by an @mention.
on:
  command: 'assign {id} to {person}'
when:
  all:
    - { fact: command, path: unresolved, operator: isEmpty, value: true }
do:
  - assign:
      role: operator
      users: ['{{command.args.person}}']
      target: { project: demo, type: issue, id: '{{command.args.id}}' }
  - reply: { text: 'Assigned {{command.args.id}} to {{command.args.person | name}}.' }
`;

const UNKNOWN = `
id: assign-command-unknown
on:
  command: 'assign {id} to {person}'
when:
  all:
    - { fact: command, path: unresolved, operator: isEmpty, value: false }
do:
  - reply: { text: '{{command.args.person}} has no Feishu Project account.' }
`;

const BUG = 6437110004; // "Crash on login"
let t: TriggerTestEngine;

beforeAll(async () => {
  t = await startTriggerEngine({
    rules: { 'assign-command.yaml': ASSIGN, 'assign-command-unknown.yaml': UNKNOWN },
    env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
  });
}, 120_000);
afterAll(async () => t?.close());

/** `@_user_1` is the bot (messageEvent adds it); `@_user_2` the person named. */
function mentioning(text: string, person: Record<string, unknown>): Record<string, unknown> {
  const body = messageEvent({ text });
  const message = (body.event as { message: { mentions: unknown[] } }).message;
  message.mentions.push({ key: '@_user_2', tenant_key: 'tenant_sim', ...person });
  return body;
}

function operatorsOf(id: number): string[] | undefined {
  const item = t.engine.simulator!.state.work_items.find((w) => w.id === id);
  return item?.role_owners.find((r) => r.role === 'operator')?.owners;
}

describe('@mentions as command arguments', () => {
  it('assign <id> to @Bob assigns bob by his user key, and the event says who he is', async () => {
    const body = mentioning(`assign ${BUG} to @_user_2`, {
      name: 'Bob',
      id: { open_id: 'ou_sim_bob', union_id: `on_${USERS.bob}`, user_id: 'bob' },
    });
    const answer = await postChat(t.engine.url, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, command: 'assign' });
    await t.engine.idle();
    expect(operatorsOf(BUG)).toEqual([USERS.bob]);
    const stored = await t.engine.stores.events.get(answer.body.eventId as string);
    expect(stored?.event.command?.mentions?.person).toMatchObject({
      union_id: `on_${USERS.bob}`,
      name: 'Bob',
    });
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const replies = t.engine.simulator!.larkReplies().filter((r) => r.message_id === messageId);
    expect(replies.map((r) => (r.content as { text: string }).text)).toEqual([`Assigned ${BUG} to bob.`]);
  }, 60_000);

  it('a person without a Feishu Project account is left as @Name for the rule to answer', async () => {
    const body = mentioning(`assign ${BUG} to @_user_2`, {
      name: 'Erin',
      id: { open_id: 'ou_erin', union_id: 'on_nobody', user_id: 'erin' },
    });
    const answer = await postChat(t.engine.url, body);
    expect(answer.status).toBe(200);
    await t.engine.idle();
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const replies = t.engine.simulator!.larkReplies().filter((r) => r.message_id === messageId);
    expect(replies.map((r) => (r.content as { text: string }).text)).toEqual([
      '@Erin has no Feishu Project account.',
    ]);
    expect(operatorsOf(BUG)).toEqual([USERS.bob]);
  }, 60_000);

  it('a command without mentions reads as before', async () => {
    const body = messageEvent({ text: `assign ${BUG} to ${USERS.carol}` });
    const answer = await postChat(t.engine.url, body);
    expect(answer.body).toMatchObject({ command: 'assign' });
    await t.engine.idle();
    expect(operatorsOf(BUG)).toEqual([USERS.carol]);
    const messageId = (body.event as { message: { message_id: string } }).message.message_id;
    const replies = t.engine.simulator!.larkReplies().filter((r) => r.message_id === messageId);
    expect(replies.map((r) => (r.content as { text: string }).text)).toEqual([`Assigned ${BUG} to carol.`]);
  }, 60_000);
});
