/** EventLog conformance: dedupe that outlives processing, leased claims, retention. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../../src/store/ports.ts';
import { buildEvent, rejectionOf, testClock, type StoreFactory, type StoreHarness } from './harness.ts';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const LEASE = 30_000;

export function describeEventLogConformance(name: string, factory: StoreFactory): void {
  describe(`EventLog conformance: ${name}`, () => {
    let harness: StoreHarness;
    let events: EventLog;
    const clock = testClock(T0);

    beforeEach(async () => {
      clock.set(T0);
      harness = await factory({ now: clock.now });
      events = harness.stores.events;
    });
    afterEach(async () => harness.cleanup());

    const claimIds = async (owner: string, limit: number, now: number) =>
      (await events.claimUnprocessed(owner, limit, LEASE, now)).map((stored) => stored.event.id);

    it('stores an event once per id', async () => {
      const event = buildEvent({ id: 'e1' });
      expect(await events.append(event, T0)).toEqual({ inserted: true });
      expect(await events.append({ ...event, type: 'work_item.updated' }, T0 + 1)).toEqual({
        inserted: false,
      });
      expect(await events.get('e1')).toEqual({ event, receivedAt: T0 });
      expect(await events.get('e2')).toBeUndefined();
      expect(await events.pendingCount()).toBe(1);
    });

    it('stores one change once, under its delivery id or its change id, whichever comes first', async () => {
      const webhook = buildEvent({ id: 'uuid-1', changeId: 'change:a' });
      const record = buildEvent({ id: 'change:a', source: 'op_record' });
      expect(await events.append(webhook, T0)).toEqual({ inserted: true });
      expect(await events.append(record, T0 + 1)).toEqual({ inserted: false });
      expect(await events.append({ ...webhook, id: 'uuid-2' }, T0 + 2)).toEqual({ inserted: false });
      // The other order: the record first, its late webhook is the duplicate.
      expect(await events.append(buildEvent({ id: 'change:b', source: 'op_record' }), T0)).toEqual({
        inserted: true,
      });
      expect(await events.append(buildEvent({ id: 'uuid-3', changeId: 'change:b' }), T0 + 1)).toEqual({
        inserted: false,
      });
      // A refused alias leaves nothing behind: the delivery id stays free.
      expect(await events.append(buildEvent({ id: 'uuid-3' }), T0 + 2)).toEqual({ inserted: true });
      expect((await events.get('uuid-1'))?.event.changeId).toBe('change:a');
      expect(await events.get('change:a')).toBeUndefined();
      expect(await events.pendingCount()).toBe(3);
    });

    it('lists the events received in a window, in arrival order, page by page', async () => {
      for (let i = 0; i < 7; i++) await events.append(buildEvent({ id: `l${i}` }), T0 + i * HOUR);
      expect(events.listReceived).toBeDefined();
      const list = events.listReceived?.bind(events) as NonNullable<EventLog['listReceived']>;
      const first = await list({ since: T0 + HOUR, until: T0 + 6 * HOUR, limit: 3 });
      expect(first.events.map((e) => e.event.id)).toEqual(['l1', 'l2', 'l3']);
      const second = await list({ since: T0 + HOUR, until: T0 + 6 * HOUR, limit: 3, after: first.next });
      expect(second.events.map((e) => e.event.id)).toEqual(['l4', 'l5']);
      expect(second.next).toBeUndefined();
      expect(second.events[0]).toEqual({ event: buildEvent({ id: 'l4' }), receivedAt: T0 + 4 * HOUR });
      await expect(list({ since: T0, until: T0 + 1, after: 'x' })).rejects.toMatchObject({
        code: 'AP_STORE_BAD_INPUT',
      });
    });

    it('treats a Feishu event stored under its pre-namespace id as the same event', async () => {
      await events.append(buildEvent({ id: 'u-old' }), T0);
      await events.append(buildEvent({ id: 'feishu-0123abcd' }), T0);
      expect(await events.append(buildEvent({ id: 'feishu:u-old' }), T0 + 1)).toEqual({ inserted: false });
      expect(await events.append(buildEvent({ id: 'feishu:body-0123abcd' }), T0 + 1)).toEqual({
        inserted: false,
      });
      expect(await events.get('feishu:u-old')).toBeUndefined();
      // Only Feishu ids have an older form: other sources' ids and new uuids are stored as ever.
      expect(await events.append(buildEvent({ id: 'chat:u-old' }), T0 + 1)).toEqual({ inserted: true });
      expect(await events.append(buildEvent({ id: 'feishu:u-new' }), T0 + 1)).toEqual({ inserted: true });
      expect(await events.appendMany?.([buildEvent({ id: 'feishu:u-old' })], T0 + 2)).toEqual(
        events.appendMany ? [{ inserted: false }] : undefined,
      );
    });

    it('keeps arbitrary JSON payloads exactly, big ids as strings and big integers whole', async () => {
      const payload = {
        header: { uuid: 'a1b2', token: '' },
        event: {
          work_item_id: '7433128839025672193',
          raw_id: 7433128839025672193n,
          nested: [1, 2.5, null, true],
        },
        text: '需求 "quoted" \\ back\u0000slash 🚀',
        empty: {},
      };
      const event = buildEvent({ id: '7433128839025672193', payload, change: { from: 'a', to: null } });
      await events.append(event, T0);
      const stored = await events.get('7433128839025672193');
      expect(stored?.event).toEqual(event);
      expect(typeof stored?.event.id).toBe('string');
    });

    it('refuses an event without an id or with a payload that is not JSON', async () => {
      const noId = await rejectionOf(events.append(buildEvent({ id: '' }), T0));
      expect(noId.code).toBe('AP_STORE_BAD_INPUT');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const notJson = await rejectionOf(events.append(buildEvent({ id: 'c', payload: cyclic }), T0));
      expect(notJson.code).toBe('AP_STORE_BAD_INPUT');
      expect(notJson.message).toMatch(/event c/);
      expect(await events.append(buildEvent({ id: 'c' }), T0)).toEqual({ inserted: true });
    });

    it('claims unprocessed events in arrival order, leased so no one else gets them', async () => {
      for (const [i, id] of ['e1', 'e2', 'e3'].entries())
        await events.append(
          buildEvent({ id, workItem: { id: String(6437110000 + i), typeKey: 'story' } }),
          T0,
        );
      expect(await claimIds('p1', 2, T0)).toEqual(['e1', 'e2']);
      expect(await claimIds('p2', 10, T0 + 1)).toEqual(['e3']);
      expect(await claimIds('p2', 10, T0 + LEASE - 1)).toEqual([]);
      expect(await claimIds('p2', 10, T0 + LEASE)).toEqual(['e1', 'e2']);
    });

    it('stops handing out an event once it is processed; marking twice keeps the first time', async () => {
      for (const id of ['e1', 'e2']) await events.append(buildEvent({ id }), T0);
      await events.claimUnprocessed('p', 10, LEASE, T0);
      await events.markProcessed('e1', T0 + 5);
      await events.markProcessed('e1', T0 + 9);
      expect(await events.get('e1')).toMatchObject({ processedAt: T0 + 5 });
      expect(await events.pendingCount()).toBe(1);
      expect(await claimIds('p', 10, T0 + LEASE)).toEqual(['e2']);
    });

    it('says which event is unknown when marking it processed', async () => {
      const error = await rejectionOf(events.markProcessed('ghost', T0));
      expect(error.code).toBe('AP_NOT_FOUND');
      expect(error.message).toMatch(/ghost/);
    });

    it('purges only processed events older than the cut and keeps deduplicating their ids for 72 h', async () => {
      for (const id of ['old-done', 'old-pending', 'new-done']) {
        await events.append(buildEvent({ id }), id.startsWith('old') ? T0 : T0 + 2 * HOUR);
      }
      await events.markProcessed('old-done', T0 + 1);
      await events.markProcessed('new-done', T0 + 2 * HOUR);
      clock.set(T0 + 3 * HOUR);
      expect(await events.purge(T0 + HOUR)).toBe(1);
      expect(await events.get('old-done')).toBeUndefined();
      expect(await events.get('old-pending')).toBeDefined();
      expect(await events.get('new-done')).toBeDefined();
      expect(await events.append(buildEvent({ id: 'old-done' }), T0 + 3 * HOUR)).toEqual({ inserted: false });

      clock.set(T0 + 73 * HOUR);
      await events.purge(T0 + 73 * HOUR);
      expect(await events.append(buildEvent({ id: 'old-done' }), T0 + 73 * HOUR)).toEqual({ inserted: true });
      expect(await events.append(buildEvent({ id: 'old-pending' }), T0 + 73 * HOUR)).toEqual({
        inserted: false,
      });
    });

    it('never hands one event to two processors at once', async () => {
      for (let i = 0; i < 60; i++) await events.append(buildEvent({ id: `e${i}` }), T0);
      const other = harness.openAnother ? await harness.openAnother() : harness.stores;
      try {
        const seen: string[] = [];
        const processor = async (owner: string, log: EventLog) => {
          for (;;) {
            const claimed = await log.claimUnprocessed(owner, 3, LEASE, T0 + 1);
            if (claimed.length === 0) return;
            for (const stored of claimed) {
              seen.push(stored.event.id);
              await log.markProcessed(stored.event.id, T0 + 2);
            }
          }
        };
        await Promise.all([processor('p1', events), processor('p2', other.events)]);
        expect(seen).toHaveLength(60);
        expect(new Set(seen).size).toBe(60);
        expect(await events.pendingCount()).toBe(0);
      } finally {
        if (other !== harness.stores) await other.close();
      }
    });

    it('counts claims until a verdict, and takes back a claim whose failure was not the event itself', async () => {
      await events.append(buildEvent({ id: 'e1' }), T0);
      const claim = async (now: number) => (await events.claimUnprocessed('p', 10, LEASE, now))[0];
      expect((await claim(T0))?.claims).toBe(1);
      expect((await claim(T0 + LEASE))?.claims).toBe(2); // its processor stopped: still counted
      const bug = { code: 'AP_INTERNAL', message: 'TypeError: x is undefined' };
      await events.recordFailure('e1', { error: bug, counted: true }, T0 + LEASE + 1);
      expect(await events.get('e1')).toMatchObject({ claims: 2, lastError: bug });
      expect(await claim(T0 + LEASE)).toBeUndefined(); // the lease still holds after a failure
      expect((await claim(T0 + 2 * LEASE))?.claims).toBe(3);
      const outage = { code: 'AP_API_TRANSIENT', message: 'read failed: 502' };
      await events.recordFailure('e1', { error: outage, counted: false }, T0 + 2 * LEASE + 1);
      expect(await events.get('e1')).toMatchObject({ claims: 2, lastError: outage });
      await events.recordFailure('e1', { counted: true }, T0 + 2 * LEASE + 2);
      expect((await events.get('e1'))?.lastError).toEqual(outage); // no new error: the last one stays
      await events.markProcessed('e1', T0 + 2 * LEASE + 3);
      expect((await events.get('e1'))?.claims).toBeUndefined();
    });

    it("keeps a work item's events in order: a later one waits while an earlier one is leased", async () => {
      const item = (id: string) => ({ id, typeKey: 'story' });
      await events.append(buildEvent({ id: 'x1', workItem: item('6437110001') }), T0);
      await events.append(buildEvent({ id: 'y1', workItem: item('6437110002') }), T0);
      expect(await claimIds('p1', 10, T0)).toEqual(['x1', 'y1']);
      await events.append(buildEvent({ id: 'x2', workItem: item('6437110001') }), T0 + 1);
      await events.append(buildEvent({ id: 'y2', workItem: item('6437110002') }), T0 + 1);
      await events.append(buildEvent({ id: 'n1', workItem: undefined }), T0 + 1);
      await events.markProcessed('y1', T0 + 2);
      // x1 waits for its retry: x2 waits behind it; y2 and the event without a work item go on.
      const outage = { code: 'AP_API_TRANSIENT', message: 'read failed: 502' };
      await events.recordFailure('x1', { error: outage, counted: false, retryAt: T0 + 10 }, T0 + 2);
      expect(await claimIds('p2', 10, T0 + 3)).toEqual(['y2', 'n1']);
      // At its retry x1 comes back first, and x2 with it (one processor takes them in order).
      expect(await claimIds('p2', 10, T0 + 10)).toEqual(['x1', 'x2']);
      // A dead-lettered event holds nothing up.
      await events.append(buildEvent({ id: 'x3', workItem: item('6437110001') }), T0 + 11);
      await events.deadLetter('x1', { code: 'AP_POISON', message: 'poison' }, T0 + 12);
      await events.markProcessed('x2', T0 + 12);
      expect(await claimIds('p3', 10, T0 + 13)).toEqual(['x3']);
    });

    it('makes a failed event claimable again at its retry time when that is sooner than its lease', async () => {
      await events.append(buildEvent({ id: 'e1' }), T0);
      await events.claimUnprocessed('p', 10, LEASE, T0);
      const outage = { code: 'AP_API_TRANSIENT', message: 'read failed: 502' };
      await events.recordFailure('e1', { error: outage, counted: false, retryAt: T0 + 10 }, T0 + 1);
      expect(await claimIds('p', 10, T0 + 9)).toEqual([]);
      expect(await claimIds('p', 10, T0 + 10)).toEqual(['e1']);
      // A retry later than the lease never holds the event longer.
      await events.recordFailure('e1', { counted: false, retryAt: T0 + 10 + 2 * LEASE }, T0 + 11);
      expect(await claimIds('p', 10, T0 + 10 + LEASE)).toEqual(['e1']);
      expect((await rejectionOf(events.recordFailure('e1', { counted: false, retryAt: -1 }, T0))).code).toBe(
        'AP_STORE_BAD_INPUT',
      );
    });

    it('dead-letters a poison event: never claimed again, not pending, listed with its error, then requeued or dropped', async () => {
      for (const id of ['poison', 'fine', 'other']) await events.append(buildEvent({ id }), T0);
      await events.claimUnprocessed('p', 10, LEASE, T0);
      const error = { code: 'AP_POISON', message: 'claimed 5 times without finishing' };
      await events.deadLetter('poison', error, T0 + 1);
      await events.deadLetter('other', error, T0 + 2);
      expect(await events.pendingCount()).toBe(1);
      expect(await claimIds('p', 10, T0 + LEASE)).toEqual(['fine']);
      expect((await events.listDead()).map((s) => [s.event.id, s.deadAt, s.lastError, s.claims])).toEqual([
        ['poison', T0 + 1, error, 1],
        ['other', T0 + 2, error, 1],
      ]);
      expect((await events.listDead(1)).map((s) => s.event.id)).toEqual(['poison']);
      await events.markProcessed('poison', T0 + 3); // a processor that finished late changes nothing
      expect((await events.get('poison'))?.processedAt).toBeUndefined();

      expect(await events.requeueDead('poison', T0 + 4)).toBe(true);
      expect(await events.requeueDead('poison', T0 + 4)).toBe(false);
      const again = await events.claimUnprocessed('p', 10, LEASE, T0 + 2 * LEASE);
      expect(again.map((s) => [s.event.id, s.claims])).toEqual([
        ['poison', 1],
        ['fine', 3],
      ]);
      expect(await events.dropDead('other')).toBe(true);
      expect(await events.dropDead('other')).toBe(false);
      expect(await events.dropDead('fine')).toBe(false); // only dead events are dropped
      expect(await events.listDead()).toEqual([]);
      expect(await events.append(buildEvent({ id: 'other' }), T0 + 5)).toEqual({ inserted: false });
    });

    it('keeps dead-lettered events through purges, until they are retried or dropped', async () => {
      await events.append(buildEvent({ id: 'dead' }), T0);
      await events.deadLetter('dead', { code: 'AP_POISON', message: 'x' }, T0 + 1);
      clock.set(T0 + 3 * HOUR);
      expect(await events.purge(T0 + HOUR)).toBe(0);
      expect((await events.listDead()).map((s) => s.event.id)).toEqual(['dead']);
    });

    it('refuses to record a failure of, or to dead-letter, an event that is not waiting to be processed', async () => {
      await events.append(buildEvent({ id: 'done' }), T0);
      await events.markProcessed('done', T0 + 1);
      const error = { code: 'AP_POISON', message: 'x' };
      for (const attempt of [
        () => events.recordFailure('ghost', { counted: true }, T0),
        () => events.recordFailure('done', { counted: true }, T0),
        () => events.deadLetter('ghost', error, T0),
        () => events.deadLetter('done', error, T0),
      ]) {
        expect((await rejectionOf(attempt())).code).toBe('AP_NOT_FOUND');
      }
      expect((await rejectionOf(events.listDead(0))).code).toBe('AP_STORE_BAD_INPUT');
    });

    it('refuses a claim with a non-positive limit or lease', async () => {
      expect((await rejectionOf(events.claimUnprocessed('p', 0, LEASE, T0))).code).toBe('AP_STORE_BAD_INPUT');
      expect((await rejectionOf(events.claimUnprocessed('p', 1, -5, T0))).code).toBe('AP_STORE_BAD_INPUT');
    });
  });
}
