import { afterEach, describe, expect, it } from 'vitest';
import { parseChaosSpec } from '../../src/simulator/index.ts';
import { STORY, startApi, type Api } from './helpers.ts';

/** Undefined between tests; the seed test closes its own runs. */
let api: Api;
afterEach(async () => {
  if (!api) return;
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
  api = none;
});

const commentPath = `/open_api/demo/work_item/story/${STORY}/comment/create`;
const none = undefined as unknown as Api;
const comments = () => api.sim.state.comments.filter((c) => c.work_item_id === STORY).length;

/** fetch rejects when the socket is destroyed: that is the symptom a client sees. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'answered';
  } catch (error) {
    return `network:${(error as Error).name}`;
  }
}

describe('chaos', () => {
  it('50006 answers HTTP 500 with the transient inner message and applies nothing', async () => {
    api = await startApi({ chaos: { error50006: 1 } });
    const answer = await api.call('POST', commentPath, { content: 'x' });
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({
      err_code: 50006,
      err: { msg: 'openapi system err, please try again later' },
    });
    expect(comments()).toBe(1);
    expect(api.sim.requests({ route: 'comment.create' })[0]?.outcome).toBe('error50006');
  });

  it('5xx answers an HTML gateway page', async () => {
    api = await startApi({ chaos: { http5xx: 1 } });
    const answer = await api.call('POST', commentPath, { content: 'x' });
    expect(answer.status).toBe(502);
    expect(answer.text).toContain('<html>');
    expect(comments()).toBe(1);
  });

  it('reset drops the connection before anything is applied', async () => {
    api = await startApi({ chaos: { reset: 1 } });
    expect(await outcome(api.call('POST', commentPath, { content: 'x' }))).toBe('network:TypeError');
    expect(comments()).toBe(1);
    expect(api.sim.requests({ route: 'comment.create' })[0]?.outcome).toBe('reset');
  });

  it('lost response applies the write, then the retry with the same X-IDEM-UUID gets 10430', async () => {
    api = await startApi();
    api.sim.setChaos({ lostResponse: 1 });
    const headers = { 'x-idem-uuid': 'lost-1' };
    expect(await outcome(api.call('POST', commentPath, { content: 'applied' }, headers))).toBe(
      'network:TypeError',
    );
    expect(comments()).toBe(2);
    api.sim.setChaos({});
    const retry = await api.call('POST', commentPath, { content: 'applied' }, headers);
    expect(retry.json.err_code).toBe(10430);
    expect(comments()).toBe(2);
    expect(api.sim.effects().by_key).toEqual({ 'lost-1': 1 });
    expect(api.sim.requests({ outcome: 'lost' })).toHaveLength(1);
  });

  it('never loses responses of reads', async () => {
    api = await startApi({ chaos: { lostResponse: 1 } });
    expect((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code).toBe(0);
  });

  it('adds latency', async () => {
    api = await startApi({ chaos: { latencyMs: 30 } });
    const started = performance.now();
    await api.call('GET', '/open_api/demo/work_item/all-types');
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('is reproducible with a seed', async () => {
    const run = async () => {
      api = await startApi({ chaos: { error50006: 0.5, seed: 42 } });
      const codes = [];
      for (let i = 0; i < 20; i += 1)
        codes.push((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code);
      await api.sim.close();
      api = none;
      return codes;
    };
    const first = await run();
    const second = await run();
    expect(first).toEqual(second);
    expect(first).toContain(0);
    expect(first).toContain(50006);
  });

  it('is steered at run time through POST /_sim/chaos and rejects bad values', async () => {
    api = await startApi();
    const set = await api.raw('POST', '/_sim/chaos', JSON.stringify({ error50006: 1 }), {
      'content-type': 'application/json',
    });
    expect(set.json).toEqual({ error50006: 1 });
    expect((await api.call('GET', '/open_api/demo/work_item/all-types')).json.err_code).toBe(50006);
    const bad = await api.raw('POST', '/_sim/chaos', JSON.stringify({ reset: 2 }), {
      'content-type': 'application/json',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('probability');
  });

  it('parses the CLI spec and names unknown keys', () => {
    expect(parseChaosSpec('50006=0.1,5xx=0.2,reset=0.01,lost=0.05,latency=200,seed=7')).toEqual({
      error50006: 0.1,
      http5xx: 0.2,
      reset: 0.01,
      lostResponse: 0.05,
      latencyMs: 200,
      seed: 7,
    });
    expect(() => parseChaosSpec('boom=1')).toThrow(/unknown chaos key 'boom'/);
    expect(() => parseChaosSpec('reset=lots')).toThrow(/needs a number/);
  });
});
