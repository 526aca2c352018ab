/**
 * A step's `when` / `else` and `choose`, evaluated when the step is reached on the facts of then
 * (the live work item read through the executor), and the branch taken saved before its first
 * write: a retry never takes the other branch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { planned, ruleFrom } from '../support/program.ts';

let h: Harness;
afterEach(async () => h?.close());

const texts = (harness: Harness) =>
  harness.api.callsOf('comment.create').map((c) => (c.call.body as { content: string }).content);

/** The scripted work item: its state is what the test says it is now. */
function liveState(harness: Harness, state: () => string): void {
  harness.api.otherwise((call) =>
    call.operation === 'workItem.query'
      ? {
          class: 'ok',
          data: [
            {
              id: 1001,
              name: 'Login',
              work_item_type_key: 'story',
              project_key: 'space',
              work_item_status: { state_key: state() },
            },
          ],
        }
      : { class: 'ok', data: {} },
  );
}

async function runRule(harness: Harness, yaml: string) {
  const rule = ruleFrom(yaml);
  harness.rules.set(rule.id, rule);
  const run = planned(rule);
  await harness.stores.runs.enqueue([run], Date.now());
  harness.executor.start();
  harness.executor.notify();
  await harness.executor.idle();
  return run;
}

describe('when and else on a step', () => {
  it('takes the step, its else, or neither, and the run goes on', async () => {
    h = await startHarness();
    liveState(h, () => 'open');
    const run = await runRule(
      h,
      `id: branches
on: { event: work_item.created }
do:
  - comment: { text: 'open' }
    when: { fact: work_item, path: state, operator: equal, value: open }
    else: [{ comment: { text: 'not open' } }]
  - comment: { text: 'closed' }
    when: { fact: work_item, path: state, operator: equal, value: closed }
    else: [{ comment: { text: 'still not closed' } }]
  - comment: { text: 'never' }
    when: { fact: work_item, path: state, operator: equal, value: closed }
  - comment: { text: 'end' }
`,
    );
    expect(texts(h)).toEqual(['open', 'still not closed', 'end']);
    const record = await h.stores.runs.get(run.id);
    expect(record?.results.map((r) => r.outcome)).toEqual(['done', 'done', 'not_taken', 'done']);
    // The work item is read once for the run, not once per condition.
    expect(h.api.callsOf('workItem.query')).toHaveLength(1);
    const branches = await h.stores.audit.query({ runId: run.id, kind: 'step.branch' });
    expect(branches.map((b) => b.detail?.branch)).toEqual(['then', 'else', 'else']);
    expect(branches[0]?.detail?.conditions).toMatchObject([
      { fact: 'work_item', path: 'state', actual: 'open', expected: 'open', outcome: true },
    ]);
    // The else step's write has the key of its path, not the step's own.
    const keys = h.api.callsOf('comment.create').map((c) => c.idempotencyKey);
    expect(keys[0]).toBe(run.actions[0]?.idempotencyKey);
    expect(new Set(keys).size).toBe(3);
  });

  it('keeps the branch taken when the write is retried after the facts changed', async () => {
    h = await startHarness();
    let state = 'open';
    liveState(h, () => state);
    h.api.on('comment.create', () => {
      state = 'closed';
      return { class: 'transient', httpStatus: 502 };
    });
    await runRule(
      h,
      `id: sticky
on: { event: work_item.created }
do:
  - comment: { text: 'was open' }
    when: { fact: work_item, path: state, operator: equal, value: open }
    else: [{ comment: { text: 'was not open' } }]
`,
    );
    // Retried on the branch decided first, with the same key, though the item is closed now.
    const calls = h.api.callsOf('comment.create');
    expect(calls.map((c) => (c.call.body as { content: string }).content)).toEqual(['was open', 'was open']);
    expect(calls[0]?.idempotencyKey).toBe(calls[1]?.idempotencyKey);
  });
});

describe('choose', () => {
  const CHOOSE = `id: triage
on: { event: work_item.created }
do:
  - name: route
    choose:
      - when: { fact: event, path: payload.priority, operator: equal, value: P0 }
        do: [{ comment: { text: 'page the on-call' } }]
      - when: { fact: event, path: payload.priority, operator: in, value: [P1, P2] }
        do: [{ comment: { text: 'next sprint' } }, { comment: { text: 'told the PM' } }]
    else: [{ comment: { text: 'backlog' } }]
  - comment: { text: 'routed by {{steps.route.branch}}' }
`;

  it('runs the first pair that holds, or else', async () => {
    h = await startHarness();
    const rule = ruleFrom(CHOOSE);
    h.rules.set(rule.id, rule);
    const runs = ['P1', 'P9'].map((priority, i) =>
      planned(rule, {
        ...planned(rule).event!,
        id: `e-${i}`,
        workItem: { id: `${i}`, typeKey: 'story' },
        payload: { priority },
      }),
    );
    await h.stores.runs.enqueue(runs, Date.now());
    h.executor.start();
    await h.executor.idle();
    expect(texts(h).sort()).toEqual(
      ['backlog', 'next sprint', 'routed by 1', 'routed by else', 'told the PM'].sort(),
    );
    const chosen = await h.stores.audit.query({ runId: runs[0]!.id, kind: 'step.branch' });
    expect(chosen[0]?.detail).toMatchObject({
      branch: 1,
      choices: [
        { choice: 0, matched: false },
        { choice: 1, matched: true },
      ],
    });
  });
});
