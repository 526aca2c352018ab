import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ACTION_NAMES, buildCalls, resolveDeferred, type ReadApi } from '../../src/actions/catalogue.ts';
import { isAutopilotError } from '../../src/errors.ts';
import { stringifyJson } from '../../src/openapi/json.ts';
import type { ApiCall } from '../../src/plan/run.ts';
import { buildEvent } from '../support/match-builders.ts';

const event = buildEvent();
const ctx = { event };
const ITEM = '/open_api/space1/work_item/story/6437110001';

/** The call as it goes on the wire: the body through the lossless serializer. */
function wire(call: ApiCall | undefined): Omit<ApiCall, 'body'> & { body?: unknown } {
  if (call === undefined) throw new Error('no call');
  const { body, ...rest } = call;
  return body === undefined ? rest : { ...rest, body: JSON.parse(stringifyJson(body)) as unknown };
}

function calls(
  type: string,
  params: Record<string, unknown>,
  context: Parameters<typeof buildCalls>[1] = ctx,
) {
  const built = buildCalls({ type, params }, context);
  if (!('calls' in built)) throw new Error(`deferred: ${built.deferred}`);
  return built.calls.map(wire);
}

function ruleErrorOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isAutopilotError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('action catalogue', () => {
  it('covers every action of docs/design/action-params.md', () => {
    const doc = readFileSync(new URL('../../docs/design/action-params.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect([...ACTION_NAMES].sort()).toEqual(documented.sort());
  });

  it('comment → comment.create {content}', () => {
    expect(calls('comment', { text: '测试评论' })).toEqual([
      {
        operation: 'comment.create',
        method: 'POST',
        path: `${ITEM}/comment/create`,
        write: true,
        body: { content: '测试评论' },
      },
    ]);
  });

  it('update_fields → workItem.update {update_fields} in the write formats', () => {
    const [call] = calls('update_fields', {
      fields: {
        priority: '0',
        field_184c63: 1646409600000,
        severity: 'high',
        watchers: 'u1',
        description: '2333',
      },
    });
    expect(call).toEqual({
      operation: 'workItem.update',
      method: 'PUT',
      path: ITEM,
      write: true,
      body: {
        update_fields: [
          { field_key: 'priority', field_value: { value: '0' } },
          { field_key: 'field_184c63', field_value: 1646409600000 },
          { field_alias: 'severity', field_value: 'high' },
          { field_key: 'watchers', field_value: ['u1'] },
          { field_key: 'description', field_value: '2333' },
        ],
      },
    });
  });

  it('update_fields uses field meta for aliases and option types', () => {
    const fieldMeta = [
      { field_key: 'field_a1', field_alias: 'severity', field_type_key: 'select' },
      { field_key: 'field_tags', field_alias: 'tags', field_type_key: 'multi_select' },
    ];
    const [call] = calls(
      'update_fields',
      { fields: { severity: 'high', tags: ['ui', 'db'] } },
      { event, fieldMeta },
    );
    expect(call?.body).toEqual({
      update_fields: [
        { field_key: 'field_a1', field_value: { value: 'high' } },
        { field_key: 'field_tags', field_value: [{ value: 'ui' }, { value: 'db' }] },
      ],
    });
  });

  it('complete_node → workflow.nodeOperate {action: confirm, fields, node_owners}', () => {
    expect(
      calls('complete_node', { node: 'doing', fields: { field_658c22: '23333' }, owners: ['u1'] }),
    ).toEqual([
      {
        operation: 'workflow.nodeOperate',
        method: 'POST',
        path: '/open_api/space1/workflow/story/6437110001/node/doing/operate',
        write: true,
        body: {
          action: 'confirm',
          fields: [{ field_key: 'field_658c22', field_value: '23333' }],
          node_owners: ['u1'],
        },
      },
    ]);
  });

  it('rollback_node → workflow.nodeOperate {action: rollback, rollback_reason}', () => {
    expect(calls('rollback_node', { node: 'start', reason: '任务回滚' })[0]?.body).toEqual({
      action: 'rollback',
      rollback_reason: '任务回滚',
    });
  });

  it('bind → relation.batchBind {relation_rule_id, instances}', () => {
    const [call] = calls('bind', {
      relation_rule: 'rule_1',
      work_items: [{ project: 'remote_space', type: 'story', id: '6437110002' }, '6437110003'],
    });
    expect(call).toEqual({
      operation: 'relation.batchBind',
      method: 'POST',
      path: '/open_api/space1/relation/story/6437110001/batch_bind',
      write: true,
      body: {
        relation_rule_id: 'rule_1',
        instances: [
          {
            project_key: 'remote_space',
            work_item_type_key: 'story',
            work_item_id: 6437110002,
            chat_group_merge: 0,
          },
          {
            project_key: 'space1',
            work_item_type_key: 'story',
            work_item_id: 6437110003,
            chat_group_merge: 0,
          },
        ],
      },
    });
  });

  it('unbind → relation.unbind, a DELETE with a body', () => {
    expect(calls('unbind', { relation_rule: 'rule_1', work_item: '6437110002' })).toEqual([
      {
        operation: 'relation.unbind',
        method: 'DELETE',
        path: '/open_api/space1/relation/story/6437110001',
        write: true,
        body: { relation_rule_id: 'rule_1', relation_work_item_id: 6437110002 },
      },
    ]);
  });

  it('create_work_item → workItem.create with field_value_pairs and role_owners', () => {
    const [call] = calls('create_work_item', {
      type: 'story',
      name: '2333',
      template_id: '123123',
      fields: { description: '2333', priority: '0' },
      roles: { rd: ['testuser'] },
    });
    expect(call).toEqual({
      operation: 'workItem.create',
      method: 'POST',
      path: '/open_api/space1/work_item/create',
      write: true,
      body: {
        work_item_type_key: 'story',
        name: '2333',
        template_id: 123123,
        field_value_pairs: [
          { field_key: 'description', field_value: '2333' },
          { field_key: 'priority', field_value: { value: '0' } },
          { field_key: 'role_owners', field_value: [{ role: 'rd', owners: ['testuser'] }] },
        ],
      },
    });
    expect(calls('create_work_item', { project: 'other', type: 'issue', name: 'x' })[0]?.path).toBe(
      '/open_api/other/work_item/create',
    );
  });

  it('create_subtask → subtask.create {node_id, name, assignee, note}', () => {
    expect(calls('create_subtask', { node: 'doing', name: '写单测', assignees: ['u1'], note: 'n' })).toEqual([
      {
        operation: 'subtask.create',
        method: 'POST',
        path: `${ITEM}/workflow/task`,
        write: true,
        body: { node_id: 'doing', name: '写单测', assignee: ['u1'], note: 'n' },
      },
    ]);
  });

  it('complete_subtask → subtask.modify {node_id, task_id, action: confirm}', () => {
    expect(calls('complete_subtask', { node: 'doing', task_id: '6432700001' })).toEqual([
      {
        operation: 'subtask.modify',
        method: 'POST',
        path: `${ITEM}/subtask/modify`,
        write: true,
        body: { node_id: 'doing', task_id: 6432700001, action: 'confirm' },
      },
    ]);
  });

  it('abort and restore → workItem.abort {is_aborted, reason, reason_option}', () => {
    expect(calls('abort', { reason: '测试', reason_option: 'test' })).toEqual([
      {
        operation: 'workItem.abort',
        method: 'PUT',
        path: `${ITEM}/abort`,
        write: true,
        body: { is_aborted: true, reason: '测试', reason_option: 'test' },
      },
    ]);
    expect(calls('restore', { reason: 'back' })[0]?.body).toEqual({
      is_aborted: false,
      reason: 'back',
      reason_option: 'other',
    });
  });

  it('acts on a target instead of the event work item when told', () => {
    const [call] = calls('comment', { text: 'x', target: { project: 'p2', type: 'issue', id: '99' } });
    expect(call?.path).toBe('/open_api/p2/work_item/issue/99/comment/create');
    const bare = { event: buildEvent({ projectKey: undefined, workItem: undefined }) };
    expect(ruleErrorOf(() => buildCalls({ type: 'comment', params: { text: 'x' } }, bare))).toBe(
      'AP_RULE_INVALID',
    );
  });

  it('reply → the Lark IM reply to the command message', () => {
    const command = { name: 'move', args: {}, chatId: 'oc_1', messageId: 'om_123', sender: 'u1' };
    const chat = { event: buildEvent({ source: 'chat', type: 'chat.command', command }) };
    expect(calls('reply', { text: 'Moved 42 to done' }, chat)).toEqual([
      {
        operation: 'lark.reply',
        method: 'POST',
        path: '/open-apis/im/v1/messages/om_123/reply',
        write: true,
        body: { msg_type: 'text', content: '{"text":"Moved 42 to done"}' },
      },
    ]);
    expect(ruleErrorOf(() => buildCalls({ type: 'reply', params: { text: 'x' } }, ctx))).toBe(
      'AP_RULE_INVALID',
    );
  });

  it('http → an outbound request description', () => {
    expect(
      calls('http', { url: 'https://hooks.example.test/x', headers: { 'X-Token': 't' }, body: { a: 1 } }),
    ).toEqual([
      {
        operation: 'http.request',
        method: 'POST',
        path: 'https://hooks.example.test/x',
        headers: { 'X-Token': 't' },
        write: true,
        body: { a: 1 },
      },
    ]);
    expect(ruleErrorOf(() => buildCalls({ type: 'http', params: { url: 'ftp://x' } }, ctx))).toBe(
      'AP_RULE_INVALID',
    );
    expect(
      ruleErrorOf(() =>
        buildCalls({ type: 'http', params: { url: 'https://x.test', method: 'TRACE' } }, ctx),
      ),
    ).toBe('AP_RULE_INVALID');
  });

  it('api → any catalogued operation, path params defaulting to the event', () => {
    expect(calls('api', { operation: 'comment.list', query: { page_size: 10 } })).toEqual([
      {
        operation: 'comment.list',
        method: 'GET',
        path: `${ITEM}/comments`,
        query: { page_size: '10' },
        write: false,
      },
    ]);
    expect(
      calls('api', { operation: 'workItem.freeze', body: { is_frozen: true }, write: false })[0]?.write,
    ).toBe(false);
    expect(ruleErrorOf(() => buildCalls({ type: 'api', params: { operation: 'nope.nope' } }, ctx))).toBe(
      'AP_RULE_INVALID',
    );
  });

  it('refuses unknown actions and missing required params with rule errors', () => {
    expect(ruleErrorOf(() => buildCalls({ type: 'explode', params: {} }, ctx))).toBe('AP_RULE_INVALID');
    expect(ruleErrorOf(() => buildCalls({ type: 'comment', params: {} }, ctx))).toBe('AP_RULE_INVALID');
    expect(ruleErrorOf(() => buildCalls({ type: 'rollback_node', params: { node: 'x' } }, ctx))).toBe(
      'AP_RULE_INVALID',
    );
    expect(ruleErrorOf(() => buildCalls({ type: 'update_fields', params: { fields: {} } }, ctx))).toBe(
      'AP_RULE_INVALID',
    );
    expect(ruleErrorOf(() => buildCalls({ type: 'assign', params: { role: 'PM', users: [1] } }, ctx))).toBe(
      'AP_RULE_INVALID',
    );
    expect(
      ruleErrorOf(() => buildCalls({ type: 'bind', params: { relation_rule: 'r', work_items: [] } }, ctx)),
    ).toBe('AP_RULE_INVALID');
  });

  it('takes rendered params as data: text that looks like a template is sent as it is', () => {
    const built = buildCalls({ type: 'comment', params: { text: 'made {{steps.create.id}} {{' } }, ctx);
    expect(built).toMatchObject({ calls: [{ body: { content: 'made {{steps.create.id}} {{' } }] });
  });
});

describe('deferred actions', () => {
  function reader(answers: Record<string, unknown>): { read: ReadApi; reads: ApiCall[] } {
    const reads: ApiCall[] = [];
    const read: ReadApi = async (call) => {
      reads.push(call);
      if (!(call.operation in answers)) throw new Error(`unexpected read ${call.operation}`);
      return answers[call.operation];
    };
    return { read, reads };
  }

  const workflow = {
    state_flow_nodes: [
      { id: 'open', name: '待处理', status: 3 },
      { id: 'in_progress', name: '处理中', status: 2 },
    ],
    connections: [
      { source_state_key: 'open', target_state_key: 'in_progress', transition_id: '12345' },
      { source_state_key: 'in_progress', target_state_key: 'resolved', transition_id: '9223372036854775807' },
    ],
  };

  it('transition reads the workflow and sends the transition id from the current state, exactly', async () => {
    expect(buildCalls({ type: 'transition', params: { to: 'resolved' } }, ctx)).toHaveProperty('deferred');
    const { read, reads } = reader({ 'workflow.query': workflow });
    const action = {
      type: 'transition',
      params: { to: 'resolved', fields: { field_658c22: '23333' }, roles: { PM: [] } },
    };
    const [call, ...rest] = await resolveDeferred(action, ctx, read);
    expect(rest).toEqual([]);
    expect(wire(reads[0])).toEqual({
      operation: 'workflow.query',
      method: 'POST',
      path: `${ITEM}/workflow/query`,
      write: false,
      body: { flow_type: 1 },
    });
    expect(call?.path).toBe('/open_api/space1/workflow/story/6437110001/node/state_change');
    expect(stringifyJson(call?.body)).toBe(
      '{"transition_id":9223372036854775807,"fields":[{"field_key":"field_658c22","field_value":"23333"}],"role_owners":[{"role":"PM","owners":[]}]}',
    );
  });

  it('transition to the current state writes nothing; an impossible one is a permanent error', async () => {
    const { read } = reader({ 'workflow.query': workflow });
    expect(await resolveDeferred({ type: 'transition', params: { to: 'in_progress' } }, ctx, read)).toEqual(
      [],
    );
    await expect(
      resolveDeferred({ type: 'transition', params: { to: 'open' } }, ctx, read),
    ).rejects.toMatchObject({
      code: 'AP_API_PERMANENT',
    });
  });

  it('assign reads the current roles and rewrites them whole (replace and add)', async () => {
    const item = [
      {
        id: '6437110001',
        fields: [
          {
            field_key: 'role_owners',
            field_value: [
              { role: 'PM', owners: ['u1'] },
              { role: 'rd', owners: ['u2'] },
            ],
          },
        ],
      },
    ];
    const { read, reads } = reader({ 'workItem.query': item });
    const replaced = await resolveDeferred(
      { type: 'assign', params: { role: 'rd', users: ['u3'] } },
      ctx,
      read,
    );
    expect(wire(reads[0])).toEqual({
      operation: 'workItem.query',
      method: 'POST',
      path: '/open_api/space1/work_item/story/query',
      write: false,
      body: { work_item_ids: [6437110001], fields: ['role_owners'] },
    });
    expect(wire(replaced[0])).toEqual({
      operation: 'workItem.update',
      method: 'PUT',
      path: ITEM,
      write: true,
      body: {
        update_fields: [
          {
            field_key: 'role_owners',
            field_value: [
              { role: 'PM', owners: ['u1'] },
              { role: 'rd', owners: ['u3'] },
            ],
          },
        ],
      },
    });
    const added = await resolveDeferred(
      { type: 'assign', params: { role: 'rd', users: 'u3', mode: 'add' } },
      ctx,
      read,
    );
    expect(wire(added[0])?.body).toEqual({
      update_fields: [
        {
          field_key: 'role_owners',
          field_value: [
            { role: 'PM', owners: ['u1'] },
            { role: 'rd', owners: ['u2', 'u3'] },
          ],
        },
      ],
    });
    const newRole = await resolveDeferred(
      { type: 'assign', params: { role: 'qa', users: ['u9'] } },
      ctx,
      read,
    );
    expect(wire(newRole[0])?.body).toMatchObject({
      update_fields: [{ field_value: [{ role: 'PM' }, { role: 'rd' }, { role: 'qa', owners: ['u9'] }] }],
    });
  });

  it('resolves an action from its rendered params, never rendering them again', async () => {
    const { read } = reader({});
    const ready = await resolveDeferred({ type: 'comment', params: { text: 'made 77' } }, ctx, read);
    expect(ready[0]?.operation).toBe('comment.create');
    const literal = await resolveDeferred({ type: 'comment', params: { text: '{{steps.a.id}}' } }, ctx, read);
    expect(literal[0]?.body).toEqual({ content: '{{steps.a.id}}' });
  });
});
