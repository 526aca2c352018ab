/**
 * `set` and `increment` through the executor: the value kept in the StateStore, a later step
 * reading it as `{{steps.<name>.value}}` and `{{vars.*}}`, nested increments each counted once,
 * and a run retried after a crash between the increment and its checkpoint not counting twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../../src/plan/idempotency.ts';
import type { RunQueue } from '../../../src/store/ports.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { planned, ruleFrom, workItemEvent } from '../support/program.ts';

let h: Harness;
afterEach(async () => h?.close());

async function runToEnd(harness: Harness, yaml: string, event = workItemEvent()) {
  const rule = ruleFrom(yaml);
  harness.rules.set(rule.id, rule);
  const run = planned(rule, event);
  await harness.stores.runs.enqueue([run], Date.now());
  harness.executor.start();
  harness.executor.notify();
  const deadline = Date.now() + 20_000;
  for (;;) {
    await harness.executor.idle();
    const record = await harness.stores.runs.get(run.id);
    if (record && ['succeeded', 'dead', 'skipped'].includes(record.state)) return { run, record };
    if (Date.now() > deadline) throw new Error(`run ${run.id} still ${record?.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const texts = (harness: Harness) =>
  harness.api.callsOf('comment.create').map((c) => (c.call.body as { content: string }).content);

const COUNT = `id: count-things
on: { event: work_item.created }
do:
  - name: n
    increment: { var: seen }
  - comment: { text: 'seen {{steps.n.value}} times ({{vars.work_item.seen}})' }
`;

describe('set and increment', () => {
  it('keep the value in the state store, per work item, for later steps and later runs', async () => {
    h = await startHarness();
    await runToEnd(h, COUNT);
    await runToEnd(h, COUNT, workItemEvent({ id: 'evt-program-2' }));
    await runToEnd(h, COUNT, workItemEvent({ id: 'evt-other', workItem: { id: '1002', typeKey: 'story' } }));
    expect(texts(h)).toEqual(['seen 1 times (1)', 'seen 2 times (2)', 'seen 1 times (1)']);
    expect(await h.stores.state.get('var:work_item:space:1001:seen')).toBe(2);
    expect(await h.stores.state.get('var:work_item:space:1002:seen')).toBe(1);
    const audit = await h.stores.audit.query({ kind: 'step.var' });
    expect(audit.map((r) => r.detail)).toMatchObject([
      { action: 'increment', var: 'work_item.seen', by: 1, value: 1, repeated: false },
      { action: 'increment', var: 'work_item.seen', value: 2 },
      { action: 'increment', key: 'var:work_item:space:1002:seen', value: 1 },
    ]);
  });

  it('counts once when the run is retried after a crash between the increment and its checkpoint', async () => {
    let crashes = 0;
    h = await startHarness(
      {},
      (real) =>
        new Proxy(real, {
          get(target, prop) {
            if (prop === 'checkpoint') {
              return async (...args: Parameters<RunQueue['checkpoint']>) => {
                // The process dies after the step's write and before its checkpoint, once.
                if (crashes++ === 0) throw new Error('crashed before the checkpoint');
                return target.checkpoint(...args);
              };
            }
            const value = Reflect.get(target, prop, target) as unknown;
            return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
          },
        }),
    );
    const { run, record } = await runToEnd(h, COUNT);
    expect(record.state).toBe('succeeded');
    expect(crashes).toBeGreaterThanOrEqual(2);
    expect(await h.stores.state.get('var:work_item:space:1001:seen')).toBe(1);
    expect(record.results[0]).toMatchObject({ outcome: 'already_applied', data: { value: 1 } });
    expect(texts(h)).toEqual(['seen 1 times (1)']);
    const audit = await h.stores.audit.query({ runId: run.id, kind: 'step.var' });
    expect(audit.map((r) => r.detail?.repeated)).toEqual([false, true]);
    expect(await h.stores.state.get(`var-op:${run.actions[0]!.idempotencyKey}`)).toMatchObject({ value: 1 });
  });

  it('counts each nested increment once, keyed by its path, and sets any JSON value', async () => {
    h = await startHarness();
    const { run, record } = await runToEnd(
      h,
      `id: tally
on: { event: work_item.created }
do:
  - for_each:
      items: '{{event.payload.bugs}}'
      do:
        - increment: { var: bugs, by: '{{item.weight}}', scope: rule }
  - name: last
    set: { var: last_bugs, value: { ids: '{{event.payload.bugs | map("id")}}', by: '{{event.operator}}' }, scope: space }
  - comment: { text: 'weight {{vars.rule.bugs}}, last {{steps.last.value.ids | join(",")}}' }
`,
      workItemEvent({
        operator: 'u1',
        payload: {
          bugs: [
            { id: 'a', weight: 2 },
            { id: 'b', weight: '3' },
            { id: 'c', weight: 0.5 },
          ],
        },
      }),
    );
    expect(record.state).toBe('succeeded');
    expect(await h.stores.state.get('var:rule:tally:bugs')).toBe(5.5);
    expect(await h.stores.state.get('var:space:space:last_bugs')).toEqual({ ids: ['a', 'b', 'c'], by: 'u1' });
    expect(texts(h)).toEqual(['weight 5.5, last a,b,c']);
    for (const i of [0, 1, 2]) {
      const key = idempotencyKey(run.eventId, run.ruleId, run.ruleVersion, `0/i${i}/0`);
      expect(await h.stores.state.get(`var-op:${key}`)).toBeDefined();
    }
  });

  it('dead-letters an increment of what is not a number, and a work item variable without a work item', async () => {
    h = await startHarness();
    await h.stores.state.set('var:work_item:space:1001:seen', 'many');
    const notNumber = await runToEnd(h, COUNT);
    expect(notNumber.record).toMatchObject({ state: 'dead', lastError: { code: 'AP_VAR_NOT_NUMBER' } });
    expect(notNumber.record.lastError?.message).toMatch(/"many" is not a number/);
    const badBy = await runToEnd(
      h,
      `id: bad-by
on: { event: work_item.created }
do:
  - increment: { var: n, by: '{{event.payload.by}}', scope: rule }
`,
      workItemEvent({ payload: { by: 'lots' } }),
    );
    expect(badBy.record).toMatchObject({ state: 'dead', lastError: { code: 'AP_VAR_NOT_NUMBER' } });
    const noItem = await runToEnd(
      h,
      `id: no-item
on: { event: work_item.created }
do:
  - increment: { var: deploys, scope: rule }
  - increment: { var: n }
`,
      workItemEvent({ id: 'evt-bare', projectKey: undefined, workItem: undefined }),
    );
    expect(noItem.record).toMatchObject({ state: 'dead', lastError: { code: 'AP_RULE_INVALID' } });
    expect(noItem.record.lastError?.message).toMatch(/carries no work item/);
    expect(await h.stores.state.get('var:rule:no-item:deploys')).toBe(1);
    expect(h.api.calls).toHaveLength(0);
  });

  it('with recheck, stops the run quietly before changing anything when the condition no longer holds', async () => {
    h = await startHarness();
    h.api.on('workItem.query', {
      class: 'ok',
      data: [{ id: 1001, name: 'x', work_item_type_key: 'story', project_key: 'space', fields: [] }],
    });
    const { record } = await runToEnd(
      h,
      `id: recheck-count
on: { event: work_item.created }
do:
  - increment: { var: n, scope: rule }
    recheck: { fact: work_item, path: name, operator: equal, value: y }
`,
    );
    expect(record.state).toBe('skipped');
    expect(await h.stores.state.get('var:rule:recheck-count:n')).toBeUndefined();
    expect(await h.stores.audit.query({ kind: 'step.var' })).toEqual([]);
  });
});
