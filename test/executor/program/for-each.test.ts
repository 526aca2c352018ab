/**
 * `for_each` and `lookup` through the executor: the list fixed once, every iteration's write with
 * its own deterministic key, a list over `max_items` refused before any write, and a retry after
 * a failure continuing at the iteration it stopped in, writing nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../../src/plan/idempotency.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { planned, ruleFrom, workItemEvent } from '../support/program.ts';

let h: Harness;
afterEach(async () => h?.close());

async function runOnce(harness: Harness, yaml: string, payload: unknown = {}) {
  const rule = ruleFrom(yaml);
  harness.rules.set(rule.id, rule);
  const run = planned(rule, workItemEvent({ payload }));
  await harness.stores.runs.enqueue([run], Date.now());
  harness.executor.start();
  harness.executor.notify();
  await harness.executor.idle();
  return { run, record: await harness.stores.runs.get(run.id) };
}

const texts = (harness: Harness) =>
  harness.api.callsOf('comment.create').map((c) => (c.call.body as { content: string }).content);

const OVER_IDS = `id: over-ids
on: { event: work_item.created }
do:
  - name: loop
    for_each:
      items: '{{event.payload.bugs}}'
      max_items: 3
      do:
        - comment:
            text: 'bug {{index}}: {{item.name}}'
            target: { type: issue, id: '{{item.id}}' }
  - comment: { text: 'went over {{steps.loop.count}}' }
`;

describe('for_each', () => {
  it('runs the nested steps once per item, each write with the key of its path', async () => {
    h = await startHarness();
    const bugs = [
      { id: '11', name: 'crash' },
      { id: '12', name: 'typo' },
      { id: '13', name: 'slow' },
    ];
    const { run, record } = await runOnce(h, OVER_IDS, { bugs });
    expect(record?.state).toBe('succeeded');
    expect(texts(h)).toEqual(['bug 0: crash', 'bug 1: typo', 'bug 2: slow', 'went over 3']);
    const calls = h.api.callsOf('comment.create');
    expect(calls.map((c) => c.call.path.split('/').slice(-3, -2)[0])).toEqual(['11', '12', '13', '1001']);
    expect(calls.slice(0, 3).map((c) => c.idempotencyKey)).toEqual(
      [0, 1, 2].map((k) => idempotencyKey(run.eventId, run.ruleId, run.ruleVersion, `0/i${k}/0`)),
    );
    expect(calls[3]?.idempotencyKey).toBe(run.actions[1]?.idempotencyKey);
    const items = await h.stores.audit.query({ runId: run.id, kind: 'step.items' });
    expect(items[0]?.detail).toMatchObject({ action: 'for_each', count: 3, items: ['11', '12', '13'] });
    const attempted = await h.stores.audit.query({ runId: run.id, kind: 'action.attempted' });
    expect(attempted.map((a) => a.detail?.step)).toEqual(['0/i0/0', '0/i1/0', '0/i2/0', undefined]);
  });

  it('refuses a list over max_items before any write, as a dead letter saying why', async () => {
    h = await startHarness();
    const bugs = Array.from({ length: 4 }, (_, i) => ({ id: String(20 + i), name: `b${i}` }));
    const { run, record } = await runOnce(h, OVER_IDS, { bugs });
    expect(h.api.calls).toHaveLength(0);
    expect(record).toMatchObject({ state: 'dead', lastError: { code: 'AP_STEP_LIMIT' } });
    expect(record?.lastError?.message).toMatch(/more than max_items \(3\)/);
    const items = await h.stores.audit.query({ runId: run.id, kind: 'step.items' });
    expect(items[0]?.detail).toMatchObject({ refused: true, count: 4, max_items: 3 });
  });

  it('continues after a failed write at the iteration it stopped in, writing nothing twice', async () => {
    h = await startHarness();
    let n = 0;
    h.api.on('comment.create', () => ({ class: 'ok', data: { n: ++n } }));
    h.api.on('comment.create', () => ({ class: 'ok', data: { n: ++n } }));
    h.api.on('comment.create', { class: 'transient', httpStatus: 503 });
    const bugs = [
      { id: '11', name: 'a' },
      { id: '12', name: 'b' },
      { id: '13', name: 'c' },
    ];
    const { record } = await runOnce(h, OVER_IDS, { bugs });
    expect(record?.state).toBe('succeeded');
    const keys = h.api.callsOf('comment.create').map((c) => c.idempotencyKey);
    // 4 distinct writes; only the failed third one was sent again, with its own key.
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(4);
    expect(keys[2]).toBe(keys[3]);
  });

  it('says so when items is no list', async () => {
    h = await startHarness();
    const { record } = await runOnce(h, OVER_IDS, { bugs: 'none' });
    expect(record).toMatchObject({ state: 'dead', lastError: { code: 'AP_RULE_INVALID' } });
    expect(record?.lastError?.message).toMatch(/gave string, not a list/);
  });

  it('iterates the open sub-tasks of a node, read once', async () => {
    h = await startHarness();
    h.api.on('subtask.list', {
      class: 'ok',
      data: [
        {
          state_key: 'doing',
          sub_tasks: [
            { id: 71, name: 'tests', passed: false },
            { id: 72, name: 'docs', passed: true },
            { id: 73, name: 'review', passed: false },
          ],
        },
      ],
    });
    await runOnce(
      h,
      `id: close-subtasks
on: { event: work_item.created }
do:
  - for_each:
      subtasks: { node: doing, passed: false }
      do:
        - complete_subtask: { node: '{{item.node_id}}', task_id: '{{item.id}}' }
`,
    );
    expect(h.api.callsOf('subtask.list')).toHaveLength(1);
    expect(h.api.callsOf('subtask.modify').map((c) => c.call.body)).toMatchObject([
      { node_id: 'doing', action: 'confirm' },
      { node_id: 'doing', action: 'confirm' },
    ]);
    expect(
      h.api.callsOf('subtask.modify').map((c) => String((c.call.body as { task_id: unknown }).task_id)),
    ).toEqual(['71', '73']);
  });
});

describe('lookup', () => {
  it('pages a search and feeds its items to a for_each', async () => {
    h = await startHarness();
    const page = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        id: from + i,
        name: `bug ${from + i}`,
        work_item_type_key: 'issue',
        project_key: 'space',
        work_item_status: { state_key: 'open' },
      }));
    h.api.on(
      'workItem.searchByParams',
      { class: 'ok', data: page(100, 4) },
      { class: 'ok', data: page(104, 2) },
    );
    const { record } = await runOnce(
      h,
      `id: ping-open-bugs
on: { event: work_item.created }
do:
  - name: open
    lookup:
      search:
        project: space
        work_item_type: issue
        search_group: { conjunction: AND, search_params: [{ param_key: work_item_status, operator: HAS ANY OF, value: [open] }] }
      max_items: 3
  - for_each:
      items: '{{steps.open.items}}'
      do:
        - comment: { text: 'still {{item.state}}: {{item.name}}', target: { type: issue, id: '{{item.id}}' } }
`,
    );
    expect(record?.state).toBe('succeeded');
    expect(record?.results[0]?.data).toMatchObject({ count: 3, truncated: true });
    expect(texts(h)).toEqual(['still open: bug 100', 'still open: bug 101', 'still open: bug 102']);
    const searches = h.api.callsOf('workItem.searchByParams');
    expect(searches).toHaveLength(1);
    expect(searches[0]?.call.body).toMatchObject({ page_num: 1, page_size: 4 });
  });
});
