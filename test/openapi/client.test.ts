import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { buildApiCall } from '../../src/openapi/catalogue.ts';
import { OpenApiClient, callWithTokenRetry } from '../../src/openapi/client.ts';
import { int64 } from '../../src/openapi/json.ts';
import { PLUGIN_SECRET, TOKEN_1, TOKEN_2, fail, mockTenant, ok, tokenAnswer } from './support.ts';

const ITEM = { project_key: 'space1', work_item_type_key: 'story', work_item_id: '6437110001' };
const commentCall = () => buildApiCall('comment.create', { path: ITEM, body: { content: 'hello' } });

describe('OpenApiClient against a MockAgent', () => {
  it('fetches the plugin token once and sends the documented headers', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, (opts) => (t.record(opts), tokenAnswer(TOKEN_1)));
    t.pool
      .intercept({ path: '/open_api/space1/work_item/story/6437110001/comment/create', method: 'POST' })
      .reply(
        200,
        (opts) => (t.record(opts), '{"err":{},"err_code":0,"err_msg":"","data":7565422599569830001}'),
        {
          headers: { 'x-tt-logid': 'tt-123' },
        },
      )
      .times(2);

    const outcome = await t.client.call(commentCall(), { idempotencyKey: 'idem-1' });
    expect(outcome).toMatchObject({
      class: 'ok',
      data: '7565422599569830001',
      logId: 'tt-123',
      httpStatus: 200,
    });
    await t.client.call(commentCall(), { idempotencyKey: 'idem-2', userKey: 'alice' });

    const [tokenRequest, first, second] = t.seen;
    expect(JSON.parse(tokenRequest?.body ?? '')).toEqual({
      plugin_id: 'MII_TEST',
      plugin_secret: PLUGIN_SECRET,
      type: 0,
    });
    expect(tokenRequest?.headers['x-plugin-token']).toBeUndefined();
    expect(first?.headers).toMatchObject({
      'x-plugin-token': TOKEN_1,
      'x-user-key': 'engine-user',
      'x-idem-uuid': 'idem-1',
      'content-type': 'application/json',
    });
    expect(JSON.parse(first?.body ?? '')).toEqual({ content: 'hello' });
    expect(second?.headers['x-user-key']).toBe('alice');
    expect(t.seen).toHaveLength(3);
  });

  it('sends X-IDEM-UUID on writes only, and query strings and int64 bodies as given', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool
      .intercept({
        path: '/open_api/space1/work_item/story/6437110001/comments?page_num=1&page_size=200',
        method: 'GET',
      })
      .reply(200, (opts) => (t.record(opts), ok([])));
    t.pool
      .intercept({ path: '/open_api/space1/relation/story/6437110001', method: 'DELETE' })
      .reply(200, (opts) => (t.record(opts), ok()));

    const list = buildApiCall('comment.list', { path: ITEM, query: { page_num: '1', page_size: '200' } });
    await t.client.call(list, { idempotencyKey: 'ignored-on-reads' });
    const unbind = buildApiCall('relation.unbind', {
      path: ITEM,
      body: { relation_rule_id: 'rule_1', relation_work_item_id: int64('7565431108055490001') },
    });
    expect((await t.client.call(unbind, { idempotencyKey: 'k' })).class).toBe('ok');

    expect(t.seen[0]?.headers['x-idem-uuid']).toBeUndefined();
    expect(t.seen[1]?.body).toBe('{"relation_rule_id":"rule_1","relation_work_item_id":7565431108055490001}');
  });

  it('acts with a user token without X-USER-KEY and without fetching a plugin token', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/space1/work_item/all-types', method: 'GET' })
      .reply(200, (opts) => (t.record(opts), ok([])));
    const outcome = await t.client.call(
      buildApiCall('config.allTypes', { path: { project_key: 'space1' } }),
      {
        userToken: 'u-efe05d32-b733-4b15-a960-6acadf8e0001',
      },
    );
    expect(outcome.class).toBe('ok');
    expect(t.seen).toHaveLength(1);
    expect(t.seen[0]?.headers['x-plugin-token']).toBe('u-efe05d32-b733-4b15-a960-6acadf8e0001');
    expect(t.seen[0]?.headers['x-user-key']).toBeUndefined();
  });

  it('makes exactly one attempt, even for a transient answer', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(500, (opts) => (t.record(opts), fail(50006, 'openapi system err, please try again later')))
      .persist();
    const outcome = await t.client.call(commentCall(), { idempotencyKey: 'k' });
    expect(outcome).toMatchObject({ class: 'transient', errCode: 50006, httpStatus: 500 });
    expect(t.seen).toHaveLength(1);
  });

  it('drops a refused token and repeats the call once, only through callWithTokenRetry', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_2));
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(401, (opts) => (t.record(opts), fail(10022, 'Check Token Failed')));
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(200, (opts) => (t.record(opts), ok(1)));

    const outcome = await callWithTokenRetry(t.client, commentCall(), { idempotencyKey: 'idem-7' });
    expect(outcome).toMatchObject({ class: 'ok', data: '1' });
    expect(t.seen.map((s) => s.headers['x-plugin-token'])).toEqual([TOKEN_1, TOKEN_2]);
    expect(t.seen.map((s) => s.headers['x-idem-uuid'])).toEqual(['idem-7', 'idem-7']);
  });

  it('repeats at most once when the fresh token is refused too', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1))
      .persist();
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(403, (opts) => (t.record(opts), fail(10211, 'Token Info Is Invalid')))
      .persist();
    const outcome = await callWithTokenRetry(t.client, commentCall());
    expect(outcome).toMatchObject({ class: 'auth', errCode: 10211 });
    expect(t.seen).toHaveLength(2);
  });

  it('does not repeat on other auth codes', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(401, (opts) => (t.record(opts), fail(10301, 'Check Token Perm Failed')));
    expect((await callWithTokenRetry(t.client, commentCall())).class).toBe('auth');
    expect(t.seen).toHaveLength(1);
  });

  it('makes one token request for 1,000 concurrent calls at expiry, and one more after 1,000 refusals', async () => {
    let clock = 0;
    const t = mockTenant({ now: () => clock });
    let tokenRequests = 0;
    let current = TOKEN_1;
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, () => {
        tokenRequests += 1;
        return tokenAnswer(current);
      })
      .persist();
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(200, (opts) => {
        const sent = (opts.headers as Record<string, string>)['x-plugin-token'];
        return sent === current ? ok(1) : fail(10022, 'Check Token Failed');
      })
      .persist();

    await t.client.call(commentCall());
    clock += 7200_000;
    let outcomes = await Promise.all(Array.from({ length: 1000 }, () => t.client.call(commentCall())));
    expect(tokenRequests).toBe(2);
    expect(outcomes.every((o) => o.class === 'ok')).toBe(true);

    current = TOKEN_2; // the server revokes the cached token early
    outcomes = await Promise.all(
      Array.from({ length: 1000 }, () => callWithTokenRetry(t.client, commentCall())),
    );
    expect(tokenRequests).toBe(3);
    expect(outcomes.every((o) => o.class === 'ok')).toBe(true);
  });

  it('reports a token endpoint failure as the outcome of the call, never a rejection', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, { data: {}, error: { code: 10021, msg: `bad secret ${PLUGIN_SECRET}` } })
      .persist();
    const outcome = await t.client.call(commentCall());
    expect(outcome).toMatchObject({ class: 'auth', errCode: 10021 });
    expect(JSON.stringify(outcome)).not.toContain(PLUGIN_SECRET);
    const error = await t.client.tokenKey().catch((e: unknown) => e);
    expect(isAutopilotError(error, 'AP_API_AUTH')).toBe(true);
    expect(String((error as Error).message)).not.toContain(PLUGIN_SECRET);
  });

  it('refuses a token answer without a token', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, { data: { expire_time: 7200 }, error: { code: 0, msg: 'success' } });
    expect(await t.client.call(commentCall())).toMatchObject({
      class: 'permanent',
      errMsg: 'token endpoint answered without a token',
    });
  });

  it('keeps tokens out of outcomes even when the server echoes them', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool
      .intercept({ path: /comment\/create$/, method: 'POST' })
      .reply(
        400,
        fail(20006, `Invalid Param header X-PLUGIN-TOKEN=${TOKEN_1}`, `token ${TOKEN_1.toUpperCase()}`),
      );
    const outcome = await t.client.call(commentCall());
    expect(outcome.class).toBe('permanent');
    expect(outcome.errMsg).toBe('Invalid Param header X-PLUGIN-TOKEN=[REDACTED]');
    expect(JSON.stringify(outcome).toLowerCase()).not.toContain(TOKEN_1.toLowerCase());
  });

  it('gives a stable, non-secret token key for the limiter', async () => {
    const t = mockTenant();
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    const key = await t.client.tokenKey();
    expect(key).toMatch(/^tok_[0-9a-f]{16}$/);
    expect(await t.client.tokenKey()).toBe(key);
    expect(key).not.toContain(TOKEN_1);
  });

  it('answers a call it cannot make with a permanent outcome and sends nothing', async () => {
    const t = mockTenant();
    const unknown = await t.client.call({
      operation: 'nope',
      method: 'GET',
      path: '/open_api/x',
      write: false,
    });
    expect(unknown).toMatchObject({ class: 'permanent', errMsg: 'unknown operation "nope"' });
    const escape = await t.client.call({
      ...buildApiCall('config.allTypes', { path: { project_key: 'a' } }),
      path: '/admin',
    });
    expect(escape).toMatchObject({
      class: 'permanent',
      errMsg: 'call path "/admin" is not an /open_api/ path',
    });
    const dots = await t.client.call({
      ...buildApiCall('config.allTypes', { path: { project_key: 'a' } }),
      path: '/open_api/../x',
    });
    expect(dots.class).toBe('permanent');
    expect(t.seen).toHaveLength(0);
  });

  it('keeps a base URL path prefix', async () => {
    const t = mockTenant({ baseUrl: 'https://project.test/proxy/' });
    t.pool
      .intercept({ path: '/proxy/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    t.pool.intercept({ path: '/proxy/open_api/a/work_item/all-types', method: 'GET' }).reply(200, ok([]));
    expect((await t.client.call(buildApiCall('config.allTypes', { path: { project_key: 'a' } }))).class).toBe(
      'ok',
    );
  });
});

describe('OpenApiClient configuration', () => {
  it.each(['not a url', 'ftp://host', 'https://host/?a=1'])('refuses the base URL %j', (baseUrl) => {
    let caught: unknown;
    try {
      new OpenApiClient({ baseUrl, pluginId: 'p', pluginSecret: 's', userKey: 'u' });
    } catch (error) {
      caught = error;
    }
    expect(isAutopilotError(caught, 'AP_CONFIG_INVALID')).toBe(true);
  });
});

describe('user tokens', () => {
  it('exchanges an auth code and refreshes, keeping the tokens out of the outcome', async () => {
    const t = mockTenant({ now: () => 1_000 });
    t.pool
      .intercept({ path: '/open_api/authen/plugin_token', method: 'POST' })
      .reply(200, tokenAnswer(TOKEN_1));
    const userToken = {
      token: 'u-efe05d32-b733-4b15-a960-6acadf8e0001',
      expire_time: 7200,
      refresh_token: '85cde42e-76c8-4677-a783-1e5761f70001',
      refresh_token_expire_time: 1209600,
      saas_tenant_key: 'DeepCollaboration',
      user_key: 'he',
    };
    t.pool
      .intercept({ path: '/open_api/authen/user_plugin_token', method: 'POST' })
      .reply(200, (opts) => (t.record(opts), { data: userToken, error: { code: 0, msg: 'success' } }));
    t.pool
      .intercept({ path: '/open_api/authen/refresh_token', method: 'POST' })
      .reply(
        200,
        (opts) => (
          t.record(opts),
          { data: { ...userToken, token: 'u-2' }, error: { code: 0, msg: 'success' } }
        ),
      );
    t.pool
      .intercept({ path: '/open_api/authen/user_plugin_token', method: 'POST' })
      .reply(403, { data: {}, error: { code: 10210, msg: 'code invalid' } });

    const exchanged = await t.client.exchangeUserToken('7849d137b6d947a5bdee470eedd60001');
    expect(exchanged.token).toEqual({
      token: userToken.token,
      expiresAt: 1_000 + 7_200_000,
      refreshToken: userToken.refresh_token,
      refreshExpiresAt: 1_000 + 1_209_600_000,
      userKey: 'he',
      saasTenantKey: 'DeepCollaboration',
    });
    expect(exchanged.outcome).toMatchObject({ class: 'ok' });
    expect(exchanged.outcome.data).toBeUndefined();
    expect(JSON.parse(t.seen[0]?.body ?? '')).toEqual({
      code: '7849d137b6d947a5bdee470eedd60001',
      grant_type: 'authorization_code',
    });
    expect(t.seen[0]?.headers['x-plugin-token']).toBe(TOKEN_1);

    const refreshed = await t.client.refreshUserToken(userToken.refresh_token);
    expect(refreshed.token?.token).toBe('u-2');
    expect(JSON.parse(t.seen[1]?.body ?? '')).toEqual({ refresh_token: userToken.refresh_token, type: 1 });

    const refused = await t.client.exchangeUserToken('used-code');
    expect(refused).toEqual({ outcome: expect.objectContaining({ class: 'auth', errCode: 10210 }) });
  });
});
