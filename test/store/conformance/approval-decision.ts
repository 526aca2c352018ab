/**
 * An approval is decided once, whichever store holds it: many clicks on one parked approval,
 * processed at the same time from two independent clients of the same data (two engine
 * processes), close its record exactly once and resume the run exactly once; a click from
 * someone not on the allow-list changes nothing. Runs against the state store's compareAndSet
 * and the run queue's resume through the click handler the engine uses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { handleApprovalClick, type ApprovalClickDeps } from '../../../src/approvals/approval-clicks.ts';
import {
  APPROVAL_ACTION,
  approvalKey,
  type ApprovalRecord,
  type OpenApproval,
} from '../../../src/approvals/approval-record.ts';
import type { Event } from '../../../src/events/event.ts';
import type { PeopleDirectory } from '../../../src/people/people-directory.ts';
import type { Stores } from '../../../src/store/ports.ts';
import { buildRun, testClock, type StoreFactory, type StoreHarness } from './harness.ts';

const T0 = Date.UTC(2026, 0, 1);
const APPROVERS = ['7400000000000000003', '7400000000000000002', '7400000000000000006'];
const STRANGER = '7400000000000000004';

const people: PeopleDirectory = {
  async find(_kind, ids) {
    return new Map(ids.map((key) => [key, { userKey: key, name: `user ${key.slice(-1)}` }]));
  },
};

function click(eventId: string, runId: string, userKey: string, decision: 'approved' | 'rejected'): Event {
  return {
    id: eventId,
    source: 'chat',
    type: 'card.action',
    occurredAt: T0,
    operator: userKey,
    card: {
      action: APPROVAL_ACTION,
      value: { run: runId, step: '0', decision },
      operator: { open_id: `ou_${userKey}`, user_key: userKey },
      message: 'om_approval',
    },
    payload: {},
  };
}

export function describeApprovalDecisionConformance(name: string, factory: StoreFactory): void {
  describe(`${name}: approval decisions`, () => {
    let harness: StoreHarness | undefined;
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    async function parkedApproval(stores: Stores, runId: string): Promise<string> {
      await stores.runs.enqueue([buildRun({ id: runId, lane: `lane-${runId}` })], T0);
      await stores.runs.claim('owner', 1, 60_000, T0);
      await stores.runs.park(runId, 'owner', { until: T0 + 3_600_000, progress: { state: {} } }, T0);
      const key = approvalKey(runId, '0');
      const open: OpenApproval = {
        status: 'open',
        approvers: APPROVERS,
        until: T0 + 3_600_000,
        messages: ['om_approval'],
        title: 'Ship it?',
      };
      expect(await stores.state.compareAndSet(key, undefined, open)).toBe(true);
      return key;
    }

    function depsOf(stores: Stores, replies: string[], resumed: { n: number }): ApprovalClickDeps {
      return {
        state: stores.state,
        runs: stores.runs,
        audit: stores.audit,
        events: { markProcessed: async () => undefined },
        people,
        read: async () => undefined,
        replier: { send: (_m, text) => void replies.push(text), idle: async () => undefined },
        onResumed: () => void resumed.n++,
        now: () => T0 + 60_000,
      };
    }

    it('many clicks from two clients at once: one decision, one resume, the rest told politely', async () => {
      const clock = testClock(T0);
      harness = await factory({ now: clock.now });
      const first = harness.stores;
      const second = harness.openAnother ? await harness.openAnother() : first;
      const key = await parkedApproval(first, 'run-race');
      const replies: string[] = [];
      const resumed = { n: 0 };
      const clicks = APPROVERS.flatMap((user, i) => [
        click(`card:a${i}`, 'run-race', user, i % 2 === 0 ? 'approved' : 'rejected'),
        click(`card:b${i}`, 'run-race', user, 'approved'),
      ]);
      await Promise.all(
        clicks.map((event, i) =>
          handleApprovalClick(event, depsOf(i % 2 === 0 ? first : second, replies, resumed)),
        ),
      );
      const record = (await first.state.get<ApprovalRecord>(key))!;
      expect(record.status).toBe('decided');
      expect(resumed.n).toBe(1);
      expect(replies).toHaveLength(clicks.length - 1);
      for (const reply of replies) expect(reply).toMatch(/was already (approved|rejected) by user \d/);
      const run = await first.runs.get('run-race');
      expect(run?.state).toBe('queued');
      expect(run?.wake).toMatchObject({ reason: 'resumed' });
      const audit = await first.audit.query({ runId: 'run-race', kind: 'approval.clicked' });
      expect(audit.filter((r) => r.detail?.outcome === 'decided')).toHaveLength(1);

      // The deciding click processed again (a crash before it was marked processed): no change.
      const decidedBy = record.status === 'decided' ? record.eventId : undefined;
      const again = clicks.find((c) => c.id === decidedBy)!;
      await handleApprovalClick(again, depsOf(second, replies, resumed));
      expect(await first.state.get(key)).toEqual(record);
      expect(resumed.n).toBe(1);
    });

    it('a click from someone not on the allow-list changes nothing', async () => {
      const clock = testClock(T0);
      harness = await factory({ now: clock.now });
      const { stores } = harness;
      const key = await parkedApproval(stores, 'run-stranger');
      const before = await stores.state.get(key);
      const replies: string[] = [];
      const resumed = { n: 0 };
      await handleApprovalClick(
        click('card:s', 'run-stranger', STRANGER, 'approved'),
        depsOf(stores, replies, resumed),
      );
      expect(await stores.state.get(key)).toEqual(before);
      expect((await stores.runs.get('run-stranger'))?.state).toBe('parked');
      expect(resumed.n).toBe(0);
      expect(replies).toEqual([
        'Sorry, only user 3, user 2, user 6 can decide "Ship it?"; your click changed nothing.',
      ]);
      const [audit] = await stores.audit.query({ runId: 'run-stranger', kind: 'approval.clicked' });
      expect(audit?.detail).toMatchObject({ outcome: 'refused', code: 'AP_APPROVAL_NOT_ALLOWED' });
    });
  });
}
