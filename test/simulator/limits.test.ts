import { afterEach, describe, expect, it } from 'vitest';
import { STORY_AT_START, startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const filter = { work_item_type_keys: ['story'] };

describe('rate limits', () => {
  it('lets at most 15 of 40 calls within one second through, the rest get HTTP 429 / 10429', async () => {
    api = await startApi();
    const answers = [];
    for (let i = 0; i < 40; i += 1) {
      answers.push(await api.call('GET', '/open_api/demo/work_item/all-types'));
      api.clock.advance(20); // 40 calls spread over 800 ms
    }
    const ok = answers.filter((a) => a.json.err_code === 0);
    const limited = answers.filter((a) => a.json.err_code === 10429);
    expect(ok).toHaveLength(15);
    expect(limited).toHaveLength(25);
    expect(limited[0]?.status).toBe(429);
    expect(limited[0]?.json.err_msg).toBe('API Request Frequency Limit');
  });

  it('slides: a call is allowed again once the oldest one leaves the 1 s window', async () => {
    api = await startApi();
    for (let i = 0; i < 15; i += 1) await api.call('GET', '/open_api/demo/work_item/all-types');
    expect((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code).toBe(10429);
    api.clock.advance(999);
    expect((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code).toBe(10429);
    api.clock.advance(1);
    expect((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code).toBe(0);
  });

  it('budgets each endpoint separately', async () => {
    api = await startApi();
    for (let i = 0; i < 15; i += 1) await api.call('GET', '/open_api/demo/work_item/all-types');
    expect((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code).toBe(10429);
    expect((await api.call('POST', '/open_api/demo/field/all', {})).json.err_code).toBe(0);
  });

  it('caps filter at 450 per minute on top of 15 per second', async () => {
    api = await startApi();
    for (let i = 0; i < 450; i += 1) {
      const answer = await api.call('POST', '/open_api/demo/work_item/filter', filter);
      expect(answer.json.err_code).toBe(0);
      api.clock.advance(100); // 10/s: under the per-second limit
    }
    expect((await api.call('POST', '/open_api/demo/work_item/filter', filter)).json.err_code).toBe(10429);
    api.clock.advance(15_000);
    expect((await api.call('POST', '/open_api/demo/work_item/filter', filter)).json.err_code).toBe(0);
  });

  it('limits search_by_relation to 10 per second', async () => {
    api = await startApi();
    const body = { relation_work_item_type_key: 'issue', relation_key: '_field_linked_story' };
    const codes = [];
    for (let i = 0; i < 12; i += 1) {
      codes.push(
        (await api.call('POST', '/open_api/demo/work_item/story/6437110001/search_by_relation', body)).json
          .err_code,
      );
    }
    expect(codes.filter((c) => c === 0)).toHaveLength(10);
  });
});

describe('X-IDEM-UUID', () => {
  const path = `/open_api/demo/work_item/story/${STORY_AT_START}/comment/create`;

  it('answers 10430 when a key is reused on the same endpoint with the same token, and applies the write once', async () => {
    api = await startApi();
    const headers = { 'x-idem-uuid': 'idem-1' };
    expect((await api.call('POST', path, { content: 'once' }, headers)).json.err_code).toBe(0);
    const again = await api.call('POST', path, { content: 'once' }, headers);
    expect(again.status).toBe(429);
    expect(again.json).toMatchObject({ err_code: 10430, err_msg: 'API Request Idempotent Limit' });
    expect(api.sim.state.comments.filter((c) => c.content === 'once')).toHaveLength(1);
    expect(api.sim.effects().by_key).toEqual({ 'idem-1': 1 });
  });

  it('scopes keys per endpoint and does not burn a key on a failed write', async () => {
    api = await startApi();
    const headers = { 'x-idem-uuid': 'idem-2' };
    expect((await api.call('POST', path, {}, headers)).json.err_code).toBe(20005);
    expect((await api.call('POST', path, { content: 'ok' }, headers)).json.err_code).toBe(0);
    const update = await api.call(
      'PUT',
      `/open_api/demo/work_item/story/${STORY_AT_START}`,
      { update_fields: [{ field_key: 'priority', field_value: { value: 'P0' } }] },
      headers,
    );
    expect(update.json.err_code).toBe(0);
  });
});
