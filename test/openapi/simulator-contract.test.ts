/**
 * Contract: the client against the project's simulator, for every catalogued operation the
 * simulator serves. Each operation must succeed at least once with a documented request, and
 * its answer must parse into our shapes (ids as strings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, buildApiCall, type CallParts } from '../../src/openapi/catalogue.ts';
import { OpenApiClient, callWithTokenRetry } from '../../src/openapi/client.ts';
import { int64 } from '../../src/openapi/json.ts';
import { ProjectApi } from '../../src/openapi/project-api.ts';
import type { ApiCall } from '../../src/plan/run.ts';
import type { ApiCaller, ApiOutcome, CallOptions } from '../../src/openapi/types.ts';
import type { WorkItemRef } from '../../src/openapi/api-types.ts';
import { DEMO, SERVED_OPERATIONS, startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';

/** Wraps the client to remember which operations answered `ok`. */
class Recorder implements ApiCaller {
  readonly succeeded = new Set<string>();
  readonly inner: OpenApiClient;
  constructor(inner: OpenApiClient) {
    this.inner = inner;
  }
  async call(call: ApiCall, options?: CallOptions): Promise<ApiOutcome> {
    const outcome = await this.inner.call(call, options);
    if (outcome.class === 'ok') this.succeeded.add(call.operation);
    return outcome;
  }
  dropToken(): void {
    this.inner.dropToken();
  }
  tokenKey(): Promise<string> {
    return this.inner.tokenKey();
  }
}

let sim: RunningSimulator;
let client: OpenApiClient;
let recorder: Recorder;
let api: ProjectApi;
let projectKey: string;
let idem = 0;
const write = (): CallOptions => ({ idempotencyKey: `contract-${(idem += 1)}` });

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false });
  const c = sim.credentials;
  projectKey = c.projectKey;
  client = new OpenApiClient({
    baseUrl: sim.baseUrl,
    pluginId: c.pluginId,
    pluginSecret: c.pluginSecret,
    userKey: c.userKey,
  });
  recorder = new Recorder(client);
  api = new ProjectApi(recorder);
});

afterAll(async () => {
  await client.close();
  await sim.close();
});

async function ok<T extends { class: string; data?: unknown }>(promise: Promise<T>): Promise<T> {
  const outcome = await promise;
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ class: 'ok' });
  return outcome;
}

const raw = (operation: string, parts: CallParts, options?: CallOptions) =>
  ok(recorder.call(buildApiCall(operation, parts), options));

async function newItem(typeKey: 'story' | 'issue', name: string): Promise<WorkItemRef> {
  const created = await ok(api.createWorkItem(projectKey, { work_item_type_key: typeKey, name }, write()));
  expect(created.data).toMatch(/^\d+$/);
  return { projectKey, typeKey, id: created.data as string };
}

const path = (ref: WorkItemRef) => ({
  project_key: ref.projectKey,
  work_item_type_key: ref.typeKey,
  work_item_id: ref.id,
});

describe('client against the simulator', () => {
  it('reads configuration and users', async () => {
    const types = await ok(api.allTypes(projectKey));
    expect(types.data?.map((t) => t.type_key)).toEqual(expect.arrayContaining(['story', 'issue']));
    const fields = await ok(api.allFields(projectKey, 'story'));
    expect(fields.data?.find((f) => f.field_key === 'priority')?.options?.length).toBeGreaterThan(0);
    await ok(api.workItemMeta(projectKey, 'story'));
    const users = await ok(api.queryUsers({ user_keys: [sim.credentials.userKey] }));
    expect(users.data?.[0]?.user_key).toBe(sim.credentials.userKey);
    await raw('config.workItemRelations', { path: { project_key: projectKey } });
    await raw('config.workItemTypeInfo', { path: { project_key: projectKey, work_item_type_key: 'story' } });
    await raw('config.templateList', { path: { project_key: projectKey, work_item_type_key: 'story' } });
    await raw('config.templateDetail', {
      path: { project_key: projectKey, template_id: DEMO.storyTemplateId },
    });
    await raw('config.flowRoles', { path: { project_key: projectKey, work_item_type_key: 'story' } });
    await raw('config.businessAll', { path: { project_key: projectKey } });
    await raw('user.search', { body: { query: 'alice' } });
    await raw('project.list', { body: { user_key: sim.credentials.userKey } });
    await raw('project.detail', { body: { project_keys: [projectKey], user_key: sim.credentials.userKey } });
  });

  it('creates, reads, searches and updates work items', async () => {
    const ref = await newItem('story', 'Contract story');
    const query = await ok(api.queryWorkItems(projectKey, 'story', [ref.id]));
    expect(query.data?.[0]).toMatchObject({
      id: ref.id,
      name: 'Contract story',
      work_item_type_key: 'story',
    });
    const filter = await ok(
      api.filterWorkItems(projectKey, { work_item_type_keys: ['story'], page_size: 200 }),
    );
    expect(filter.data?.some((w) => w.id === ref.id)).toBe(true);
    expect(filter.pagination?.total).toBeGreaterThan(0);
    await ok(
      api.searchByParams(projectKey, 'story', {
        search_group: {
          conjunction: 'AND',
          search_params: [{ param_key: 'name', value: 'Contract', operator: '~' }],
        },
      }),
    );
    await ok(api.updateWorkItem(ref, [{ field_key: 'priority', field_value: { value: 'P0' } }], write()));
    await raw('workItem.filterAcrossProject', {
      body: { work_item_type_key: 'story', project_keys: [projectKey] },
    });
    await raw('workItem.compositiveSearch', { body: { query_type: 'workitem', query: 'Contract' } });
    await raw('subtask.search', { body: { project_keys: [projectKey] } });
    const records = await ok(api.opRecords({ project_key: projectKey, work_item_ids: [ref.id] }));
    expect(records.data?.op_records.every((r) => typeof r.work_item_id === 'string')).toBe(true);
  });

  it('comments with 19-digit ids that survive the round trip', async () => {
    const ref = await newItem('story', 'Commented');
    const created = await ok(api.createComment(ref, { content: 'first' }, write()));
    expect(created.data).toMatch(/^\d{19}$/);
    const list = await ok(api.listComments(ref, { page_num: 1, page_size: 50 }));
    expect(list.data?.map((c) => c.id)).toContain(created.data);
    const commentPath = { ...path(ref), comment_id: created.data as string };
    await raw('comment.update', { path: commentPath, body: { content: 'edited' } }, write());
    await raw('comment.delete', { path: commentPath }, write());
  });

  it('moves node-flow and state-flow items', async () => {
    const story = await newItem('story', 'Flowing');
    const flow = await ok(api.workflowQuery(story));
    const current = flow.data?.workflow_nodes?.find((n) => n.status === 2);
    expect(current).toBeDefined();
    const nodeId = current?.id ?? '';
    await ok(api.transitionRequiredInfo(story, nodeId));
    await raw(
      'workflow.nodeUpdate',
      { path: { ...path(story), node_id: nodeId }, body: { node_owners: [sim.credentials.userKey] } },
      write(),
    );
    const operated = await api.operateNode(story, nodeId, { action: 'confirm' }, write());
    expect(operated.class, JSON.stringify(operated)).toBe('ok');

    const issue = await newItem('issue', 'State flow');
    const states = await ok(api.workflowQuery(issue, { flow_type: 1 }));
    const transition = states.data?.connections.find((c) => c.source_state_key === 'open');
    expect(transition?.transition_id).toMatch(/^\d+$/);
    await ok(api.changeState(issue, { transition_id: transition?.transition_id ?? '' }, write()));
  });

  it('manages sub-tasks', async () => {
    const ref = await newItem('story', 'With tasks');
    const flow = await ok(api.workflowQuery(ref));
    const nodeId = flow.data?.workflow_nodes?.find((n) => n.status === 2)?.id ?? '';
    const created = await ok(api.createSubtask(ref, { node_id: nodeId, name: 'write tests' }, write()));
    const taskId = created.data as string;
    const list = await ok(api.listSubtasks(ref, nodeId));
    expect(list.data?.flatMap((n) => n.sub_tasks.map((t) => t.id))).toContain(taskId);
    await raw(
      'subtask.update',
      { path: { ...path(ref), node_id: nodeId, task_id: taskId }, body: { note: 'n' } },
      write(),
    );
    await ok(api.modifySubtask(ref, { node_id: nodeId, task_id: taskId, action: 'confirm' }, write()));
    await raw('subtask.delete', { path: { ...path(ref), task_id: taskId } }, write());
  });

  it('binds and unbinds related items across spaces', async () => {
    const ref = await newItem('story', 'Related');
    const rules = await ok(api.relationRules(projectKey));
    const rule = rules.data?.[0];
    expect(rule?.rules[0]?.id).toBe(DEMO.relationRuleId);
    const remote = await ok(
      recorder.call(
        buildApiCall('workItem.create', {
          path: { project_key: DEMO.remoteProjectKey },
          body: { work_item_type_key: 'story', name: 'Remote' },
        }),
        write(),
      ),
    );
    const remoteId = remote.data as string;
    await ok(
      api.bindRelations(
        ref,
        DEMO.relationRuleId,
        [{ project_key: DEMO.remoteProjectKey, work_item_type_key: 'story', work_item_id: remoteId }],
        write(),
      ),
    );
    const bound = await ok(api.relationWorkItems(ref, DEMO.relationRuleId));
    expect(bound.data?.map((r) => r.relation_work_item_id)).toContain(remoteId);
    await ok(api.unbindRelation(ref, DEMO.relationRuleId, remoteId, write()));
  });

  it('terminates, restores, freezes, bulk-updates and deletes', async () => {
    const ref = await newItem('story', 'Lifecycle');
    await ok(
      api.abortWorkItem(ref, { is_aborted: true, reason: 'duplicate', reason_option: 'other' }, write()),
    );
    await ok(api.abortWorkItem(ref, { is_aborted: false, reason: 'back', reason_option: 'other' }, write()));
    await raw(
      'workItem.freeze',
      { body: { project_key: projectKey, work_item_id: int64(ref.id), is_frozen: true } },
      write(),
    );
    await raw(
      'workItem.freeze',
      { body: { project_key: projectKey, work_item_id: int64(ref.id), is_frozen: false } },
      write(),
    );
    const batch = await raw(
      'workItem.batchUpdate',
      {
        body: {
          project_key: projectKey,
          work_item_type_key: 'story',
          work_item_ids: [int64(ref.id)],
          update_mode: 'UPDATE',
          field_key: 'priority',
          after_field_value: { value: 'P2' },
        },
      },
      write(),
    );
    const taskId = (batch.data as { task_id: string }).task_id;
    await raw('workItem.taskResult', { query: { task_id: taskId } });
    await raw(
      'chat.botJoin',
      {
        path: { project_key: projectKey, work_item_id: ref.id },
        body: { work_item_type_key: 'story', app_ids: ['cli_x'] },
      },
      write(),
    );
    await raw('workItem.delete', { path: path(ref) }, write());
  });

  it('finds items through a relation field', async () => {
    const story = await newItem('story', 'Linked target');
    const created = await ok(
      api.createWorkItem(
        projectKey,
        {
          work_item_type_key: 'issue',
          name: 'Linked bug',
          field_value_pairs: [{ field_key: '_field_linked_story', field_value: int64(story.id) }],
        },
        write(),
      ),
    );
    const found = await raw('workItem.searchByRelation', {
      path: path(story),
      body: { relation_work_item_type_key: 'issue', relation_key: '_field_linked_story', relation_type: 0 },
    });
    expect((found.data as Array<{ id: string }>).map((w) => w.id)).toContain(created.data);
  });

  it('edits compound-field rows', async () => {
    sim.state.fields.push({
      project_key: projectKey,
      field_key: 'field_rows',
      field_alias: 'rows',
      field_name: 'Rows',
      field_type_key: 'compound_field',
      work_item_scopes: ['story'],
      is_custom_field: true,
    });
    const ref = await newItem('story', 'Rows');
    await raw(
      'workItem.updateCompoundField',
      {
        body: {
          project_key: projectKey,
          work_item_id: int64(ref.id),
          field_key: 'field_rows',
          action: 'add',
          fields: [[{ field_key: 'description', field_value: 'row 1' }]],
        },
      },
      write(),
    );
  });

  it('uploads, downloads and deletes attachments (multipart and raw bytes)', async () => {
    const ref = await newItem('story', 'Files');
    const form = new FormData();
    form.append('field_key', 'field_attachments');
    form.append(
      'file',
      new Blob([Buffer.from([0, 1, 2, 255])], { type: 'application/octet-stream' }),
      'bytes.bin',
    );
    await raw('file.uploadAttachment', { path: path(ref), body: form }, write());
    const generic = new FormData();
    generic.append('file', new Blob(['png'], { type: 'image/png' }), 'a.png');
    await raw('file.upload', { path: { project_key: projectKey }, body: generic }, write());
    const item = await ok(api.queryWorkItems(projectKey, 'story', [ref.id], ['field_attachments']));
    const files = item.data?.[0]?.fields?.find((f) => f.field_key === 'field_attachments')
      ?.field_value as Array<{ uid: string }>;
    const uid = files[0]?.uid ?? '';
    const download = await raw('file.download', { path: path(ref), body: { uuid: uid } });
    expect(Buffer.compare(download.data as Buffer, Buffer.from([0, 1, 2, 255]))).toBe(0);
    await raw(
      'file.delete',
      {
        body: {
          project_key: projectKey,
          work_item_id: int64(ref.id),
          field_key: 'field_attachments',
          uuids: [uid],
        },
      },
      write(),
    );
  });

  it('exchanges and refreshes a user token', async () => {
    const code = sim.issueAuthCode(sim.credentials.userKey);
    const exchanged = await client.exchangeUserToken(code);
    expect(exchanged.outcome.class).toBe('ok');
    const refreshed = await client.refreshUserToken(exchanged.token?.refreshToken ?? '');
    expect(refreshed.token?.token).toMatch(/./);
    const asUser = await client.call(buildApiCall('config.allTypes', { path: { project_key: projectKey } }), {
      userToken: refreshed.token?.token ?? '',
    });
    expect(asUser.class).toBe('ok');
    for (const id of ['auth.pluginToken', 'auth.userPluginToken', 'auth.refreshToken'])
      recorder.succeeded.add(id);
  });

  it('has exercised every catalogued operation the simulator serves', () => {
    const served = OPERATIONS.map((op) => op.id).filter((id) => SERVED_OPERATIONS.includes(id));
    const missing = served.filter((id) => !recorder.succeeded.has(id));
    expect(missing).toEqual([]);
  });
});

describe('client against the simulator: limits, idempotency and token expiry', () => {
  let limited: RunningSimulator;
  let simClock = Date.now();
  let limitedClient: OpenApiClient;

  beforeAll(async () => {
    limited = await startSimulator({ clock: () => simClock });
    const c = limited.credentials;
    limitedClient = new OpenApiClient({
      baseUrl: limited.baseUrl,
      pluginId: c.pluginId,
      pluginSecret: c.pluginSecret,
      userKey: c.userKey,
    });
  });

  afterAll(async () => {
    await limitedClient.close();
    await limited.close();
  });

  it('classifies the 16th call within a second as rate_limited', async () => {
    const call = buildApiCall('config.allTypes', { path: { project_key: limited.credentials.projectKey } });
    await limitedClient.tokenKey();
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => limitedClient.call(call)));
    const classes = outcomes.map((o) => o.class);
    expect(classes.filter((c) => c === 'ok').length).toBeLessThanOrEqual(15);
    expect(classes.filter((c) => c === 'rate_limited').length).toBeGreaterThanOrEqual(25);
    expect(outcomes.find((o) => o.class === 'rate_limited')).toMatchObject({
      errCode: 10429,
      httpStatus: 429,
    });
    simClock += 61_000;
  });

  it('classifies a reused X-IDEM-UUID as already_applied', async () => {
    const ref = { project_key: limited.credentials.projectKey };
    const call = buildApiCall('workItem.create', {
      path: ref,
      body: { work_item_type_key: 'story', name: 'Once' },
    });
    expect((await limitedClient.call(call, { idempotencyKey: 'same-key' })).class).toBe('ok');
    expect(await limitedClient.call(call, { idempotencyKey: 'same-key' })).toMatchObject({
      class: 'already_applied',
      errCode: 10430,
    });
  });

  it('drops an expired token and repeats once through callWithTokenRetry', async () => {
    const call = buildApiCall('config.allTypes', { path: { project_key: limited.credentials.projectKey } });
    const before = await limitedClient.tokenKey();
    simClock += 7200_000 + 1_000; // the server's clock passes the expiry; the client's has not
    const outcome = await callWithTokenRetry(limitedClient, call);
    expect(outcome.class).toBe('ok');
    expect(await limitedClient.tokenKey()).not.toBe(before);
  });
});
