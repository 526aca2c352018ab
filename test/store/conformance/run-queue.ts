/** RunQueue conformance: lanes, priorities, delays, leases, checkpoints, dead letters. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunQueue, RunError } from '../../../src/store/ports.ts';
import { buildRun, rejectionOf, testClock, type StoreFactory, type StoreHarness } from './harness.ts';
import { describeRunParkingConformance } from './run-parking.ts';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;

const PERMANENT: RunError = {
  code: 'AP_API_PERMANENT',
  message: 'work item not found',
  errCode: 30005,
  errMsg: 'WorkItem Not Found',
  logId: '20260101000000abcdef',
  httpStatus: 404,
};

export function describeRunQueueConformance(name: string, factory: StoreFactory): void {
  describeRunParkingConformance(name, factory);
  describe(`RunQueue conformance: ${name}`, () => {
    let harness: StoreHarness;
    let runs: RunQueue;

    beforeEach(async () => {
      harness = await factory({ now: testClock(T0).now });
      runs = harness.stores.runs;
    });
    afterEach(async () => harness.cleanup());

    const claimIds = async (owner: string, limit: number, now: number) =>
      (await runs.claim(owner, limit, LEASE, now)).map((record) => record.run.id);

    describe('enqueue', () => {
      it('adds each run id once and returns only the ids it added', async () => {
        expect(await runs.enqueue([buildRun({ id: 'r1' }), buildRun({ id: 'r1' })], T0)).toEqual(['r1']);
        expect(await runs.enqueue([buildRun({ id: 'r1' }), buildRun({ id: 'r2' })], T0)).toEqual(['r2']);
        expect(await runs.enqueue([], T0)).toEqual([]);
        const record = await runs.get('r1');
        expect(record).toMatchObject({ state: 'queued', nextAction: 0, attempt: 0, runAt: T0, results: [] });
        expect(record?.run).toEqual(buildRun({ id: 'r1' }));
        expect(await runs.get('missing')).toBeUndefined();
      });

      it('refuses a run without a lane or with an unknown priority, adding none of the batch', async () => {
        const noLane = await rejectionOf(
          runs.enqueue([buildRun({ id: 'ok' }), buildRun({ id: 'x', lane: '' })], T0),
        );
        expect(noLane.code).toBe('AP_STORE_BAD_INPUT');
        expect(noLane.message).toMatch(/lane/);
        const badPriority = buildRun({ id: 'y', priority: 'urgent' as never });
        expect((await rejectionOf(runs.enqueue([badPriority], T0))).code).toBe('AP_STORE_BAD_INPUT');
        expect(await runs.get('ok')).toBeUndefined();
      });
    });

    describe('lanes', () => {
      it('hands out one run per lane at a time, in enqueue order', async () => {
        await runs.enqueue(
          ['a1', 'a2', 'a3'].map((id) => buildRun({ id, lane: 'A' })),
          T0,
        );
        expect(await claimIds('w', 10, T0)).toEqual(['a1']);
        expect(await claimIds('w', 10, T0 + 1)).toEqual([]);
        await runs.complete('a1', 'w', 'succeeded', T0 + 2);
        expect(await claimIds('w', 10, T0 + 3)).toEqual(['a2']);
        await runs.complete('a2', 'w', 'skipped', T0 + 4);
        expect(await claimIds('w', 10, T0 + 5)).toEqual(['a3']);
      });

      it('does not let a busy lane block another lane', async () => {
        await runs.enqueue([buildRun({ id: 'a1', lane: 'A' }), buildRun({ id: 'a2', lane: 'A' })], T0);
        await runs.enqueue([buildRun({ id: 'b1', lane: 'B' })], T0 + 1);
        expect(await claimIds('w', 1, T0 + 2)).toEqual(['a1']);
        expect(await claimIds('w', 10, T0 + 3)).toEqual(['b1']);
      });

      it('keeps a delayed head blocking its lane until it is due', async () => {
        await runs.enqueue([buildRun({ id: 'a1', lane: 'A' }), buildRun({ id: 'a2', lane: 'A' })], T0);
        await runs.claim('w', 1, LEASE, T0);
        await runs.reschedule('a1', 'w', T0 + 1000, T0 + 1);
        expect(await claimIds('w', 10, T0 + 999)).toEqual([]);
        expect(await claimIds('w', 10, T0 + 1000)).toEqual(['a1']);
      });
    });

    describe('order', () => {
      it('claims chat before webhook before background, then by enqueue order', async () => {
        await runs.enqueue([buildRun({ id: 'bg', lane: 'L1', priority: 'background' })], T0);
        await runs.enqueue([buildRun({ id: 'wh-a', lane: 'L2', priority: 'webhook' })], T0);
        await runs.enqueue([buildRun({ id: 'wh-b', lane: 'L3', priority: 'webhook' })], T0);
        await runs.enqueue([buildRun({ id: 'chat', lane: 'L4', priority: 'chat' })], T0);
        expect(await claimIds('w', 10, T0)).toEqual(['chat', 'wh-a', 'wh-b', 'bg']);
      });

      it('orders by runAt within one priority', async () => {
        await runs.enqueue([buildRun({ id: 'x', lane: 'X' }), buildRun({ id: 'y', lane: 'Y' })], T0);
        await runs.claim('w', 2, LEASE, T0);
        await runs.reschedule('x', 'w', T0 + 50, T0);
        await runs.reschedule('y', 'w', T0 + 20, T0);
        expect(await claimIds('w', 2, T0 + 60)).toEqual(['y', 'x']);
      });

      it('respects the claim limit', async () => {
        await runs.enqueue(
          ['1', '2', '3'].map((id) => buildRun({ id, lane: `lane-${id}` })),
          T0,
        );
        expect(await claimIds('w', 2, T0)).toEqual(['1', '2']);
        expect(await claimIds('w', 2, T0)).toEqual(['3']);
      });
    });

    describe('leases', () => {
      it('gives a crashed worker’s run to another worker once the lease expired', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        const [claimed] = await runs.claim('w1', 1, LEASE, T0);
        expect(claimed).toMatchObject({ state: 'running', leaseOwner: 'w1', leaseUntil: T0 + LEASE });
        expect(await claimIds('w2', 1, T0 + LEASE - 1)).toEqual([]);
        const [reclaimed] = await runs.claim('w2', 1, LEASE, T0 + LEASE);
        expect(reclaimed).toMatchObject({ state: 'running', leaseOwner: 'w2' });
      });

      it('refuses every lease-guarded change from a worker that lost its lease', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w1', 1, LEASE, T0);
        await runs.claim('w2', 1, LEASE, T0 + LEASE);
        const result = { index: 0, outcome: 'done' as const, finishedAt: T0 + LEASE + 1 };
        // Started one at a time: a rejection must never wait unobserved while another is awaited.
        const attempts = [
          () => runs.checkpoint('r', 'w1', result, T0 + LEASE + 1),
          () => runs.complete('r', 'w1', 'succeeded', T0 + LEASE + 1),
          () => runs.reschedule('r', 'w1', T0 + LEASE + 5, T0 + LEASE + 1),
          () => runs.deadLetter('r', 'w1', PERMANENT, T0 + LEASE + 1),
        ];
        for (const attempt of attempts) {
          const error = await rejectionOf(attempt());
          expect(error.code).toBe('AP_LEASE_LOST');
          expect(error.message).toMatch(/w1/);
        }
        expect(await runs.extendLease('r', 'w1', LEASE, T0 + LEASE + 1)).toBe(false);
        await runs.release('r', 'w1', T0 + LEASE + 1);
        expect(await runs.get('r')).toMatchObject({
          state: 'running',
          leaseOwner: 'w2',
          nextAction: 0,
          results: [],
        });
      });

      it('refuses a checkpoint once the lease expired even if nobody took the run yet', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w1', 1, LEASE, T0);
        const late = runs.checkpoint('r', 'w1', { index: 0, outcome: 'done', finishedAt: T0 }, T0 + LEASE);
        expect((await rejectionOf(late)).code).toBe('AP_LEASE_LOST');
      });

      it('extends a lease so the run is not handed out at the first deadline', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w1', 1, LEASE, T0);
        expect(await runs.extendLease('r', 'w1', LEASE, T0 + LEASE - 1)).toBe(true);
        expect(await claimIds('w2', 1, T0 + LEASE + 10)).toEqual([]);
        expect(await runs.get('r')).toMatchObject({ leaseUntil: T0 + 2 * LEASE - 1 });
      });

      it('release gives the run back at once, unchanged', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w1', 1, LEASE, T0);
        await runs.release('r', 'w1', T0 + 1);
        const record = await runs.get('r');
        expect(record).toMatchObject({ state: 'queued', nextAction: 0, attempt: 0, runAt: T0 });
        expect(record?.leaseOwner).toBeUndefined();
        expect(await claimIds('w2', 1, T0 + 2)).toEqual(['r']);
      });

      it('says which run is unknown', async () => {
        const error = await rejectionOf(runs.complete('nope', 'w', 'succeeded', T0));
        expect(error.code).toBe('AP_NOT_FOUND');
        expect(error.message).toMatch(/nope/);
      });

      it('refuses a claim with a non-positive limit or lease', async () => {
        expect((await rejectionOf(runs.claim('w', 0, LEASE, T0))).code).toBe('AP_STORE_BAD_INPUT');
        expect((await rejectionOf(runs.claim('w', 1, 0, T0))).code).toBe('AP_STORE_BAD_INPUT');
        expect((await rejectionOf(runs.claim('', 1, LEASE, T0))).code).toBe('AP_STORE_BAD_INPUT');
      });
    });

    describe('checkpoints and retries', () => {
      const twoActions = () => {
        const base = buildRun({ id: 'r' });
        const second = { ...base.actions[0]!, index: 1, type: 'transition', name: 'move' };
        return buildRun({ id: 'r', actions: [base.actions[0]!, second] });
      };

      it('records each finished action and resumes a reclaimed run at its first unfinished action', async () => {
        await runs.enqueue([twoActions()], T0);
        await runs.claim('w1', 1, LEASE, T0);
        await runs.reschedule('r', 'w1', T0 + 10, T0 + 1, {
          attempt: 2,
          firstAttemptAt: T0,
          error: PERMANENT,
        });
        await runs.claim('w1', 1, LEASE, T0 + 10);
        const data = { work_item_id: 7433128839025672193n, name: '需求' };
        await runs.checkpoint('r', 'w1', { index: 0, outcome: 'done', data, finishedAt: T0 + 11 }, T0 + 11);
        const [resumed] = await runs.claim('w2', 1, LEASE, T0 + 11 + LEASE);
        expect(resumed).toMatchObject({ nextAction: 1, attempt: 0, leaseOwner: 'w2' });
        expect(resumed?.firstAttemptAt).toBeUndefined();
        expect(resumed?.results).toEqual([{ index: 0, outcome: 'done', data, finishedAt: T0 + 11 }]);
        await runs.checkpoint(
          'r',
          'w2',
          { index: 1, outcome: 'already_applied', finishedAt: T0 + 12 },
          T0 + LEASE + 12,
        );
        await runs.complete('r', 'w2', 'succeeded', T0 + LEASE + 13);
        const done = await runs.get('r');
        expect(done).toMatchObject({ state: 'succeeded', nextAction: 2 });
        expect(done?.results.map((result) => result.outcome)).toEqual(['done', 'already_applied']);
      });

      it('refuses a checkpoint for an action other than the next unfinished one', async () => {
        await runs.enqueue([twoActions()], T0);
        await runs.claim('w', 1, LEASE, T0);
        const error = await rejectionOf(
          runs.checkpoint('r', 'w', { index: 1, outcome: 'done', finishedAt: T0 }, T0),
        );
        expect(error.code).toBe('AP_STORE_BAD_INPUT');
        expect((await runs.get('r'))?.nextAction).toBe(0);
      });

      it('keeps attempts and the last error when rescheduled for a retry or for the limiter', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w', 1, LEASE, T0);
        await runs.reschedule('r', 'w', T0 + 1000, T0 + 1, {
          attempt: 1,
          firstAttemptAt: T0,
          error: PERMANENT,
        });
        expect(await runs.get('r')).toMatchObject({
          state: 'queued',
          runAt: T0 + 1000,
          attempt: 1,
          firstAttemptAt: T0,
          lastError: PERMANENT,
        });
        await runs.claim('w', 1, LEASE, T0 + 1000);
        await runs.reschedule('r', 'w', T0 + 1500, T0 + 1001);
        expect(await runs.get('r')).toMatchObject({ runAt: T0 + 1500, attempt: 1, lastError: PERMANENT });
      });

      it('refuses to complete a run as anything but succeeded or skipped', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w', 1, LEASE, T0);
        expect((await rejectionOf(runs.complete('r', 'w', 'dead' as never, T0))).code).toBe(
          'AP_STORE_BAD_INPUT',
        );
      });
    });

    describe('claims (poison runs)', () => {
      const claimsOf = async (id: string) => (await runs.get(id))?.claims;

      it('counts every claim that ended without progress, a lease that ran out included', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        expect(await claimsOf('r')).toBeUndefined();
        const [first] = await runs.claim('w1', 1, LEASE, T0);
        expect(first?.claims).toBe(1);
        // w1 stopped with the run: its lease runs out, and w2 gets it as the second claim
        const [second] = await runs.claim('w2', 1, LEASE, T0 + LEASE);
        expect(second?.claims).toBe(2);
        const [third] = await runs.claim('w3', 1, LEASE, T0 + 2 * LEASE);
        expect(third?.claims).toBe(3);
        expect(await claimsOf('r')).toBe(3);
      });

      it('forgets the count at each progress: a finished or saved step, a park, an end', async () => {
        const twoSteps = buildRun({
          id: 'r',
          actions: [buildRun({ id: 'x' }).actions[0]!, { ...buildRun({ id: 'x' }).actions[0]!, index: 1 }],
        });
        await runs.enqueue(
          [twoSteps, buildRun({ id: 'p', lane: 'P' }), buildRun({ id: 'd', lane: 'D' })],
          T0,
        );
        await runs.claim('w', 3, LEASE, T0);
        await runs.claim('w', 3, LEASE, T0 + LEASE);
        expect(await claimsOf('r')).toBe(2);
        await runs.checkpoint(
          'r',
          'w',
          { index: 0, outcome: 'done', finishedAt: T0 + LEASE },
          T0 + LEASE + 1,
        );
        expect(await claimsOf('r')).toBeUndefined();
        await runs.claim('w', 3, LEASE, T0 + 2 * LEASE + 1);
        expect(await claimsOf('r')).toBe(1);
        await runs.saveProgress('r', 'w', { next: 1 }, T0 + 2 * LEASE + 2);
        expect(await claimsOf('r')).toBeUndefined();
        await runs.park('p', 'w', { until: T0 + 10 * LEASE, progress: {} }, T0 + 2 * LEASE + 2);
        expect(await claimsOf('p')).toBeUndefined();
        await runs.deadLetter('d', 'w', PERMANENT, T0 + 2 * LEASE + 2);
        expect(await claimsOf('d')).toBeUndefined();
        await runs.complete('r', 'w', 'succeeded', T0 + 2 * LEASE + 3);
        expect(await claimsOf('r')).toBeUndefined();
      });

      it('takes back a claim given back by reschedule or release, never below none', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w1', 1, LEASE, T0);
        await runs.claim('w2', 1, LEASE, T0 + LEASE);
        await runs.reschedule('r', 'w2', T0 + LEASE + 10, T0 + LEASE + 1);
        expect(await claimsOf('r')).toBe(1);
        const [again] = await runs.claim('w2', 1, LEASE, T0 + LEASE + 10);
        expect(again?.claims).toBe(2);
        await runs.release('r', 'w2', T0 + LEASE + 11);
        expect(await claimsOf('r')).toBe(1);
        await runs.claim('w2', 1, LEASE, T0 + LEASE + 12);
        await runs.reschedule('r', 'w2', T0 + LEASE + 20, T0 + LEASE + 13, {
          attempt: 1,
          firstAttemptAt: T0 + LEASE + 12,
          error: PERMANENT,
        });
        expect(await claimsOf('r')).toBe(1);
        // a release by a worker that no longer holds the lease takes nothing back
        await runs.claim('w3', 1, LEASE, T0 + LEASE + 20);
        await runs.release('r', 'w1', T0 + LEASE + 21);
        expect(await claimsOf('r')).toBe(2);
      });

      it('starts a requeued dead letter at no claims', async () => {
        await runs.enqueue([buildRun({ id: 'r' })], T0);
        await runs.claim('w1', 1, LEASE, T0);
        await runs.claim('w2', 1, LEASE, T0 + LEASE);
        await runs.deadLetter('r', 'w2', PERMANENT, T0 + LEASE + 1);
        expect(await runs.requeue('r', T0 + LEASE + 2)).toBe(true);
        expect(await claimsOf('r')).toBeUndefined();
        const [claimed] = await runs.claim('w3', 1, LEASE, T0 + LEASE + 3);
        expect(claimed?.claims).toBe(1);
      });
    });

    describe('dead letters', () => {
      it('keeps the API error, takes the run out of its lane and lets later runs proceed', async () => {
        await runs.enqueue(
          ['a1', 'a2'].map((id) => buildRun({ id, lane: 'A' })),
          T0,
        );
        await runs.claim('w', 1, LEASE, T0);
        await runs.deadLetter('a1', 'w', PERMANENT, T0 + 1);
        expect(await runs.get('a1')).toMatchObject({ state: 'dead', lastError: PERMANENT });
        expect(await claimIds('w', 10, T0 + 2)).toEqual(['a2']);
        expect((await runs.list({ state: 'dead' })).map((record) => record.run.id)).toEqual(['a1']);
        expect(await runs.stats(T0 + 2)).toMatchObject({ dead: 1, depth: 1 });
      });

      it('requeues a dead run at the back of its lane, at its first unfinished action, attempts reset', async () => {
        await runs.enqueue(
          ['a1', 'a2', 'a3'].map((id) => buildRun({ id, lane: 'A' })),
          T0,
        );
        await runs.claim('w', 1, LEASE, T0);
        await runs.reschedule('a1', 'w', T0 + 1, T0, { attempt: 3, firstAttemptAt: T0 });
        await runs.claim('w', 1, LEASE, T0 + 1);
        await runs.deadLetter('a1', 'w', PERMANENT, T0 + 2);
        expect(await runs.requeue('a1', T0 + 3)).toBe(true);
        expect(await runs.get('a1')).toMatchObject({
          state: 'queued',
          attempt: 0,
          nextAction: 0,
          runAt: T0 + 3,
        });
        expect(await runs.requeue('a1', T0 + 3)).toBe(false);
        const order: string[] = [];
        for (let step = 0; step < 3; step++) {
          const [next] = await runs.claim('w', 10, LEASE, T0 + 10 + step);
          order.push(next!.run.id);
          await runs.complete(next!.run.id, 'w', 'succeeded', T0 + 10 + step);
        }
        expect(order).toEqual(['a2', 'a3', 'a1']);
      });

      it('requeues a dead run with a new plan of the same run, keeping its finished results', async () => {
        await runs.enqueue([buildRun({ id: 'a1', lane: 'A' })], T0);
        await runs.claim('w', 1, LEASE, T0);
        await runs.checkpoint('a1', 'w', { index: 0, outcome: 'done', finishedAt: T0 }, T0);
        await runs.deadLetter('a1', 'w', PERMANENT, T0 + 1);
        const plan = { ...buildRun({ id: 'a1', lane: 'A' }), ruleVersion: 'v2' };
        expect((await rejectionOf(runs.requeue('a1', T0 + 2, { ...plan, lane: 'B' }))).code).toBe(
          'AP_STORE_BAD_INPUT',
        );
        expect(await runs.requeue('a1', T0 + 2, plan)).toBe(true);
        expect(await runs.get('a1')).toMatchObject({
          state: 'queued',
          nextAction: 1,
          run: { ruleVersion: 'v2' },
          results: [{ index: 0, outcome: 'done' }],
        });
        expect(await runs.requeue('a1', T0 + 3, plan)).toBe(false);
      });

      it('makes a requeued run the head of an idle lane at once', async () => {
        await runs.enqueue([buildRun({ id: 'a1', lane: 'A' })], T0);
        await runs.claim('w', 1, LEASE, T0);
        await runs.deadLetter('a1', 'w', PERMANENT, T0 + 1);
        expect(await claimIds('w', 1, T0 + 2)).toEqual([]);
        await runs.requeue('a1', T0 + 3);
        expect(await claimIds('w', 1, T0 + 3)).toEqual(['a1']);
      });

      it('drops only dead runs', async () => {
        await runs.enqueue([buildRun({ id: 'a1' }), buildRun({ id: 'b1', lane: 'B' })], T0);
        await runs.claim('w', 1, LEASE, T0);
        await runs.deadLetter('a1', 'w', PERMANENT, T0 + 1);
        expect(await runs.drop('b1')).toBe(false);
        expect(await runs.drop('a1')).toBe(true);
        expect(await runs.get('a1')).toBeUndefined();
        expect(await runs.drop('a1')).toBe(false);
        expect(await runs.requeue('missing', T0)).toBe(false);
      });
    });

    describe('list, stats, purge', () => {
      it('filters by state, rule, event and lane, in queue order, with a limit', async () => {
        await runs.enqueue(
          [
            buildRun({ id: 'r1', ruleId: 'rule-a', eventId: 'e1', lane: 'A' }),
            buildRun({ id: 'r2', ruleId: 'rule-b', eventId: 'e1', lane: 'B' }),
            buildRun({ id: 'r3', ruleId: 'rule-a', eventId: 'e2', lane: 'A' }),
          ],
          T0,
        );
        await runs.claim('w', 1, LEASE, T0);
        const ids = async (filter: Parameters<RunQueue['list']>[0]) =>
          (await runs.list(filter)).map((record) => record.run.id);
        expect(await ids({})).toEqual(['r1', 'r2', 'r3']);
        expect(await ids({ state: 'running' })).toEqual(['r1']);
        expect(await ids({ state: ['queued', 'running'], ruleId: 'rule-a' })).toEqual(['r1', 'r3']);
        expect(await ids({ eventId: 'e1' })).toEqual(['r1', 'r2']);
        expect(await ids({ lane: 'A', limit: 1 })).toEqual(['r1']);
        expect(await ids({ state: [] })).toEqual([]);
        expect((await rejectionOf(runs.list({ limit: -1 }))).code).toBe('AP_STORE_BAD_INPUT');
      });

      it('reports depth, the age of the oldest due run and the dead count', async () => {
        expect(await runs.stats(T0)).toEqual({ depth: 0, parked: 0, oldestDueAgeMs: 0, dead: 0 });
        await runs.enqueue([buildRun({ id: 'a', lane: 'A' }), buildRun({ id: 'b', lane: 'B' })], T0);
        await runs.enqueue([buildRun({ id: 'c', lane: 'C' })], T0 + 500);
        expect(await runs.stats(T0 + 1000)).toEqual({ depth: 3, parked: 0, oldestDueAgeMs: 1000, dead: 0 });
        await runs.claim('w', 2, LEASE, T0 + 1000);
        await runs.deadLetter('a', 'w', PERMANENT, T0 + 1001);
        await runs.reschedule('b', 'w', T0 + 5000, T0 + 1001);
        expect(await runs.stats(T0 + 1500)).toEqual({ depth: 2, parked: 0, oldestDueAgeMs: 1000, dead: 1 });
      });

      it('purges finished runs older than the cut, never active or dead ones', async () => {
        await runs.enqueue(
          ['s', 'k', 'd', 'q'].map((id) => buildRun({ id, lane: id })),
          T0,
        );
        await runs.claim('w', 3, LEASE, T0);
        await runs.complete('s', 'w', 'succeeded', T0 + 1);
        await runs.complete('k', 'w', 'skipped', T0 + 1);
        await runs.deadLetter('d', 'w', PERMANENT, T0 + 1);
        expect(await runs.purge(T0 + 1)).toBe(0);
        expect(await runs.purge(T0 + 2)).toBe(2);
        expect((await runs.list({})).map((record) => record.run.id)).toEqual(['d', 'q']);
      });
    });

    describe('concurrency', () => {
      it('never hands one run to two workers and keeps every lane in order', async () => {
        const other = harness.openAnother ? await harness.openAnother() : harness.stores;
        try {
          const lanes = 8;
          const perLane = 25;
          const batch = Array.from({ length: lanes * perLane }, (_, i) =>
            buildRun({ id: `run-${i}`, lane: `lane-${i % lanes}` }),
          );
          await runs.enqueue(batch, T0);
          const holders = new Map<string, string>();
          const completed: string[] = [];
          const worker = async (owner: string, queue: RunQueue) => {
            for (let idle = 0; idle < 20;) {
              const claimed = await queue.claim(owner, 3, LEASE, T0 + 1);
              if (claimed.length === 0) {
                idle++;
                await new Promise((resolve) => setImmediate(resolve));
                continue;
              }
              idle = 0;
              for (const record of claimed) {
                expect(holders.get(record.run.id)).toBeUndefined();
                holders.set(record.run.id, owner);
              }
              await Promise.all(
                claimed.map(async (record) => {
                  await queue.complete(record.run.id, owner, 'succeeded', T0 + 2);
                  completed.push(record.run.id);
                }),
              );
            }
          };
          await Promise.all([worker('w1', runs), worker('w2', other.runs)]);
          expect(new Set(completed).size).toBe(batch.length);
          expect(completed).toHaveLength(batch.length);
          for (let lane = 0; lane < lanes; lane++) {
            const inLane = completed.filter((id) => Number(id.slice(4)) % lanes === lane);
            expect(inLane).toEqual([...inLane].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))));
          }
          expect(await runs.stats(T0 + 3)).toMatchObject({ depth: 0 });
        } finally {
          if (other !== harness.stores) await other.close();
        }
      });
    });
  });
}
