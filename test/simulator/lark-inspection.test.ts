import { afterEach, describe, expect, it } from 'vitest';
import { STORY, startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const json = { 'content-type': 'application/json' };

async function larkToken(): Promise<string> {
  const { larkAppId, larkAppSecret } = api.sim.credentials;
  const answer = await api.raw(
    'POST',
    '/open-apis/auth/v3/tenant_access_token/internal',
    JSON.stringify({ app_id: larkAppId, app_secret: larkAppSecret }),
    json,
  );
  expect(answer.json).toMatchObject({ code: 0, expire: 7200 });
  return answer.json.tenant_access_token as string;
}

describe('Lark IM fakes', () => {
  it('issues a tenant token and records replies, de-duplicated by uuid', async () => {
    api = await startApi();
    const token = await larkToken();
    const headers = { ...json, authorization: `Bearer ${token}` };
    const body = JSON.stringify({
      msg_type: 'text',
      content: JSON.stringify({ text: 'moved to done' }),
      uuid: 'r-1',
    });
    const first = await api.raw('POST', '/open-apis/im/v1/messages/om_123/reply', body, headers);
    expect(first.json).toMatchObject({ code: 0, data: { parent_id: 'om_123', msg_type: 'text' } });
    const again = await api.raw('POST', '/open-apis/im/v1/messages/om_123/reply', body, headers);
    expect((again.json.data as { message_id: string }).message_id).toBe(
      (first.json.data as { message_id: string }).message_id,
    );
    expect(api.sim.larkReplies()).toMatchObject([
      { message_id: 'om_123', content: { text: 'moved to done' } },
    ]);
    const viaHttp = await api.raw('GET', '/_sim/lark/replies', undefined, {});
    expect(viaHttp.json).toHaveLength(1);
  });

  it('refuses wrong secrets, missing or unknown tokens, and bad bodies', async () => {
    api = await startApi();
    const wrong = await api.raw(
      'POST',
      '/open-apis/auth/v3/tenant_access_token/internal',
      JSON.stringify({ app_id: 'x', app_secret: 'y' }),
      json,
    );
    expect(wrong.json.code).toBe(10014);
    const reply = (headers: Record<string, string>, body: unknown) =>
      api.raw('POST', '/open-apis/im/v1/messages/om_1/reply', JSON.stringify(body), { ...json, ...headers });
    expect((await reply({}, {})).json.code).toBe(99991661);
    expect((await reply({ authorization: 'Bearer t-nope' }, {})).json.code).toBe(99991663);
    const token = await larkToken();
    expect((await reply({ authorization: `Bearer ${token}` }, { msg_type: 'text' })).json.code).toBe(230001);
    api.clock.advance(7200_000);
    expect(
      (await reply({ authorization: `Bearer ${token}` }, { msg_type: 'text', content: '{}' })).json.code,
    ).toBe(99991663);
  });
});

describe('/_sim inspection', () => {
  it('records every request with tokens redacted, filterable by route and error code', async () => {
    api = await startApi();
    await api.call(
      'POST',
      `/open_api/demo/work_item/story/${STORY}/comment/create`,
      { content: 'x' },
      { 'x-idem-uuid': 'k1' },
    );
    await api.call('GET', '/open_api/demo/work_item/all-types', undefined, { 'x-user-key': undefined });
    const all = await api.raw('GET', '/_sim/requests', undefined, {});
    const records = all.json as unknown as {
      route: string;
      headers: Record<string, string>;
      body: unknown;
      err_code: number;
    }[];
    expect(records.map((r) => r.route)).toEqual(['auth.pluginToken', 'comment.create', 'config.allTypes']);
    expect(JSON.stringify(records)).not.toContain(api.token);
    expect(JSON.stringify(records)).not.toContain(api.sim.credentials.pluginSecret);
    expect(records[1]).toMatchObject({
      body: { content: 'x' },
      err_code: 0,
      status: 200,
      idempotency_key: 'k1',
    });
    expect(records[1]?.headers['x-plugin-token']).toMatch(/^p-\*{4}.{4}$/);
    const failed = await api.raw('GET', '/_sim/requests?err_code=20039', undefined, {});
    expect((failed.json as unknown as { route: string }[]).map((r) => r.route)).toEqual(['config.allTypes']);
  });

  it('serves the state, the effects and the credentials, and resets to the seed', async () => {
    api = await startApi();
    await api.call(
      'POST',
      `/open_api/demo/work_item/story/${STORY}/comment/create`,
      { content: 'x' },
      { 'x-idem-uuid': 'k1' },
    );
    const state = await api.raw('GET', '/_sim/state', undefined, {});
    expect(state.text).toMatch(/"comments":\[\{"id":"\d{19}"/);
    expect((await api.raw('GET', '/_sim/effects', undefined, {})).json).toEqual({
      by_key: { k1: 1 },
      without_key: 0,
      total: 1,
    });
    expect((await api.raw('GET', '/_sim/credentials', undefined, {})).json).toMatchObject({
      simpleName: 'demo',
    });
    expect((await api.raw('POST', '/_sim/reset', undefined, {})).json).toEqual({ ok: true });
    expect(api.sim.state.comments).toHaveLength(1);
    expect(api.sim.requests()).toHaveLength(0);
    const afterReset = await api.call(
      'POST',
      `/open_api/demo/work_item/story/${STORY}/comment/create`,
      { content: 'x' },
      { 'x-idem-uuid': 'k1' },
    );
    expect(afterReset.json.err_code).toBe(0);
  });

  it('issues auth codes and answers unknown paths with 404', async () => {
    api = await startApi();
    const code = await api.raw(
      'POST',
      '/_sim/auth-codes',
      JSON.stringify({ user_key: '7400000000000000002' }),
      json,
    );
    expect(code.status).toBe(201);
    expect((await api.raw('POST', '/_sim/auth-codes', '{', json)).status).toBe(400);
    expect((await api.raw('GET', '/open_api/nothing/here/at/all/really', undefined, {})).status).toBe(404);
  });
});
