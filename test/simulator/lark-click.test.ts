/** Simulated clicks: the card.action.trigger callback Lark would push, plain and encrypted, and its answer. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptLarkPayload, signatureMatches } from '../../src/ingest/chat/lark-crypto.ts';
import { DEMO_CHATS, demoOpenId } from '../../src/simulator/model/lark-seed.ts';
import { startApi, type Api } from './helpers.ts';

let api: Api;
let target: Server | undefined;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
  await new Promise<void>((done) => (target ? target.close(() => done()) : done()));
  target = undefined;
});

interface Received {
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A callback target that records what it gets and answers with `answer`. */
async function callbackTarget(answer: unknown): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  target = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, text });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((done) => target?.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/chat/cards`, received };
}

async function sendCard(): Promise<string> {
  const { larkAppId, larkAppSecret } = api.sim.credentials;
  const token = await api.raw(
    'POST',
    '/open-apis/auth/v3/tenant_access_token/internal',
    JSON.stringify({ app_id: larkAppId, app_secret: larkAppSecret }),
    { 'content-type': 'application/json' },
  );
  const content = {
    config: { update_multi: true },
    elements: [
      {
        tag: 'action',
        actions: [
          { tag: 'button', text: { tag: 'plain_text', content: 'Open' }, url: 'https://example.com' },
          {
            tag: 'button',
            text: { tag: 'plain_text', content: 'Take it' },
            value: { action: 'take', id: '42' },
          },
          { tag: 'button', text: { tag: 'plain_text', content: 'Close' }, value: { action: 'close' } },
        ],
      },
    ],
  };
  const sent = await api.raw(
    'POST',
    '/open-apis/im/v1/messages?receive_id_type=chat_id',
    JSON.stringify({
      receive_id: DEMO_CHATS.oncall,
      msg_type: 'interactive',
      content: JSON.stringify(content),
    }),
    {
      'content-type': 'application/json',
      authorization: `Bearer ${token.json.tenant_access_token as string}`,
    },
  );
  return (sent.json.data as { message_id: string }).message_id;
}

describe('simulated card clicks', () => {
  it('pushes card.action.trigger with the button value, operator and card, and applies the answered card', async () => {
    api = await startApi();
    const answered = {
      config: { update_multi: true },
      elements: [{ tag: 'div', text: { tag: 'plain_text', content: 'Taken' } }],
    };
    const { url, received } = await callbackTarget({
      toast: { type: 'info', content: 'ok' },
      card: { type: 'raw', data: answered },
    });
    const messageId = await sendCard();
    const set = await api.raw(
      'POST',
      '/_sim/lark/callback',
      JSON.stringify({ url, verification_token: 'vt-1' }),
      {},
    );
    expect(set.status).toBe(201);
    const click = await api.raw(
      'POST',
      '/_sim/lark/click',
      JSON.stringify({ message_id: messageId, button: 'take', user: '7400000000000000003' }),
      {},
    );
    expect(click.json).toMatchObject({ status: 200, answer: { toast: { content: 'ok' } } });
    const body = JSON.parse(received[0]?.text ?? '{}');
    expect(body).toMatchObject({
      schema: '2.0',
      header: { event_type: 'card.action.trigger', token: 'vt-1' },
      event: {
        operator: { open_id: demoOpenId('bob'), union_id: 'on_7400000000000000003', user_id: 'bob' },
        action: { value: { action: 'take', id: '42' }, tag: 'button' },
        context: { open_message_id: messageId, open_chat_id: DEMO_CHATS.oncall },
      },
    });
    expect(api.sim.larkMessages()[0]).toMatchObject({ content: answered, updates: 1 });

    const again = await api.raw(
      'POST',
      `/_sim/lark/callbacks/${click.json.id as string}/redeliver`,
      undefined,
      {},
    );
    expect(again.json.event_id).toBe(click.json.event_id);
    expect(received).toHaveLength(2);
  });

  it('encrypts and signs the callback when the target has an encrypt key', async () => {
    api = await startApi();
    const { url, received } = await callbackTarget({});
    const messageId = await sendCard();
    api.sim.setCardCallback({ url, verification_token: 'vt-2', encrypt_key: 'ek-2' });
    await api.sim.clickCard({ message_id: messageId, user: 'carol@example.com' });
    const { headers, text } = received[0] as Received;
    const parts = {
      timestamp: String(headers['x-lark-request-timestamp']),
      nonce: String(headers['x-lark-request-nonce']),
      body: Buffer.from(text),
    };
    expect(signatureMatches(String(headers['x-lark-signature']), parts, 'ek-2')).toBe(true);
    const plain = JSON.parse(decryptLarkPayload(JSON.parse(text).encrypt, 'ek-2'));
    expect(plain.event.action.value).toEqual({ action: 'take', id: '42' });
  });

  it('says what is wrong with a click it cannot make', async () => {
    api = await startApi();
    const messageId = await sendCard();
    const click = (body: unknown) => api.raw('POST', '/_sim/lark/click', JSON.stringify(body), {});
    expect((await click({ message_id: messageId, user: 'alice' })).json.error).toMatch(
      /no card callback URL/,
    );
    api.sim.setCardCallback({ url: 'http://127.0.0.1:9/x', verification_token: 'v' });
    expect((await click({ message_id: 'om_nope', user: 'alice' })).json.error).toMatch(/no message om_nope/);
    expect((await click({ message_id: messageId, user: 'nobody' })).json.error).toMatch(
      /no Lark user nobody/,
    );
    expect((await click({ message_id: messageId, user: 'alice', button: 'Open' })).json.error).toMatch(
      /no callback button Open \(buttons: take, close\)/,
    );
  });
});
