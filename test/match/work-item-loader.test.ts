import { describe, expect, it } from 'vitest';
import { stringifyJson } from '../../src/openapi/json.ts';
import type { ApiCall } from '../../src/plan/run.ts';
import { createWorkItemLoader, workItemProviderFor } from '../../src/match/work-item-loader.ts';
import { buildEvent, rawWorkItem } from '../support/match-builders.ts';

function fakeApi(fail = false) {
  const calls: ApiCall[] = [];
  const read = async (call: ApiCall) => {
    calls.push(call);
    if (fail) throw new Error('socket hang up');
    const ids = (JSON.parse(stringifyJson(call.body)) as { work_item_ids: number[] }).work_item_ids;
    return ids.filter((id) => id !== 404).map((id) => rawWorkItem({ id: String(id), name: `item ${id}` }));
  };
  return { calls, read };
}

describe('createWorkItemLoader', () => {
  it('batches requests of one tick into one workItem.query per space and type', async () => {
    const api = fakeApi();
    const load = createWorkItemLoader(api.read);
    const items = await Promise.all([
      load({ project: 's1', type: 'story', id: '1' }),
      load({ project: 's1', type: 'story', id: '2' }),
      load({ project: 's1', type: 'story', id: '1' }),
      load({ project: 's1', type: 'issue', id: '3' }),
      load({ project: 's1', type: 'story', id: '404' }),
    ]);
    expect(items.map((i) => i?.name)).toEqual(['item 1', 'item 2', 'item 1', 'item 3', undefined]);
    expect(api.calls.map((c) => [c.operation, c.method, c.path, stringifyJson(c.body)])).toEqual([
      ['workItem.query', 'POST', '/open_api/s1/work_item/story/query', '{"work_item_ids":[1,2,404]}'],
      ['workItem.query', 'POST', '/open_api/s1/work_item/issue/query', '{"work_item_ids":[3]}'],
    ]);
  });

  it('never asks for more than 50 ids at once', async () => {
    const api = fakeApi();
    const load = createWorkItemLoader(api.read);
    await Promise.all(
      Array.from({ length: 120 }, (_, i) => load({ project: 's', type: 't', id: String(i + 1) })),
    );
    expect(api.calls.map((c) => (c.body as { work_item_ids: unknown[] }).work_item_ids.length)).toEqual([
      50, 50, 20,
    ]);
  });

  it('rejects every waiter of a failed batch', async () => {
    const load = createWorkItemLoader(fakeApi(true).read);
    await expect(load({ project: 's', type: 't', id: '1' })).rejects.toThrow('socket hang up');
  });

  it('gives a provider only for events that carry a work item', async () => {
    const api = fakeApi();
    const load = createWorkItemLoader(api.read);
    const provider = workItemProviderFor(buildEvent(), load);
    expect((await provider?.())?.id).toBe('6437110001');
    expect(workItemProviderFor(buildEvent({ workItem: undefined }), load)).toBeUndefined();
  });
});
