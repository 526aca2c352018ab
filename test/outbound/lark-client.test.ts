/** The Lark IM client against the simulator's Lark fakes, and the routing caller in front of it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LarkClient, larkReplyCall } from '../../src/outbound/lark-client.ts';
import { createRoutingCaller } from '../../src/outbound/routing-caller.ts';
import { outboundRateLimit } from '../../src/outbound/rate-limits.ts';
import type { ApiCaller, ApiOutcome } from '../../src/openapi/types.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';

let sim: RunningSimulator;
let lark: LarkClient;

beforeAll(async () => {
  sim = await startSimulator();
  lark = new LarkClient({
    baseUrl: sim.baseUrl,
    appId: sim.credentials.larkAppId,
    appSecret: sim.credentials.larkAppSecret,
  });
});

afterAll(async () => {
  await lark?.close();
  await sim?.close();
});

function tokenRequests(): number {
  return sim.requests({ route: 'lark.tenantAccessToken' }).length;
}

describe('LarkClient', () => {
  it('replies in the thread with one tenant token, reused', async () => {
    const first = await lark.reply('om_a', 'hello', 'uuid-a');
    const second = await lark.reply('om_b', 'again', 'uuid-b');
    expect(first.class).toBe('ok');
    expect(second.class).toBe('ok');
    expect(tokenRequests()).toBe(1);
    expect(sim.larkReplies().map((r) => [r.message_id, r.content])).toEqual([
      ['om_a', { text: 'hello' }],
      ['om_b', { text: 'again' }],
    ]);
  });

  it('sends the idempotency key as Lark uuid, so a repeat gives the first reply', async () => {
    const outcome = await lark.call(larkReplyCall('om_c', 'once'), { idempotencyKey: 'uuid-c' });
    const repeat = await lark.call(larkReplyCall('om_c', 'once'), { idempotencyKey: 'uuid-c' });
    expect((outcome.data as { message_id: string }).message_id).toBe(
      (repeat.data as { message_id: string }).message_id,
    );
    expect(sim.larkReplies().filter((r) => r.message_id === 'om_c')).toHaveLength(1);
  });

  it('fetches a new token after dropToken', async () => {
    const before = tokenRequests();
    lark.dropToken();
    expect((await lark.reply('om_d', 'x', 'uuid-d')).class).toBe('ok');
    expect(tokenRequests()).toBe(before + 1);
  });

  it('a refused app secret is an auth outcome that says so, and nothing is sent', async () => {
    const wrong = new LarkClient({
      baseUrl: sim.baseUrl,
      appId: sim.credentials.larkAppId,
      appSecret: 'nope',
    });
    const outcome = await wrong.reply('om_e', 'x', 'uuid-e');
    await wrong.close();
    expect(outcome).toMatchObject({ class: 'auth', errCode: 10014 });
    expect(outcome.errMsg).toBe('Lark tenant_access_token refused: app secret invalid');
    expect(sim.larkReplies().filter((r) => r.message_id === 'om_e')).toEqual([]);
  });

  it('a malformed reply is a permanent outcome with Lark code and message', async () => {
    const outcome = await lark.call({ ...larkReplyCall('om_f', 'x'), body: { msg_type: 'text' } });
    expect(outcome).toMatchObject({ class: 'permanent', errCode: 230001 });
  });

  it('an unreachable Lark is a transient outcome', async () => {
    const down = new LarkClient({
      baseUrl: 'http://127.0.0.1:1',
      appId: 'a',
      appSecret: 'b',
      timeoutMs: 2000,
    });
    const outcome = await down.reply('om_g', 'x', 'uuid-g');
    await down.close();
    expect(outcome.class).toBe('transient');
    expect(outcome.networkError).toBeDefined();
  });
});

describe('routing caller', () => {
  const recording = (name: string, calls: string[]): ApiCaller => ({
    call: async (call): Promise<ApiOutcome> => {
      calls.push(`${name} ${call.operation}`);
      return { class: 'ok', durationMs: 0 };
    },
    dropToken: () => calls.push(`${name} drop`),
    tokenKey: async () => `${name}-token`,
  });

  it('sends lark.* to Lark, http.* to the http caller, the rest to the Open API', async () => {
    const calls: string[] = [];
    const caller = createRoutingCaller({
      openApi: recording('openapi', calls),
      lark: recording('lark', calls),
      http: recording('http', calls),
    });
    await caller.call(larkReplyCall('om', 'x'));
    await caller.call({
      operation: 'http.request',
      method: 'POST',
      path: 'https://ci.example/hook',
      write: true,
    });
    await caller.call({ operation: 'comment.create', method: 'POST', path: '/open_api/x', write: true });
    caller.dropToken();
    expect(calls).toEqual([
      'lark lark.reply',
      'http http.request',
      'openapi comment.create',
      'openapi drop',
      'lark drop',
      'http drop',
    ]);
    expect(await caller.tokenKey()).toBe('openapi-token');
  });

  it('answers a permanent outcome naming what to configure when a destination is missing', async () => {
    const caller = createRoutingCaller({ openApi: recording('openapi', []) });
    expect(await caller.call(larkReplyCall('om', 'x'))).toEqual({
      class: 'permanent',
      errMsg: 'no Lark chat bot is configured: set LARK_APP_ID and LARK_APP_SECRET (and LARK_BASE_URL)',
      durationMs: 0,
    });
    const http = await caller.call({
      operation: 'http.request',
      method: 'GET',
      path: 'https://x',
      write: false,
    });
    expect(http).toMatchObject({
      class: 'permanent',
      errMsg: expect.stringMatching(/outbound http calls are not available/),
    });
  });

  it('budgets Lark replies and http calls in the limiter, and the rest by the catalogue', () => {
    expect(outboundRateLimit('lark.reply')).toEqual({
      key: 'POST /open-apis/im/v1/messages/:message_id/reply',
      cls: { qps: 50, qpm: 1000 },
    });
    expect(outboundRateLimit('http.request').cls).toEqual({ qps: 10 });
    expect(outboundRateLimit('workItem.searchByParams').cls).toEqual({ qps: 15, qpm: 450 });
  });
});
