import { afterEach, describe, expect, it } from 'vitest';
import {
  ISSUE_IN_PROGRESS,
  ISSUE_OPEN,
  PK,
  STORY,
  STORY_AT_START,
  STORY_AT_TESTING,
  startApi,
  type Api,
} from './helpers.ts';

let api: Api;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const operate = (id: number, node: string, body: unknown) =>
  api.call('POST', `/open_api/demo/workflow/story/${id}/node/${node}/operate`, body);
const stateChange = (id: number, body: unknown) =>
  api.call('POST', `/open_api/demo/workflow/issue/${id}/node/state_change`, body);

describe('node flow', () => {
  it('confirms the node in progress and reaches the next one', async () => {
    api = await startApi();
    expect((await operate(STORY_AT_START, 'start', { action: 'confirm' })).json.err_code).toBe(0);
    const flow = await api.call(
      'POST',
      `/open_api/demo/work_item/story/${STORY_AT_START}/workflow/query`,
      {},
    );
    const nodes = (
      flow.json.data as { workflow_nodes: { id: string; status: number; actual_finish_time: string }[] }
    ).workflow_nodes;
    expect(nodes.map((n) => [n.id, n.status])).toEqual([
      ['start', 3],
      ['doing', 2],
      ['testing', 1],
      ['end', 1],
    ]);
    expect(nodes[0]?.actual_finish_time).toMatch(/Z$/);
    expect(api.sim.tenant.itemById(STORY_AT_START)?.status.state_key).toBe('doing');
  });

  it('answers 20016 (not reached), 20017 (completed), 20018 (unknown node)', async () => {
    api = await startApi();
    expect((await operate(STORY_AT_START, 'testing', { action: 'confirm' })).json.err_code).toBe(20016);
    expect((await operate(STORY, 'start', { action: 'confirm' })).json.err_code).toBe(20017);
    expect((await operate(STORY, 'nope', { action: 'confirm' })).json.err_code).toBe(20018);
  });

  it('answers 20038 naming the missing required field, then 50006 for the open subtask, then completes', async () => {
    api = await startApi();
    const missing = await operate(STORY, 'doing', { action: 'confirm' });
    expect(missing.json).toMatchObject({
      err_code: 20038,
      err_msg: 'Required Field Is Not Set',
      err: { msg: 'Development(field_test_plan) Required' },
    });
    const fields = [{ field_key: 'field_test_plan', field_value: 'https://example.com/plan' }];
    const open = await operate(STORY, 'doing', { action: 'confirm', fields });
    expect(open.json.err_code).toBe(50006);
    expect(open.json.err?.msg).toContain('Write unit tests');
    const task = api.sim.state.subtasks.find((t) => t.work_item_id === STORY && !t.passed);
    await api.call('POST', `/open_api/demo/work_item/story/${STORY}/subtask/modify`, {
      node_id: 'doing',
      task_id: task?.id,
      action: 'confirm',
    });
    expect((await operate(STORY, 'doing', { action: 'confirm', fields })).json.err_code).toBe(0);
    expect(api.sim.tenant.itemById(STORY)?.fields.field_test_plan).toBe('https://example.com/plan');
  });

  it('rolls back to a completed node (20005 without reason, 20037 to an open node)', async () => {
    api = await startApi();
    expect((await operate(STORY_AT_TESTING, 'start', { action: 'rollback' })).json.err_code).toBe(20005);
    expect(
      (await operate(STORY_AT_TESTING, 'end', { action: 'rollback', rollback_reason: 'x' })).json.err_code,
    ).toBe(20037);
    expect(
      (await operate(STORY_AT_TESTING, 'doing', { action: 'rollback', rollback_reason: 'bug found' })).json
        .err_code,
    ).toBe(0);
    const item = api.sim.tenant.itemById(STORY_AT_TESTING);
    expect(item?.nodes.map((n) => n.status)).toEqual([3, 2, 1, 1]);
    expect(item?.status.state_key).toBe('doing');
  });

  it('validates action (20005 missing, 20006 unknown) and refuses state-flow items (20026)', async () => {
    api = await startApi();
    expect((await operate(STORY, 'doing', {})).json.err_code).toBe(20005);
    expect((await operate(STORY, 'doing', { action: 'finish' })).json.err_code).toBe(20006);
    const onIssue = await api.call('POST', `/open_api/demo/workflow/issue/${ISSUE_OPEN}/node/open/operate`, {
      action: 'confirm',
    });
    expect(onIssue.json.err_code).toBe(20026);
  });

  it('updates node owners and schedule', async () => {
    api = await startApi();
    const path = `/open_api/demo/workflow/story/${STORY}/node/doing`;
    const body = {
      node_owners: ['7400000000000000004'],
      node_schedule: { estimate_start_date: 1763000000000, points: 2 },
    };
    expect((await api.call('PUT', path, body)).json.err_code).toBe(0);
    expect(api.sim.tenant.itemById(STORY)?.nodes[1]?.owners).toEqual(['7400000000000000004']);
    expect((await api.call('PUT', path, { node_owners: ['nobody'] })).json.err_code).toBe(20006);
  });
});

describe('state flow', () => {
  it('lists transitions with transition_id and moves through them', async () => {
    api = await startApi();
    const flow = await api.call('POST', `/open_api/demo/work_item/issue/${ISSUE_OPEN}/workflow/query`, {
      flow_type: 1,
    });
    const connections = (
      flow.json.data as {
        connections: { source_state_key: string; target_state_key: string; transition_id: number }[];
      }
    ).connections;
    const toProgress = connections.find(
      (c) => c.source_state_key === 'open' && c.target_state_key === 'in_progress',
    );
    expect((await stateChange(ISSUE_OPEN, { transition_id: toProgress?.transition_id })).json.err_code).toBe(
      0,
    );
    expect(api.sim.tenant.itemById(ISSUE_OPEN)?.status.state_key).toBe('in_progress');
    expect(
      (await api.call('POST', `/open_api/demo/work_item/story/${STORY}/workflow/query`, { flow_type: 1 }))
        .json.err_code,
    ).toBe(20027);
    expect(
      (await api.call('POST', `/open_api/demo/work_item/issue/${ISSUE_OPEN}/workflow/query`, {})).json
        .err_code,
    ).toBe(20026);
  });

  it('answers 10002 for a transition not from the current state, 20005 without transition_id', async () => {
    api = await startApi();
    expect((await stateChange(ISSUE_OPEN, { transition_id: 7100003 })).json).toMatchObject({
      err_code: 10002,
      err_msg: 'Illegal Operation',
    });
    expect((await stateChange(ISSUE_OPEN, { transition_id: 12 })).json.err_code).toBe(10002);
    expect((await stateChange(ISSUE_OPEN, {})).json.err?.msg).toBe("transition_id can't be null or 0");
    expect((await stateChange(ISSUE_OPEN, { transition_id: 'x' })).json.err_code).toBe(20006);
    const onStory = await api.call('POST', `/open_api/demo/workflow/story/${STORY}/node/state_change`, {
      transition_id: 7100001,
    });
    expect(onStory.json.err_code).toBe(20027);
  });

  it('answers 20038 for a required transition field, and accepts it given in the call', async () => {
    api = await startApi();
    const missing = await stateChange(ISSUE_IN_PROGRESS, { transition_id: 7100002 });
    expect(missing.json).toMatchObject({
      err_code: 20038,
      err: { msg: 'Resolved(field_resolution) Required' },
    });
    const info = await api.call('POST', '/open_api/work_item/transition_required_info/get', {
      project_key: 'demo',
      work_item_id: ISSUE_IN_PROGRESS,
      state_key: 'resolved',
      mode: 'unfinished',
    });
    expect(info.json.data).toMatchObject({
      form_items: [{ class: 'field', key: 'field_resolution', finished: false }],
    });
    const done = await stateChange(ISSUE_IN_PROGRESS, {
      transition_id: 7100002,
      fields: [{ field_alias: 'resolution', field_value: 'fixed' }],
    });
    expect(done.json.err_code).toBe(0);
    const item = api.sim.tenant.itemById(ISSUE_IN_PROGRESS);
    expect(item?.status.state_key).toBe('resolved');
    expect(item?.history.map((h) => h.state_key)).toEqual(['open', 'in_progress']);
  });

  it('reports required info for node completion, including subtasks', async () => {
    api = await startApi();
    const info = await api.call('POST', '/open_api/work_item/transition_required_info/get', {
      project_key: PK,
      work_item_id: STORY,
      state_key: 'doing',
    });
    const data = info.json.data as { form_items: unknown[]; tasks: { finished: boolean }[] };
    expect(data.form_items).toHaveLength(1);
    expect(data.tasks.map((t) => t.finished).sort()).toEqual([false, true]);
    const gone = await api.call('POST', '/open_api/work_item/transition_required_info/get', {
      project_key: PK,
      work_item_id: STORY,
      state_key: 'x',
    });
    expect(gone.json.err_code).toBe(50006);
  });
});
