/** Reading messages against the rules' command grammars, and building the chat.command event. Pure. */
import { describe, expect, it } from 'vitest';
import { chatCommandEvent } from '../../src/ingest/chat/chat-command-event.ts';
import { buildCommandCatalog, helpText, readCommand } from '../../src/ingest/chat/command-catalog.ts';
import { readLarkDelivery, type ChatMessage } from '../../src/ingest/chat/lark-delivery.ts';
import type { Rule } from '../../src/rules/rule.ts';
import { messageEvent } from '../fixtures/chat/lark-events.ts';

function rule(id: string, on: Rule['on'], extra: Partial<Rule> = {}): Rule {
  return {
    id,
    enabled: true,
    mode: 'live',
    on,
    do: [],
    allow_self: false,
    version: 'v1',
    source: { file: `${id}.yaml` },
    ...extra,
  };
}

const rules = [
  rule(
    'move',
    { command: 'move {id} to {state}', work_item_type: ['issue'] },
    { description: 'Move a bug.' },
  ),
  rule('move-short', { command: 'move {id}' }),
  rule('ops-only', { command: 'deploy {service}', chats: ['oc_ops'], users: ['ou_dana'] }),
  rule('poll', { poll: { every: '5m', search: { project: 'space_a', work_item_type: 'story' } } }),
  rule('off', { command: 'hidden' }, { enabled: false }),
];
const catalog = buildCommandCatalog(rules);
const from = { chatId: 'oc_team', sender: 'ou_alice' };

describe('readCommand', () => {
  it('takes the first grammar that matches, with its arguments, and the rules of that command', () => {
    const reading = readCommand(catalog, 'Move 42 to done', from);
    expect(reading).toMatchObject({ kind: 'command', name: 'move', args: { id: '42', state: 'done' } });
    // 'move {id}' matches too: its last placeholder takes the rest of the line.
    expect(reading.kind === 'command' && reading.entries.map((e) => e.rule.id)).toEqual([
      'move',
      'move-short',
    ]);
    expect(readCommand(catalog, 'move 42', from)).toMatchObject({ kind: 'command', args: { id: '42' } });
  });

  it('knows nothing of disabled rules or unknown words', () => {
    expect(readCommand(catalog, 'hidden', from)).toEqual({ kind: 'unknown' });
    expect(readCommand(catalog, 'make coffee', from)).toEqual({ kind: 'unknown' });
  });

  it('refuses a chat or a sender not on the allow-lists, saying which', () => {
    expect(readCommand(catalog, 'deploy api', from)).toEqual({ kind: 'denied', name: 'deploy', why: 'chat' });
    expect(readCommand(catalog, 'deploy api', { chatId: 'oc_ops', sender: 'ou_alice' })).toEqual({
      kind: 'denied',
      name: 'deploy',
      why: 'user',
    });
    expect(readCommand(catalog, 'deploy api', { chatId: 'oc_ops', sender: 'ou_dana' })).toMatchObject({
      kind: 'command',
    });
  });

  it('helps with the commands usable in the chat, with descriptions', () => {
    expect(helpText(catalog, 'oc_team', 'hello')).toBe(
      'I don\'t know "hello". Commands I understand:\n• move {id} to {state} (Move a bug.)\n• move {id}',
    );
    expect(helpText(catalog, 'oc_ops', '')).toContain('• deploy {service}');
  });
});

describe('chatCommandEvent', () => {
  const message: ChatMessage = {
    eventId: 'ev_1',
    messageId: 'om_1',
    chatId: 'oc_team',
    chatType: 'group',
    sender: 'ou_alice',
    text: 'move 42 to done',
    sentAt: 1_700_000_000_000,
  };

  it('names the work item when an argument is its id and the space and type are known', () => {
    const reading = readCommand(catalog, message.text, message);
    if (reading.kind !== 'command') throw new Error('expected a command');
    expect(chatCommandEvent(message, reading, catalog, 5)).toEqual({
      id: 'chat:om_1',
      source: 'chat',
      type: 'chat.command',
      occurredAt: 1_700_000_000_000,
      operator: 'ou_alice',
      projectKey: 'space_a',
      workItem: { id: '42', typeKey: 'issue' },
      command: {
        name: 'move',
        args: { id: '42', state: 'done' },
        chatId: 'oc_team',
        messageId: 'om_1',
        sender: 'ou_alice',
      },
      payload: { text: 'move 42 to done', chat_type: 'group', lark_event_id: 'ev_1' },
    });
  });

  it('leaves the work item out when the id is not a number or the type is unknown', () => {
    const reading = readCommand(catalog, 'move abc', message);
    if (reading.kind !== 'command') throw new Error('expected a command');
    expect(chatCommandEvent(message, reading, catalog, 5).workItem).toBeUndefined();
  });
});

describe('readLarkDelivery', () => {
  it('strips the @mentions and reads the sender, chat and message ids', () => {
    const delivery = readLarkDelivery(
      messageEvent({ text: 'move  42   to done', messageId: 'om_9', userId: 'u1' }),
    );
    expect(delivery).toMatchObject({
      kind: 'message',
      message: { messageId: 'om_9', chatId: 'oc_team', sender: 'u1', text: 'move 42 to done' },
    });
  });

  it('ignores messages that are not text, and messages sent by apps', () => {
    const image = messageEvent({ text: 'x' });
    (image.event as { message: Record<string, unknown> }).message.message_type = 'image';
    expect(readLarkDelivery(image)).toMatchObject({ kind: 'ignored', why: 'message type image is not text' });
    const fromApp = messageEvent({ text: 'x' });
    (fromApp.event as { sender: Record<string, unknown> }).sender.sender_type = 'app';
    expect(readLarkDelivery(fromApp)).toMatchObject({ kind: 'ignored', why: 'message sent by an app' });
  });

  it('refuses what is not a Lark event', () => {
    expect(() => readLarkDelivery([])).toThrow(/body must be a JSON object/);
    expect(() => readLarkDelivery({ hello: 1 })).toThrow(/expected a v2.0 body/);
    expect(() => readLarkDelivery({ type: 'url_verification' })).toThrow(/without a challenge/);
    const badContent = messageEvent({ text: 'x' });
    (badContent.event as { message: Record<string, unknown> }).message.content = '{not json';
    expect(() => readLarkDelivery(badContent)).toThrow(/not the JSON string Lark sends/);
  });
});
