import { describe, expect, it } from 'vitest';
import { createWorkItemLoader } from '../../src/engine/work-item-loader.ts';
import { AutopilotError } from '../../src/errors.ts';
import type { ApiCall } from '../../src/plan/run.ts';

const event = { projectKey: 'space', workItem: { id: '42', typeKey: 'story' } };
const rawItem = { id: '42', name: 'Checkout', work_item_type_key: 'story', project_key: 'space', fields: [] };
const nodeTasks = [
  {
    state_key: 'doing',
    sub_tasks: [
      { id: '1', name: 'tests', passed: true },
      { id: '2', name: 'docs', passed: false },
    ],
  },
  { state_key: 'testing', sub_tasks: [{ id: '3', name: 'explore', passed: true }] },
];

function reader(answers: Record<string, () => unknown>) {
  const calls: string[] = [];
  const read = async (call: ApiCall) => {
    calls.push(call.operation);
    const answer = answers[call.operation];
    if (!answer) throw new Error(`unexpected ${call.operation}`);
    return answer();
  };
  return { read, calls };
}

describe('work item loader', () => {
  it('reads sub-tasks only when asked, and caches field definitions', async () => {
    const { read, calls } = reader({
      'workItem.query': () => [rawItem],
      'config.fieldsAll': () => [{ field_key: 'priority', field_alias: 'prio', field_type_key: 'select' }],
      'subtask.list': () => nodeTasks,
    });
    const loader = createWorkItemLoader(read, () => 0);
    const plain = await loader.load(event);
    expect(plain?.item.subtasks).toBeUndefined();
    const withTasks = await loader.load(event, { subtasks: true });
    expect(withTasks?.item.open_subtask_nodes).toEqual(['doing']);
    expect(withTasks?.item.subtasks).toEqual([
      { id: '1', name: 'tests', node_id: 'doing', passed: true },
      { id: '2', name: 'docs', node_id: 'doing', passed: false },
      { id: '3', name: 'explore', node_id: 'testing', passed: true },
    ]);
    expect(calls.filter((c) => c === 'config.fieldsAll')).toHaveLength(1);
    expect(calls.filter((c) => c === 'subtask.list')).toHaveLength(1);
  });

  it('leaves the sub-task views out when the API refuses the list (a state-flow item)', async () => {
    const { read } = reader({
      'workItem.query': () => [rawItem],
      'config.fieldsAll': () => [],
      'subtask.list': () => {
        throw new AutopilotError('AP_API_PERMANENT', 'read subtask.list failed: 20027');
      },
    });
    const loaded = await createWorkItemLoader(read, () => 0).load(event, { subtasks: true });
    expect(loaded?.item.name).toBe('Checkout');
    expect(loaded?.item.open_subtask_nodes).toBeUndefined();
  });

  it('lets a transient failure through, so the event is matched again later', async () => {
    const { read } = reader({
      'workItem.query': () => [rawItem],
      'config.fieldsAll': () => [],
      'subtask.list': () => {
        throw new AutopilotError('AP_API_TRANSIENT', 'read subtask.list failed: 50006');
      },
    });
    await expect(createWorkItemLoader(read, () => 0).load(event, { subtasks: true })).rejects.toMatchObject({
      code: 'AP_API_TRANSIENT',
    });
  });
});

describe('batched work item reads', () => {
  it('reads work items asked for together with one query per space and type, 50 ids at most', async () => {
    const queries: string[][] = [];
    const read = async (call: ApiCall) => {
      if (call.operation === 'config.fieldsAll') return [];
      const ids = ((call.body as { work_item_ids: unknown[] }).work_item_ids ?? []).map(String);
      queries.push(ids);
      // The API leaves out ids it does not know.
      return ids.filter((id) => id !== '404').map((id) => ({ ...rawItem, id, name: `item ${id}` }));
    };
    const loader = createWorkItemLoader(read, () => 0);
    const ids = [...Array.from({ length: 60 }, (_, i) => String(1000 + i)), '404'];
    const loaded = await Promise.all(
      ids.map((id) => loader.load({ projectKey: 'space', workItem: { id, typeKey: 'story' } })),
    );
    expect(loaded.slice(0, 60).map((l) => l?.item.name)).toEqual(ids.slice(0, 60).map((id) => `item ${id}`));
    expect(loaded[60]).toBeUndefined();
    expect(queries.map((q) => q.length)).toEqual([50, 11]);
  });
});
