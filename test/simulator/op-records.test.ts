/** Operation records as the engine reads them, automation rules, and webhook push chaos. */
import { afterEach, describe, expect, it } from 'vitest';
import { ISSUE_OPEN, PK, T0, startApi, type Api } from './helpers.ts';
import { startReceiver, type Receiver } from './receiver.ts';

let api: Api;
let receiver: Receiver | undefined;
afterEach(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
  await receiver?.close();
  receiver = undefined;
});

const ALICE = '7400000000000000002';
const ISSUE = `/open_api/demo/work_item/issue/${ISSUE_OPEN}`;

interface Record_ {
  operator: string;
  operator_type: string;
  source_type?: string;
  source?: string;
  operation_type: string;
  op_record_module: string;
  operation_time: number;
  record_contents: { object: { object_type: string; object_value: string }; old: string[]; new: string[] }[];
}

async function records(body: Record<string, unknown> = {}): Promise<{
  status: number;
  err_code?: number;
  data: { op_records: Record_[]; has_more: boolean; start_from: string; total: number };
}> {
  const answer = await api.call('POST', '/open_api/op_record/work_item/list', {
    project_key: PK,
    work_item_ids: [ISSUE_OPEN],
    ...body,
  });
  return { status: answer.status, err_code: answer.json.err_code, data: answer.json.data as never };
}

describe('operation records', () => {
  it('name the channel: a plugin acting for a user, with the plugin id as source', async () => {
    api = await startApi();
    await api.call('PUT', ISSUE, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }],
    });
    const [record] = (await records()).data.op_records;
    expect(record).toMatchObject({
      operator: api.sim.credentials.userKey,
      operator_type: 'plugin',
      source_type: 'plugin',
      source: api.sim.credentials.pluginId,
      operation_type: 'modify',
      op_record_module: 'field_mod',
      operation_time: T0,
      record_contents: [
        { object: { object_type: 'field', object_value: 'priority' }, old: ['P0'], new: ['P2'] },
      ],
    });
    const bySource = await records({ source_type: ['auto'] });
    expect(bySource.data.op_records).toEqual([]);
  });

  it('record comments and role changes in their own modules', async () => {
    api = await startApi();
    await api.call('POST', `${ISSUE}/comment/create`, { content: 'hello' });
    await api.call('PUT', ISSUE, {
      update_fields: [{ field_key: 'role_owners', field_value: [{ role: 'operator', owners: [ALICE] }] }],
    });
    const list = (await records()).data.op_records;
    expect(
      list.map(
        (r) => `${r.op_record_module}/${r.operation_type}/${r.record_contents[0]?.object.object_type}`,
      ),
    ).toEqual(['role_and_user_mod/modify/role', 'work_item_mod/create/comment']);
    // update_fields replaces the whole list: roles left out lose their owners, one content each.
    const operator = list[0]?.record_contents.find((c) => c.object.object_value === 'operator');
    expect(operator?.new).toEqual([ALICE]);
    expect(list[1]?.record_contents[0]?.new).toEqual(['hello']);
  });

  it('page with start_from, keep deleted items history, and refuse a window over 7 days with 20013', async () => {
    api = await startApi();
    for (const p of ['P1', 'P2', 'P3'])
      await api.call('PUT', ISSUE, { update_fields: [{ field_key: 'priority', field_value: { value: p } }] });
    await api.call('DELETE', ISSUE);
    const first = await records({ page_size: 2 });
    expect(first.data).toMatchObject({ has_more: true, total: 4 });
    const second = await records({ page_size: 2, start_from: first.data.start_from });
    expect(second.data.has_more).toBe(false);
    expect([...first.data.op_records, ...second.data.op_records].map((r) => r.operation_type)).toEqual([
      'delete',
      'modify',
      'modify',
      'modify',
    ]);
    const wide = await records({ start: T0 - 8 * 86_400_000, end: T0 });
    expect(wide.err_code).toBe(20013);
    expect((await records({ page_size: 201 })).err_code).toBe(20006);
  });

  it('serve nothing from before 2024-07-02, as the API keeps no older history', async () => {
    api = await startApi();
    api.clock.set(Date.UTC(2024, 6, 1));
    await api.call('PUT', ISSUE, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }],
    });
    api.clock.set(T0);
    expect((await records()).data.op_records).toEqual([]);
  });
});

describe('automation rules', () => {
  it('answer a change through the plugin with their own write, record and webhook', async () => {
    receiver = await startReceiver();
    api = await startApi({
      webhooks: [{ url: receiver.url }],
      automations: [
        {
          id: '7500000000000000001',
          on_field: 'priority',
          to: 'P2',
          by: ['plugin'],
          set: [{ field_key: 'priority', field_value: { value: 'P1' } }],
        },
      ],
    });
    await api.call('PUT', ISSUE, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }],
    });
    await api.sim.webhooksIdle();
    const [latest, ours] = (await records()).data.op_records;
    expect(latest).toMatchObject({
      operator: '7500000000000000001',
      operator_type: 'auto',
      source_type: 'auto',
      source: '7500000000000000001',
      operation_time: T0 + 1,
      record_contents: [{ new: ['P1'], old: ['P2'] }],
    });
    expect(ours?.operator_type).toBe('plugin');
    expect(receiver.bodies.map((b) => [b.header.event_type, b.header.operator])).toEqual([
      ['WorkitemUpdateEvent', api.sim.credentials.userKey],
      ['WorkitemUpdateEvent', '7500000000000000001'],
    ]);
    expect(api.sim.automationRuns()).toMatchObject([{ rule_id: '7500000000000000001', outcome: 'applied' }]);
    // Its own change (P1) does not trigger it again, and a user's change is not "by plugin".
    expect(api.sim.automationRuns()).toHaveLength(1);
  });

  it('are registered over /_sim/automations, and a bad one is refused', async () => {
    api = await startApi();
    const post = (body: unknown) =>
      fetch(`${api.sim.baseUrl}/_sim/automations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ on_field: 'priority', set: [] })).status).toBe(400);
    const created = await post({
      on_field: 'priority',
      set: [{ field_key: 'priority', field_value: { value: 'P3' } }],
    });
    expect(created.status).toBe(201);
    const listed = (await (await fetch(`${api.sim.baseUrl}/_sim/automations`)).json()) as {
      rules: unknown[];
    };
    expect(listed.rules).toHaveLength(1);
  });
});

describe('webhook push chaos', () => {
  it('drops a push (recorded, never sent) and delays another past later changes', async () => {
    receiver = await startReceiver();
    api = await startApi({ webhooks: [{ url: receiver.url }] });
    api.sim.setChaos({ webhookDrop: 1 });
    await api.call('PUT', ISSUE, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P2' } }],
    });
    api.sim.setChaos({ webhookDelayMs: 30 });
    await api.call('POST', `${ISSUE}/comment/create`, { content: 'late' });
    api.sim.setChaos({});
    await api.call('PUT', ISSUE, {
      update_fields: [{ field_key: 'priority', field_value: { value: 'P1' } }],
    });
    await api.sim.webhooksIdle();
    expect(receiver.bodies.map((b) => b.header.event_type)).toEqual([
      'WorkitemUpdateEvent',
      'WorkitemCommentEvent',
    ]);
    expect(api.sim.deliveries().map((d) => [d.event_type, d.status, d.delayed_ms])).toEqual([
      ['WorkitemUpdateEvent', 'dropped', undefined],
      ['WorkitemUpdateEvent', 'delivered', undefined],
      ['WorkitemCommentEvent', 'delivered', 30],
    ]);
    // The dropped change is still in the history.
    expect((await records()).data.op_records).toHaveLength(3);
  });

  it('reads webhook chaos from the CLI spec', async () => {
    const { parseChaosSpec } = await import('../../src/simulator/index.ts');
    expect(parseChaosSpec('webhook_drop=0.1,webhook_delay=60000,webhook_delay_rate=0.05')).toEqual({
      webhookDrop: 0.1,
      webhookDelayMs: 60000,
      webhookDelayRate: 0.05,
    });
    expect(() => parseChaosSpec('webhook_drop=2')).not.toThrow();
    api = await startApi();
    expect(() => api.sim.setChaos({ webhookDrop: 2 })).toThrow(/probability/);
  });
});
