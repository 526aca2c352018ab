import { afterEach, describe, expect, it } from 'vitest';
import { ISSUE_OPEN, STORY, STORY_AT_START, startApi, type Api } from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const itemPath = (id: number) => `/open_api/demo/work_item/story/${id}`;
const ALICE = '7400000000000000002';

describe('comments', () => {
  it('creates comments with 19-digit ids sent as unquoted JSON numbers', async () => {
    api = await startApi();
    const created = await api.call('POST', `${itemPath(STORY)}/comment/create`, { content: 'hello' });
    expect(created.text).toMatch(/"data":\d{19}}$/);
    const id = /"data":(\d{19})/.exec(created.text)?.[1] ?? '';
    expect(Number(id)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    const list = await api.call('GET', `${itemPath(STORY)}/comments?page_size=10&page_num=1`);
    expect(list.text).toContain(`"id":${id},`);
    expect(list.json.pagination).toEqual({ page_num: 1, page_size: 10, total: 2 });
    const rich = await api.call('POST', `${itemPath(STORY)}/comment/create`, {
      rich_text: [{ type: 'paragraph', content: [{ type: 'text', text: 'bold' }] }],
    });
    expect(rich.json.err_code).toBe(0);
    expect(api.sim.state.comments.at(-1)?.content).toBe('bold');
  });

  it('validates: 20005 without content, 20006 bad rich_text, 20002 page_size over 200', async () => {
    api = await startApi();
    expect((await api.call('POST', `${itemPath(STORY)}/comment/create`, {})).json.err_code).toBe(20005);
    expect(
      (await api.call('POST', `${itemPath(STORY)}/comment/create`, { rich_text: 'x' })).json.err_code,
    ).toBe(20006);
    expect((await api.call('GET', `${itemPath(STORY)}/comments?page_size=201`)).json.err_code).toBe(20002);
    expect((await api.call('GET', `${itemPath(STORY)}/comments?page_size=x`)).json.err_code).toBe(20006);
  });

  it('lets only the author update or delete (10001); unknown ids 30015; other items 20045', async () => {
    api = await startApi();
    const seeded = api.sim.state.comments[0]?.id ?? '';
    const asBot = await api.call('PUT', `${itemPath(STORY)}/comment/${seeded}`, { content: 'edited' });
    expect(asBot.status).toBe(403);
    expect(asBot.json.err_code).toBe(10001);
    expect(
      (await api.call('PUT', `${itemPath(STORY)}/comment/1234567890123456789`, { content: 'x' })).json
        .err_code,
    ).toBe(30015);
    const elsewhere = await api.call(
      'PUT',
      `${itemPath(STORY_AT_START)}/comment/${seeded}`,
      { content: 'x' },
      { 'x-user-key': ALICE },
    );
    expect(elsewhere.json.err_code).toBe(20045);
    expect(
      (
        await api.call(
          'PUT',
          `${itemPath(STORY)}/comment/${seeded}`,
          { content: 'edited' },
          { 'x-user-key': ALICE },
        )
      ).json.err_code,
    ).toBe(0);
    expect(api.sim.state.comments[0]?.content).toBe('edited');
    expect(
      (await api.call('DELETE', `${itemPath(STORY)}/comment/${seeded}`, undefined, { 'x-user-key': ALICE }))
        .json.err_code,
    ).toBe(0);
    expect(api.sim.state.comments).toHaveLength(0);
  });
});

describe('subtasks', () => {
  it('creates, lists, updates, completes and deletes a subtask', async () => {
    api = await startApi();
    const created = await api.call('POST', `${itemPath(STORY)}/workflow/task`, {
      node_id: 'doing',
      name: 'Load test',
      assignee: [ALICE],
    });
    const taskId = created.json.data as number;
    const list = await api.call('GET', `${itemPath(STORY)}/workflow/task?node_id=doing`);
    const [node] = list.json.data as { id: string; sub_tasks: { id: string; name: string }[] }[];
    expect(node?.sub_tasks.map((t) => t.name)).toContain('Load test');
    expect(node?.sub_tasks.find((t) => t.name === 'Load test')?.id).toBe(String(taskId));
    const update = await api.call('POST', `${itemPath(STORY)}/workflow/doing/task/${taskId}`, {
      name: 'Soak test',
      note: 'n',
    });
    expect(update.json.err_code).toBe(0);
    const modify = await api.call('POST', `${itemPath(STORY)}/subtask/modify`, {
      node_id: 'doing',
      task_id: taskId,
      action: 'confirm',
    });
    expect(modify.json.err_code).toBe(0);
    expect(api.sim.state.subtasks.find((t) => t.id === taskId)).toMatchObject({
      name: 'Soak test',
      passed: true,
    });
    const search = await api.call('POST', '/open_api/work_item/subtask/search', {
      project_keys: ['demo'],
      name: 'Soak',
    });
    expect(search.json.data).toMatchObject([
      { work_item_id: STORY, node_id: 'doing', sub_task: { name: 'Soak test', passed: true } },
    ]);
    expect((await api.call('DELETE', `${itemPath(STORY)}/task/${taskId}`)).json.err_code).toBe(0);
    expect(api.sim.state.subtasks.some((t) => t.id === taskId)).toBe(false);
  });

  it('answers 20047, 20046, 20082, 20018, 20005 and 20026 for bad subtask calls', async () => {
    api = await startApi();
    const both = await api.call('POST', `${itemPath(STORY)}/workflow/task`, {
      node_id: 'doing',
      name: 'x',
      assignee: [ALICE],
      role_assignee: [{ role: 'rd', owners: [ALICE] }],
    });
    expect(both.json.err_code).toBe(20047);
    expect(
      (await api.call('POST', `${itemPath(STORY)}/workflow/task`, { node_id: 'doing' })).json.err_code,
    ).toBe(20005);
    expect(
      (await api.call('POST', `${itemPath(STORY)}/workflow/task`, { node_id: 'nope', name: 'x' })).json
        .err_code,
    ).toBe(20018);
    expect(
      (await api.call('POST', `${itemPath(STORY)}/workflow/doing/task/1`, { name: 'x' })).json.err_code,
    ).toBe(20046);
    const task = api.sim.state.subtasks[0]?.id;
    expect(
      (
        await api.call('POST', `${itemPath(STORY)}/subtask/modify`, {
          node_id: 'doing',
          task_id: task,
          action: 'finish',
        })
      ).json.err_code,
    ).toBe(20082);
    const onIssue = await api.call('GET', `/open_api/demo/work_item/issue/${ISSUE_OPEN}/workflow/task`);
    expect(onIssue.json.err_code).toBe(20026);
  });
});
