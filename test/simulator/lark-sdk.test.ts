/**
 * The official Lark SDK (`@larksuiteoapi/node-sdk`) pointed at the simulator: the simulator
 * must accept the SDK's requests (token fetch, headers, bodies) and the SDK must accept its
 * answers, for sending, replying, updating a card and a refusal.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';

let sim: RunningSimulator;
afterEach(async () => {
  expect(sim.internalErrors()).toEqual([]);
  await sim.close();
});

const quiet = () => undefined;

function sdkClient(): lark.Client {
  return new lark.Client({
    appId: sim.credentials.larkAppId,
    appSecret: sim.credentials.larkAppSecret,
    domain: sim.baseUrl,
    // The SDK caches tenant tokens in one module-wide cache by default: each simulator is a new tenant.
    cache: new lark.DefaultCache(),
    logger: { error: quiet, warn: quiet, info: quiet, debug: quiet, trace: quiet },
  });
}

const card = (title: string) =>
  JSON.stringify({
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title }, template: 'red' },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: `**${title}**` } }],
  });

describe('the Lark SDK against the simulator', () => {
  it('sends, replies to and updates a card through the SDK client', async () => {
    sim = await startSimulator();
    const client = sdkClient();
    const sent = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: {
        receive_id: DEMO_CHATS.oncall,
        msg_type: 'interactive',
        content: card('P0: login crash'),
        uuid: 'sdk-1',
      },
    });
    expect(sent.code).toBe(0);
    const messageId = sent.data?.message_id as string;
    expect(sent.data?.chat_id).toBe(DEMO_CHATS.oncall);

    const replied = await client.im.message.reply({
      path: { message_id: messageId },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'on it' }) },
    });
    expect(replied.code).toBe(0);
    expect(replied.data?.parent_id).toBe(messageId);

    const patched = await client.im.message.patch({
      path: { message_id: messageId },
      data: { content: card('P0: login crash (taken by bob)') },
    });
    expect(patched.code).toBe(0);
    const read = await client.im.message.get({ path: { message_id: messageId } });
    expect(JSON.parse(read.data?.items?.[0]?.body?.content ?? '{}').header.title.content).toBe(
      'P0: login crash (taken by bob)',
    );

    const byEmail = await client.im.message.create({
      params: { receive_id_type: 'email' },
      data: {
        receive_id: 'carol@example.com',
        msg_type: 'text',
        content: JSON.stringify({ text: 'hi carol' }),
      },
    });
    expect(byEmail.code).toBe(0);
    expect(sim.larkMessages().map((m) => m.receive_id_type)).toEqual(['chat_id', 'reply', 'email']);
    expect(sim.requests({ route: 'lark.tenantAccessToken' })).toHaveLength(1);
  });

  it("gives the SDK Lark's error envelope for a refusal", async () => {
    sim = await startSimulator();
    const client = sdkClient();
    const refusal = await client.im.message
      .create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: DEMO_CHATS.outside, msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
      })
      .then(
        () => undefined,
        (error: { response?: { status: number; data: { code: number; msg: string } } }) => error.response,
      );
    expect(refusal?.status).toBe(400);
    expect(refusal?.data).toMatchObject({ code: 230002, msg: 'The bot can not be outside the group.' });
  });
});
