/**
 * StateStore conformance: JSON values, compare-and-set by value, one winner under contention,
 * variables changed atomically and once per op.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../../src/store/ports.ts';
import { rejectionOf, testClock, type StoreFactory, type StoreHarness } from './harness.ts';

const T0 = Date.UTC(2026, 0, 1);

export function describeStateStoreConformance(name: string, factory: StoreFactory): void {
  describe(`StateStore conformance: ${name}`, () => {
    let harness: StoreHarness;
    let state: StateStore;

    beforeEach(async () => {
      harness = await factory({ now: testClock().now });
      state = harness.stores.state;
    });
    afterEach(async () => harness.cleanup());

    it('gets what was set, JSON values of any shape, and forgets deleted keys', async () => {
      expect(await state.get('poll:proj')).toBeUndefined();
      const cursor = {
        since: 1767225600000,
        ids: ['7433128839025672193'],
        big: 7433128839025672193n,
        ok: true,
      };
      await state.set('poll:proj', cursor);
      expect(await state.get('poll:proj')).toEqual(cursor);
      for (const value of [0, 'text', null, [1, [2]], false]) {
        await state.set('k', value);
        expect(await state.get('k')).toEqual(value);
      }
      await state.delete('k');
      await state.delete('never-set');
      expect(await state.get('k')).toBeUndefined();
    });

    it('compares and sets by value: absent, equal (any key order) or different', async () => {
      expect(await state.compareAndSet('lock', undefined, { holder: 'a', n: 1 })).toBe(true);
      expect(await state.compareAndSet('lock', undefined, { holder: 'b', n: 1 })).toBe(false);
      expect(await state.compareAndSet('lock', { holder: 'b', n: 1 }, { holder: 'b', n: 2 })).toBe(false);
      expect(await state.compareAndSet('lock', { n: 1, holder: 'a' }, { holder: 'a', n: 2 })).toBe(true);
      expect(await state.get('lock')).toEqual({ holder: 'a', n: 2 });
      expect(await state.compareAndSet('absent', { n: 1 }, { n: 2 })).toBe(false);
      expect(await state.get('absent')).toBeUndefined();
    });

    it('lets exactly one of many concurrent compare-and-sets win', async () => {
      await state.set('counter', 0);
      const other = harness.openAnother ? await harness.openAnother() : harness.stores;
      try {
        const stores = [state, other.state];
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => stores[i % 2]!.compareAndSet('counter', 0, i + 1)),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(1);
      } finally {
        if (other !== harness.stores) await other.close();
      }
    });

    it('purges the keys under a prefix last set before a time, and only those', async () => {
      const clock = testClock(T0);
      const timed = await factory({ now: clock.now });
      try {
        const store = timed.stores.state;
        await store.set('causation:p:1', { depth: 1 });
        await store.set('webhook-change:p:1:status', { to: 'done' });
        clock.set(T0 + 10);
        await store.set('causation:p:2', { depth: 1 });
        await store.set('causationx', 1);
        expect(await store.purgePrefix('causation:', T0 + 5)).toBe(1);
        expect(await store.get('causation:p:1')).toBeUndefined();
        expect(await store.get('causation:p:2')).toEqual({ depth: 1 });
        expect(await store.get('webhook-change:p:1:status')).toEqual({ to: 'done' });
        expect(await store.purgePrefix('causation:', T0 + 20)).toBe(1);
        expect(await store.get('causationx')).toBe(1);
      } finally {
        await timed.cleanup();
      }
    });

    it('keeps the records a prefix purge is told to keep, whatever their age', async () => {
      const clock = testClock(T0);
      const timed = await factory({ now: clock.now });
      try {
        const store = timed.stores.state;
        await store.set('approval:run-1:0', { status: 'open', approvers: ['1'] });
        await store.set('approval:run-2:0', { status: 'decided', decision: 'approved' });
        await store.set('approval:run-3:0', { approvers: ['1'] });
        clock.set(T0 + 10);
        const keep = { field: 'status', equals: 'open' };
        expect(await store.purgePrefix('approval:', T0 + 5, keep)).toBe(2);
        expect(await store.get('approval:run-1:0')).toEqual({ status: 'open', approvers: ['1'] });
        expect(await store.get('approval:run-2:0')).toBeUndefined();
        expect(await store.get('approval:run-3:0')).toBeUndefined();
        await expect(
          store.purgePrefix('approval:', T0 + 5, { field: "status') OR 1=1 --", equals: 'open' }),
        ).rejects.toThrow(/keep.field must be a plain field name/);
      } finally {
        await timed.cleanup();
      }
    });

    it('sets and increments variables, an absent one from 0, each op applied once', async () => {
      expect(await state.updateVar('var:rule:r1:n', { kind: 'increment', by: 1 }, 'op-1')).toEqual({
        value: 1,
        repeated: false,
      });
      expect(await state.updateVar('var:rule:r1:n', { kind: 'increment', by: 2.5 }, 'op-2')).toEqual({
        value: 3.5,
        repeated: false,
      });
      // op-1 again (a step retried after a crash): the value it gave back, nothing counted.
      expect(await state.updateVar('var:rule:r1:n', { kind: 'increment', by: 1 }, 'op-1')).toEqual({
        value: 1,
        repeated: true,
      });
      expect(await state.get('var:rule:r1:n')).toBe(3.5);
      const labels = { names: ['a', 'b'], big: 7433128839025672193n };
      expect(await state.updateVar('var:space:p:labels', { kind: 'set', value: labels }, 'op-3')).toEqual({
        value: labels,
        repeated: false,
      });
      await state.updateVar('var:space:p:labels', { kind: 'set', value: 'later' }, 'op-4');
      expect(await state.updateVar('var:space:p:labels', { kind: 'set', value: 'x' }, 'op-3')).toEqual({
        value: labels,
        repeated: true,
      });
      expect(await state.get('var:space:p:labels')).toBe('later');
    });

    it('counts every one of many concurrent increments from two connections exactly once', async () => {
      const other = harness.openAnother ? await harness.openAnother() : harness.stores;
      try {
        const stores = [state, other.state];
        const updates = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            stores[i % 2]!.updateVar('var:space:p:hits', { kind: 'increment', by: 1 }, `hit-${i % 30}`),
          ),
        );
        // 30 distinct ops, 10 of them sent twice at once: 30 counted, every value seen once.
        expect(await state.get('var:space:p:hits')).toBe(30);
        const fresh = updates.filter((u) => !u.repeated).map((u) => u.value as number);
        expect(fresh.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(updates.filter((u) => u.repeated)).toHaveLength(10);
      } finally {
        if (other !== harness.stores) await other.close();
      }
    });

    it('collects digest items once each, and closes a digest so later items are refused', async () => {
      const key = 'digest:r1:3600000:chat_id:oc_x:0';
      const item = (id: string) => ({ kind: 'digest_add' as const, item: { id, text: `t-${id}`, at: 1 } });
      expect(await state.updateVar(key, item('a'), 'op-a')).toEqual({
        value: { added: true, count: 1 },
        repeated: false,
      });
      expect(await state.updateVar(key, item('b'), 'op-b')).toEqual({
        value: { added: true, count: 2 },
        repeated: false,
      });
      // The same addition retried after a crash: the answer it had, no second item.
      expect(await state.updateVar(key, item('a'), 'op-a')).toEqual({
        value: { added: true, count: 1 },
        repeated: true,
      });
      const closed = {
        items: [
          { id: 'a', text: 't-a', at: 1 },
          { id: 'b', text: 't-b', at: 1 },
        ],
        closed: true,
      };
      expect(await state.updateVar(key, { kind: 'digest_close' }, 'op-close')).toEqual({
        value: closed,
        repeated: false,
      });
      expect(await state.updateVar(key, item('c'), 'op-c')).toEqual({
        value: { added: false, count: 2 },
        repeated: false,
      });
      // The close retried: the same items, whatever came since.
      expect(await state.updateVar(key, { kind: 'digest_close' }, 'op-close')).toEqual({
        value: closed,
        repeated: true,
      });
      expect(await state.get(key)).toEqual(closed);
      const bad = { kind: 'digest_add' as const, item: { id: 'd', text: 7, at: 1 } };
      expect((await rejectionOf(state.updateVar(key, bad as never, 'op-d'))).code).toBe('AP_STORE_BAD_INPUT');
    });

    it('refuses to increment what is not a number, changing nothing', async () => {
      await state.set('var:rule:r1:label', 'text');
      const error = await rejectionOf(
        state.updateVar('var:rule:r1:label', { kind: 'increment', by: 1 }, 'op-text'),
      );
      expect(error.code).toBe('AP_VAR_NOT_NUMBER');
      expect(error.message).toMatch(/var:rule:r1:label/);
      expect(await state.get('var:rule:r1:label')).toBe('text');
      const by = await rejectionOf(
        state.updateVar('var:rule:r1:n', { kind: 'increment', by: Number.NaN }, 'op-nan'),
      );
      expect(by.code).toBe('AP_VAR_NOT_NUMBER');
      // Refused ops are not recorded: the same op may be applied once the value is fixed.
      await state.set('var:rule:r1:label', 4);
      expect(await state.updateVar('var:rule:r1:label', { kind: 'increment', by: 1 }, 'op-text')).toEqual({
        value: 5,
        repeated: false,
      });
      expect((await rejectionOf(state.updateVar('', { kind: 'set', value: 1 }, 'op'))).code).toBe(
        'AP_STORE_BAD_INPUT',
      );
      expect((await rejectionOf(state.updateVar('k', { kind: 'set', value: 1 }, ''))).code).toBe(
        'AP_STORE_BAD_INPUT',
      );
    });

    it('refuses values that are not JSON and empty keys', async () => {
      const error = await rejectionOf(state.set('k', undefined));
      expect(error.code).toBe('AP_STORE_BAD_INPUT');
      expect(error.message).toMatch(/state k/);
      expect((await rejectionOf(state.set('k', () => 1))).code).toBe('AP_STORE_BAD_INPUT');
      expect((await rejectionOf(state.set('', 1))).code).toBe('AP_STORE_BAD_INPUT');
      expect((await rejectionOf(state.compareAndSet('k', undefined, undefined))).code).toBe(
        'AP_STORE_BAD_INPUT',
      );
    });
  });
}
