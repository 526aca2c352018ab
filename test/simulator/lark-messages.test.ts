/** The simulator's Lark side through raw HTTP: sends, de-duplication, refusals, updates, limits, look-ups. */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS, demoOpenId } from '../../src/simulator/model/lark-seed.ts';
import { startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const json = { 'content-type': 'application/json' };

async function lark() {
  const { larkAppId, larkAppSecret } = api.sim.credentials;
  const answer = await api.raw(
    'POST',
    '/open-apis/auth/v3/tenant_access_token/internal',
    JSON.stringify({ app_id: larkAppId, app_secret: larkAppSecret }),
    json,
  );
  const headers = { ...json, authorization: `Bearer ${answer.json.tenant_access_token as string}` };
  return {
    send: (type: string, body: Record<string, unknown>) =>
      api.raw('POST', `/open-apis/im/v1/messages?receive_id_type=${type}`, JSON.stringify(body), headers),
    patch: (id: string, body: Record<string, unknown>) =>
      api.raw('PATCH', `/open-apis/im/v1/messages/${id}`, JSON.stringify(body), headers),
    get: (path: string) => api.raw('GET', path, undefined, headers),
    post: (path: string, body: unknown) => api.raw('POST', path, JSON.stringify(body), headers),
  };
}

const text = (t: string) => ({ msg_type: 'text', content: JSON.stringify({ text: t }) });
const card = (title: string, shared = true) => ({
  msg_type: 'interactive',
  content: JSON.stringify({
    config: { update_multi: shared },
    header: { title: { tag: 'plain_text', content: title } },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: title } }],
  }),
});
const data = (answer: { json: Record<string, unknown> }) => answer.json.data as Record<string, string>;

describe('Lark messages in the simulator', () => {
  it('sends to a chat and to people by open_id, union_id, user_id and e-mail', async () => {
    api = await startApi();
    const client = await lark();
    const toChat = await client.send('chat_id', { receive_id: DEMO_CHATS.oncall, ...text('P0!') });
    expect(toChat.json).toMatchObject({ code: 0, data: { chat_id: DEMO_CHATS.oncall, msg_type: 'text' } });
    for (const [type, id] of [
      ['open_id', demoOpenId('bob')],
      ['union_id', 'on_7400000000000000003'],
      ['user_id', 'bob'],
      ['email', 'bob@example.com'],
    ]) {
      const answer = await client.send(type as string, { receive_id: id, ...text(`hi via ${type}`) });
      expect(answer.json.code, type).toBe(0);
    }
    const toBob = api.sim.larkMessages().filter((m) => m.to_open_id === demoOpenId('bob'));
    expect(toBob).toHaveLength(4);
    expect(new Set(toBob.map((m) => m.chat_id)).size).toBe(1);
  });

  it('keeps one message per uuid for an hour, then sends again', async () => {
    api = await startApi();
    const client = await lark();
    const body = { receive_id: DEMO_CHATS.team, uuid: 'u-1', ...text('once') };
    const first = await client.send('chat_id', body);
    const again = await client.send('chat_id', body);
    expect(data(again).message_id).toBe(data(first).message_id);
    api.clock.advance(3_600_000);
    const later = await lark().then((c) => c.send('chat_id', body));
    expect(data(later).message_id).not.toBe(data(first).message_id);
    expect(api.sim.larkMessages()).toHaveLength(2);
  });

  it("refuses what Lark refuses, in Lark's envelope, 404 included", async () => {
    api = await startApi();
    const client = await lark();
    const cases: Array<[Promise<{ status: number; json: Record<string, unknown> }>, number]> = [
      [client.send('chat_id', { receive_id: 'oc_nope', ...text('x') }), 230001],
      [client.send('chat_id', { receive_id: DEMO_CHATS.outside, ...text('x') }), 230002],
      [client.send('union_id', { receive_id: 'on_nobody', ...text('x') }), 230013],
      [client.send('email', { receive_id: 'dave@example.com', ...text('x') }), 230013],
      [client.send('phone', { receive_id: '123', ...text('x') }), 99992402],
      [
        client.send('chat_id', {
          receive_id: DEMO_CHATS.team,
          msg_type: 'interactive',
          content: '{"header":{}}',
        }),
        230099,
      ],
      [
        client.send('chat_id', { receive_id: DEMO_CHATS.team, msg_type: 'text', content: 'not json' }),
        230001,
      ],
      [client.send('chat_id', { receive_id: DEMO_CHATS.team, uuid: 'x'.repeat(51), ...text('x') }), 99992402],
      [client.get('/open-apis/im/v9/nothing'), 404],
    ];
    for (const [answer, code] of cases) {
      const { status, json: body } = await answer;
      expect(body.code, JSON.stringify(body)).toBe(code);
      expect(typeof body.msg).toBe('string');
      if (code === 404) expect(status).toBe(404);
    }
    expect(api.sim.larkMessages()).toEqual([]);
  });

  it('updates a shared card in place, and only a shared card', async () => {
    api = await startApi();
    const client = await lark();
    const sent = data(await client.send('chat_id', { receive_id: DEMO_CHATS.team, ...card('Open') }));
    const updated = await client.patch(sent.message_id as string, { content: card('Done').content });
    expect(updated.json.code).toBe(0);
    const read = await client.get(`/open-apis/im/v1/messages/${sent.message_id}`);
    const item = (read.json.data as { items: Array<{ body: { content: string }; updated: boolean }> })
      .items[0];
    expect(JSON.parse(item?.body.content ?? '{}').header.title.content).toBe('Done');
    expect(item?.updated).toBe(true);
    const unshared = data(
      await client.send('chat_id', { receive_id: DEMO_CHATS.team, ...card('Private', false) }),
    );
    expect(
      (await client.patch(unshared.message_id as string, { content: card('x').content })).json.code,
    ).toBe(230001);
    expect((await client.patch('om_unknown', { content: card('x').content })).json.code).toBe(230001);
  });

  it('holds to 5 per second per chat and 50 per second per app', async () => {
    api = await startApi();
    const client = await lark();
    const codes: number[] = [];
    for (let i = 0; i < 6; i++)
      codes.push(
        (await client.send('chat_id', { receive_id: DEMO_CHATS.team, ...text(`m${i}`) })).json.code as number,
      );
    expect(codes).toEqual([0, 0, 0, 0, 0, 230020]);
    api.clock.advance(1000);
    const sent = data(await client.send('chat_id', { receive_id: DEMO_CHATS.team, ...text('read me') }));
    const reads: Array<[number, number]> = [];
    for (let i = 0; i < 51; i++) {
      const answer = await client.get(`/open-apis/im/v1/messages/${sent.message_id}`);
      reads.push([answer.status, answer.json.code as number]);
    }
    expect(reads.slice(0, 50).every(([, code]) => code === 0)).toBe(true);
    expect(reads[50]).toEqual([429, 99991400]);
    api.clock.advance(1000);
    expect((await client.get(`/open-apis/im/v1/messages/${sent.message_id}`)).json.code).toBe(0);
  });

  it('answers contact look-ups by id and by e-mail', async () => {
    api = await startApi();
    const client = await lark();
    const byUnion = await client.get(
      '/open-apis/contact/v3/users/on_7400000000000000002?user_id_type=union_id',
    );
    expect(byUnion.json).toMatchObject({
      code: 0,
      data: { user: { open_id: demoOpenId('alice'), email: 'alice@example.com' } },
    });
    const byOpen = await client.get(`/open-apis/contact/v3/users/${demoOpenId('carol')}`);
    expect(byOpen.json).toMatchObject({ data: { user: { union_id: 'on_7400000000000000004' } } });
    expect((await client.get('/open-apis/contact/v3/users/ou_nobody')).json.code).toBe(41050);
    const ids = await client.post('/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id', {
      emails: ['bob@example.com', 'nobody@example.com'],
    });
    expect(ids.json.data).toEqual({
      user_list: [{ email: 'bob@example.com', user_id: demoOpenId('bob') }, { email: 'nobody@example.com' }],
    });
  });
});
