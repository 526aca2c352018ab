import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const allTypes = '/open_api/demo/work_item/all-types';

describe('tokens and X-USER-KEY', () => {
  it('issues p- tokens for 7200 s and returns the same token until it expires', async () => {
    api = await startApi();
    const body = { plugin_id: api.sim.credentials.pluginId, plugin_secret: api.sim.credentials.pluginSecret };
    const again = await api.call('POST', '/open_api/authen/plugin_token', body, {
      'x-plugin-token': undefined,
    });
    expect(again.json).toEqual({
      data: { token: api.token, expire_time: 7200 },
      error: { code: 0, msg: 'success' },
    });
    expect(api.token).toMatch(/^p-/);
    api.clock.advance(7200_000);
    expect((await api.call('GET', allTypes)).json.err_code).toBe(10022);
    const fresh = await api.call('POST', '/open_api/authen/plugin_token', body, {
      'x-plugin-token': undefined,
    });
    expect((fresh.json.data as { token: string }).token).not.toBe(api.token);
  });

  it('gives v- tokens for type 1 and refuses wrong credentials in the token envelope', async () => {
    api = await startApi();
    const virtual = await api.call('POST', '/open_api/authen/plugin_token', {
      plugin_id: api.sim.credentials.pluginId,
      plugin_secret: api.sim.credentials.pluginSecret,
      type: 1,
    });
    expect((virtual.json.data as { token: string }).token).toMatch(/^v-/);
    const wrong = await api.call('POST', '/open_api/authen/plugin_token', {
      plugin_id: 'x',
      plugin_secret: 'y',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toMatchObject({ code: 20006 });
    const missing = await api.call('POST', '/open_api/authen/plugin_token', { plugin_id: 'x' });
    expect(missing.json.error).toMatchObject({ code: 20005 });
  });

  it('answers 10021 without a token, 10022 for an unknown one', async () => {
    api = await startApi();
    const none = await api.call('GET', allTypes, undefined, { 'x-plugin-token': undefined });
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ err_code: 10021, err_msg: 'Token Not Exist' });
    const unknown = await api.call('GET', allTypes, undefined, { 'x-plugin-token': 'p-not-a-token' });
    expect(unknown.json.err_code).toBe(10022);
  });

  it('needs X-USER-KEY with a plugin token (20039) and a known user (30006)', async () => {
    api = await startApi();
    const missing = await api.call('GET', allTypes, undefined, { 'x-user-key': undefined });
    expect(missing.json.err_code).toBe(20039);
    const unknown = await api.call('GET', allTypes, undefined, { 'x-user-key': '999' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.err_code).toBe(30006);
    const users = await api.call(
      'POST',
      '/open_api/user/query',
      { user_keys: [api.sim.credentials.userKey] },
      { 'x-user-key': undefined },
    );
    expect(users.json.err_code).toBe(0);
  });

  it('exchanges a one-time auth code for a u- token that acts as its user, and refreshes it', async () => {
    api = await startApi();
    const code = api.sim.issueAuthCode('7400000000000000003');
    const exchange = { code, grant_type: 'authorization_code' };
    const first = await api.call('POST', '/open_api/authen/user_plugin_token', exchange, {
      'x-user-key': undefined,
    });
    const data = first.json.data as { token: string; refresh_token: string; user_key: string };
    expect(data.token).toMatch(/^u-/);
    expect(data.user_key).toBe('7400000000000000003');
    const reused = await api.call('POST', '/open_api/authen/user_plugin_token', exchange, {
      'x-user-key': undefined,
    });
    expect(reused.status).toBe(403);
    expect(reused.json.error).toMatchObject({ code: 10210 });
    const asUser = await api.call(
      'POST',
      '/open_api/demo/work_item/story/6437110002/comment/create',
      { content: 'mine' },
      {
        'x-plugin-token': data.token,
        'x-user-key': undefined,
      },
    );
    expect(asUser.json.err_code).toBe(0);
    expect(api.sim.state.comments.at(-1)?.operator).toBe('7400000000000000003');
    const refreshed = await api.call('POST', '/open_api/authen/refresh_token', {
      refresh_token: data.refresh_token,
      type: 1,
    });
    expect((refreshed.json.data as { token: string }).token).toMatch(/^u-/);
    const badType = await api.call('POST', '/open_api/authen/refresh_token', {
      refresh_token: data.refresh_token,
      type: 2,
    });
    expect(badType.json.error).toMatchObject({ code: 20006 });
  });
});
