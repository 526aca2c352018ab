/**
 * The window between an approval's record being opened and its run being parked: a click that
 * decides the approval in it cannot resume the run (it is not parked yet), so the executor
 * looks at the record once the run is parked and resumes it itself. Without that, the decision
 * would wait for the timeout. The click is made to land exactly there, through the state store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { handleApprovalClick } from '../../../src/approvals/approval-clicks.ts';
import { APPROVAL_ACTION, type ApprovalRecord } from '../../../src/approvals/approval-record.ts';
import { createActionResolver } from '../../../src/engine/resolve-action.ts';
import type { ActionResolver } from '../../../src/executor/ports.ts';
import type { StateStore } from '../../../src/store/ports.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { manualClock, planned, ruleFrom, T0 } from '../support/program.ts';

const BOB = '7400000000000000003';
const RULE = `id: race
on: { event: work_item.created }
do:
  - name: signoff
    approve: { to: oc_chat, title: Ship it?, approvers: ['${BOB}'], timeout: 24h }
  - comment: { text: '{{steps.signoff.decision}} by {{steps.signoff.approver}}' }
`;

let h: Harness | undefined;
afterEach(async () => h?.close());

describe('an approval decided before its run is parked', () => {
  it('resumes the run as soon as it is parked, not at the timeout', async () => {
    const clock = manualClock();
    const late: { state?: StateStore; resolver?: ActionResolver } = {};
    let clicks = 0;
    const rule = ruleFrom(RULE);
    const run = planned(rule);
    const state: Pick<StateStore, 'get' | 'updateVar' | 'compareAndSet'> = {
      get: (key) => late.state!.get(key),
      updateVar: (key, change, op) => late.state!.updateVar(key, change, op),
      async compareAndSet(key, expected, value) {
        const done = await late.state!.compareAndSet(key, expected, value);
        if (done && (value as ApprovalRecord).status === 'open') {
          clicks += 1;
          await handleApprovalClick(
            {
              id: 'card:early',
              source: 'chat',
              type: 'card.action',
              occurredAt: T0,
              card: {
                action: APPROVAL_ACTION,
                value: { run: run.id, step: '0', decision: 'approved' },
                operator: { open_id: 'ou_bob', user_key: BOB },
                message: 'om_card',
              },
              payload: {},
            },
            {
              state: late.state!,
              runs: h!.stores.runs,
              audit: h!.stores.audit,
              events: { markProcessed: async () => undefined },
              people: {
                find: async (_k, ids) => new Map(ids.map((id) => [id, { userKey: id, name: 'Bob' }])),
              },
              read: async () => undefined,
              onResumed: () => undefined,
              now: clock.now,
            },
          );
        }
        return done;
      },
    };
    h = await startHarness({
      now: clock.now,
      program: { state },
      resolve: (action, context) => late.resolver!(action, context),
    });
    late.resolver = createActionResolver(h.stores.events);
    late.state = h.stores.state;
    h.rules.set(rule.id, rule);
    h.api.on('lark.message.create', { class: 'ok', data: { message_id: 'om_card' } });
    await h.stores.runs.enqueue([run], T0);
    h.executor.start();
    await expect
      .poll(async () => (await h!.stores.runs.get(run.id))?.state, { timeout: 10_000 })
      .toBe('succeeded');
    expect(clicks).toBe(1);
    const comments = h.api.callsOf('comment.create').map((c) => (c.call.body as { content: string }).content);
    expect(comments).toEqual([`approved by ${BOB}`]);
    expect(h.api.callsOf('lark.message.update')).toHaveLength(1);
  });
});
