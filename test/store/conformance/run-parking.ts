/**
 * RunQueue conformance, parking (docs/design/run-program.md §4): a parked run leaves its lane,
 * wakes at its time or on `resume` (once), comes back at the end of its lane with why it woke,
 * and keeps its step progress.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunQueue } from '../../../src/store/ports.ts';
import { buildRun, rejectionOf, testClock, type StoreFactory, type StoreHarness } from './harness.ts';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;
const HOUR = 3_600_000;

export function describeRunParkingConformance(name: string, factory: StoreFactory): void {
  describe(`RunQueue parking conformance: ${name}`, () => {
    let harness: StoreHarness;
    let runs: RunQueue;

    beforeEach(async () => {
      harness = await factory({ now: testClock(T0).now });
      runs = harness.stores.runs;
    });
    afterEach(async () => harness.cleanup());

    const claimIds = async (owner: string, limit: number, now: number) =>
      (await runs.claim(owner, limit, LEASE, now)).map((record) => record.run.id);

    /** Enqueues a1, a2 in lane A, claims a1 and parks it for an hour with some progress. */
    const parkFirst = async () => {
      await runs.enqueue(
        ['a1', 'a2'].map((id) => buildRun({ id, lane: 'A' })),
        T0,
      );
      await runs.claim('w', 1, LEASE, T0);
      await runs.park('a1', 'w', { until: T0 + HOUR, progress: { next: 2, results: { n: 1 } } }, T0 + 1);
    };

    it('takes a parked run out of its lane: the next run of the lane proceeds at once', async () => {
      await parkFirst();
      expect(await runs.get('a1')).toMatchObject({
        state: 'parked',
        runAt: T0 + HOUR,
        progress: { next: 2, results: { n: 1 } },
      });
      expect((await runs.get('a1'))?.leaseOwner).toBeUndefined();
      expect(await claimIds('w', 10, T0 + 2)).toEqual(['a2']);
      expect((await runs.list({ state: 'parked' })).map((r) => r.run.id)).toEqual(['a1']);
      expect(await runs.stats(T0 + 2)).toMatchObject({ depth: 1, parked: 1 });
    });

    it('wakes a parked run when it is due, at the end of its lane, with the reason', async () => {
      await parkFirst();
      await runs.enqueue([buildRun({ id: 'a3', lane: 'A' })], T0 + 2);
      expect(await claimIds('w', 10, T0 + 3)).toEqual(['a2']);
      await runs.complete('a2', 'w', 'succeeded', T0 + 4);
      expect(await claimIds('w', 10, T0 + HOUR - 1)).toEqual(['a3']);
      // Due now: back in lane A behind a3, which was enqueued while a1 waited and is running.
      expect(await claimIds('w', 10, T0 + HOUR)).toEqual([]);
      expect(await runs.get('a1')).toMatchObject({ state: 'queued', wake: { reason: 'due', at: T0 + HOUR } });
      await runs.complete('a3', 'w', 'succeeded', T0 + HOUR + 1);
      const [woken] = await runs.claim('w', 10, LEASE, T0 + HOUR + 2);
      expect(woken).toMatchObject({
        run: { id: 'a1' },
        state: 'running',
        wake: { reason: 'due', at: T0 + HOUR },
        progress: { next: 2, results: { n: 1 } },
        nextAction: 0,
      });
      expect(await runs.stats(T0 + HOUR + 2)).toMatchObject({ parked: 0, depth: 1 });
    });

    it('is claimable at once when it wakes into an idle lane', async () => {
      await runs.enqueue([buildRun({ id: 'a1', lane: 'A' })], T0);
      await runs.claim('w', 1, LEASE, T0);
      await runs.park('a1', 'w', { until: T0 + 500, progress: null }, T0 + 1);
      expect(await claimIds('w', 1, T0 + 499)).toEqual([]);
      expect(await claimIds('w', 1, T0 + 500)).toEqual(['a1']);
      expect((await runs.get('a1'))?.progress).toBeUndefined();
    });

    it('resumes a parked run once, with the data given, however many resumes race', async () => {
      await parkFirst();
      const decision = { decision: 'approved', approver: 'ou_1', at: T0 + 10 };
      const answers = await Promise.all([
        runs.resume('a1', { data: decision }, T0 + 10),
        runs.resume('a1', { data: { decision: 'rejected' } }, T0 + 10),
      ]);
      expect(answers.filter(Boolean)).toHaveLength(1);
      const record = await runs.get('a1');
      expect(record?.state).toBe('queued');
      expect(record?.wake?.reason).toBe('resumed');
      expect(record?.wake?.at).toBe(T0 + 10);
      expect(await runs.resume('a1', {}, T0 + 11)).toBe(false);
      // a2 is still the lane's head: a1 waits behind it.
      expect(await claimIds('w', 10, T0 + 12)).toEqual(['a2']);
      await runs.complete('a2', 'w', 'succeeded', T0 + 13);
      const [resumed] = await runs.claim('w', 10, LEASE, T0 + 14);
      expect(resumed?.run.id).toBe('a1');
      expect([decision, { decision: 'rejected' }]).toContainEqual(resumed?.wake?.data);
      // Its time passing later wakes nothing: it is no longer parked.
      expect(await runs.resume('a1', {}, T0 + HOUR)).toBe(false);
    });

    it('refuses to resume a run that is not parked, or unknown', async () => {
      await runs.enqueue([buildRun({ id: 'q' })], T0);
      expect(await runs.resume('q', {}, T0)).toBe(false);
      await runs.claim('w', 1, LEASE, T0);
      expect(await runs.resume('q', {}, T0)).toBe(false);
      await runs.complete('q', 'w', 'succeeded', T0 + 1);
      expect(await runs.resume('q', {}, T0 + 2)).toBe(false);
      expect(await runs.resume('missing', {}, T0)).toBe(false);
      expect((await runs.get('q'))?.state).toBe('succeeded');
    });

    it('does not wake a run resumed before its time once more when the time comes', async () => {
      await parkFirst();
      await runs.resume('a1', {}, T0 + 5);
      const order: string[] = [];
      for (const at of [T0 + 6, T0 + HOUR + 1, T0 + HOUR + 2]) {
        const claimed = await runs.claim('w', 10, LEASE, at);
        for (const record of claimed) {
          order.push(record.run.id);
          await runs.complete(record.run.id, 'w', 'succeeded', at);
        }
      }
      expect(order).toEqual(['a2', 'a1']);
    });

    it('guards park and saveProgress by the lease', async () => {
      await runs.enqueue([buildRun({ id: 'r' })], T0);
      await runs.claim('w1', 1, LEASE, T0);
      await runs.claim('w2', 1, LEASE, T0 + LEASE);
      const park = await rejectionOf(
        runs.park('r', 'w1', { until: T0 + HOUR, progress: {} }, T0 + LEASE + 1),
      );
      expect(park.code).toBe('AP_LEASE_LOST');
      const save = await rejectionOf(runs.saveProgress('r', 'w1', { next: 1 }, T0 + LEASE + 1));
      expect(save.code).toBe('AP_LEASE_LOST');
      expect((await rejectionOf(runs.park('nope', 'w', { until: T0, progress: {} }, T0))).code).toBe(
        'AP_NOT_FOUND',
      );
      expect(
        (await rejectionOf(runs.park('r', 'w2', { until: -1, progress: {} }, T0 + LEASE + 1))).code,
      ).toBe('AP_STORE_BAD_INPUT');
      expect(await runs.get('r')).toMatchObject({ state: 'running', leaseOwner: 'w2' });
      expect((await runs.get('r'))?.progress).toBeUndefined();
    });

    it('keeps progress until the step is checkpointed, and wake until a step has used it', async () => {
      await runs.enqueue([buildRun({ id: 'r' })], T0);
      await runs.claim('w', 1, LEASE, T0);
      await runs.reschedule('r', 'w', T0 + 5, T0 + 1, { attempt: 2, firstAttemptAt: T0 });
      await runs.claim('w', 1, LEASE, T0 + 5);
      await runs.saveProgress('r', 'w', { items: [{ id: 7433128839025672193n }], iteration: 1 }, T0 + 6);
      expect(await runs.get('r')).toMatchObject({
        attempt: 0,
        progress: { items: [{ id: 7433128839025672193n }], iteration: 1 },
      });
      expect((await runs.get('r'))?.firstAttemptAt).toBeUndefined();
      await runs.park('r', 'w', { until: T0 + 100, progress: { iteration: 2 } }, T0 + 7);
      await runs.claim('w', 1, LEASE, T0 + 100);
      // A limiter wait after waking keeps the wake for the step that parked.
      await runs.reschedule('r', 'w', T0 + 200, T0 + 101);
      const [again] = await runs.claim('w', 1, LEASE, T0 + 200);
      expect(again).toMatchObject({ wake: { reason: 'due' }, progress: { iteration: 2 } });
      await runs.saveProgress('r', 'w', { iteration: 3 }, T0 + 201);
      expect((await runs.get('r'))?.wake).toBeUndefined();
      await runs.checkpoint('r', 'w', { index: 0, outcome: 'done', finishedAt: T0 + 202 }, T0 + 202);
      const done = await runs.get('r');
      expect(done?.progress).toBeUndefined();
      expect(done?.nextAction).toBe(1);
    });

    it('wakes many due parked runs in due order over successive claims', async () => {
      const count = 130;
      await runs.enqueue(
        Array.from({ length: count }, (_, i) => buildRun({ id: `p${i}`, lane: `L${i}` })),
        T0,
      );
      const claimed = await runs.claim('w', count, LEASE, T0);
      expect(claimed).toHaveLength(count);
      for (const [i, record] of claimed.entries()) {
        await runs.park(record.run.id, 'w', { until: T0 + 1000 + (count - i), progress: {} }, T0 + 1);
      }
      expect(await runs.stats(T0 + 2)).toMatchObject({ parked: count, depth: 0 });
      const woken: string[] = [];
      for (let round = 0; round < 5 && woken.length < count; round++) {
        woken.push(...(await claimIds('w', count, T0 + 5000 + round)));
      }
      expect(new Set(woken).size).toBe(count);
      // The ones due first (parked last) come first.
      expect(woken[0]).toBe(`p${count - 1}`);
    });
  });
}
