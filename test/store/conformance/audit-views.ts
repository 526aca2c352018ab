/** AuditViews conformance: the event list (filters, paging), hourly counts, last per rule, paged records. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COUNT_BUCKET_MS, type AuditRecord, type AuditViews, type Stores } from '../../../src/store/ports.ts';
import { rejectionOf, testClock, type StoreFactory, type StoreHarness } from './harness.ts';

const HOUR = COUNT_BUCKET_MS;
const T0 = Date.UTC(2026, 0, 1);

function processed(at: number, eventId: string, type: string, item: string, rules: string[], name?: string) {
  return [
    {
      at,
      kind: 'event.processed',
      eventId,
      workItem: item,
      detail: {
        type,
        source: 'feishu',
        candidates: 2,
        matchedRules: rules,
        ...(name ? { workItemName: name } : {}),
      },
    },
    ...['rule-a', 'rule-b'].map((ruleId) => ({
      at,
      kind: rules.includes(ruleId) ? 'rule.matched' : 'rule.not_matched',
      eventId,
      ruleId,
      workItem: item,
    })),
  ] as AuditRecord[];
}

export function describeAuditViewsConformance(name: string, factory: StoreFactory): void {
  describe(`AuditViews conformance: ${name}`, () => {
    let harness: StoreHarness;
    let stores: Stores;
    let views: AuditViews;

    beforeEach(async () => {
      harness = await factory({ now: testClock(T0).now });
      stores = harness.stores;
      views = stores.views;
      await stores.audit.record([
        ...processed(T0, 'e1', 'work_item.created', 'demo:1', ['rule-a'], 'Login <b>fails</b>'),
        ...processed(T0 + 1, 'e2', 'work_item.updated', 'demo:1', []),
        ...processed(T0 + HOUR, 'e3', 'work_item.created', 'demo:2', ['rule-a', 'rule-b'], '支付失败'),
      ]);
      await stores.audit.record([
        { at: T0 + HOUR + 5, kind: 'run.dead_lettered', eventId: 'e3', ruleId: 'rule-b', runId: 'r3b' },
        { at: T0 + HOUR + 6, kind: 'run.succeeded', eventId: 'e3', ruleId: 'rule-a', runId: 'r3a' },
      ]);
    });
    afterEach(async () => harness.cleanup());

    const ids = async (q: Parameters<AuditViews['listEvents']>[0]) =>
      (await views.listEvents(q)).items.map((e) => e.eventId);

    it('lists processed events newest first with what matched and how their runs ended', async () => {
      const { items, next } = await views.listEvents({});
      expect(next).toBeUndefined();
      expect(items.map((e) => e.eventId)).toEqual(['e3', 'e2', 'e1']);
      expect(items[0]).toEqual({
        eventId: 'e3',
        at: T0 + HOUR,
        type: 'work_item.created',
        source: 'feishu',
        workItem: 'demo:2',
        workItemName: '支付失败',
        candidates: 2,
        matchedRules: ['rule-a', 'rule-b'],
        succeeded: 1,
        dead: 1,
      });
    });

    it('filters by type, work item, rule, status, text and time', async () => {
      expect(await ids({ type: 'work_item.created' })).toEqual(['e3', 'e1']);
      expect(await ids({ workItem: 'demo:1' })).toEqual(['e2', 'e1']);
      expect(await ids({ ruleId: 'rule-b' })).toEqual(['e3', 'e2', 'e1']);
      expect(await ids({ ruleId: 'rule-b', status: 'unmatched' })).toEqual(['e2']);
      expect(await ids({ status: 'matched' })).toEqual(['e3', 'e1']);
      expect(await ids({ status: 'failed' })).toEqual(['e3']);
      expect(await ids({ text: 'e2' })).toEqual(['e2']);
      expect(await ids({ text: '2' })).toEqual(['e3']);
      expect(await ids({ text: 'LOGIN <b>' })).toEqual(['e1']);
      expect(await ids({ text: '支付' })).toEqual(['e3']);
      expect(await ids({ since: T0 + 1, until: T0 + HOUR })).toEqual(['e2']);
      expect(await ids({ ruleId: 'rule-a', since: T0 + HOUR })).toEqual(['e3']);
    });

    it('pages with a cursor, without gaps or repeats', async () => {
      const first = await views.listEvents({ limit: 2 });
      expect(first.items.map((e) => e.eventId)).toEqual(['e3', 'e2']);
      expect(await ids({ limit: 2, before: first.next })).toEqual(['e1']);
      const byRule = await views.listEvents({ ruleId: 'rule-a', limit: 1 });
      expect(await ids({ ruleId: 'rule-a', limit: 5, before: byRule.next })).toEqual(['e2', 'e1']);
      expect((await rejectionOf(views.listEvents({ before: 'nonsense' }))).code).toBe('AP_STORE_BAD_INPUT');
    });

    it('lists an event processed twice (after a crash) once, and a requeued dead letter no longer as failed', async () => {
      await stores.audit.record(processed(T0 + 2 * HOUR, 'e1', 'work_item.created', 'demo:1', ['rule-a']));
      expect(await ids({})).toEqual(['e1', 'e3', 'e2']);
      expect(await ids({ ruleId: 'rule-a' })).toEqual(['e1', 'e3', 'e2']);
      expect((await views.listEvents({ text: 'e1' })).items[0]?.workItemName).toBe('Login <b>fails</b>');
      await stores.audit.record([{ at: T0 + 3 * HOUR, kind: 'run.requeued', eventId: 'e3', runId: 'r3b' }]);
      expect(await ids({ status: 'failed' })).toEqual([]);
    });

    it('counts records per hour and kind, in total and per rule, and knows the last of each rule', async () => {
      const totals = await views.counts({ since: T0 });
      expect(totals.find((c) => c.bucket === T0 && c.kind === 'event.processed')).toEqual({
        bucket: T0,
        kind: 'event.processed',
        n: 2,
        lastAt: T0 + 1,
      });
      expect(totals.find((c) => c.bucket === T0 + HOUR && c.kind === 'run.dead_lettered')?.n).toBe(1);
      const perRule = await views.counts({ since: T0 + HOUR, perRule: true });
      expect(perRule.filter((c) => c.kind === 'rule.matched').map((c) => [c.ruleId, c.n])).toEqual(
        expect.arrayContaining([
          ['rule-a', 1],
          ['rule-b', 1],
        ]),
      );
      expect(await views.counts({ since: T0, perRule: true, summed: true })).toEqual(
        expect.arrayContaining([
          { bucket: T0, kind: 'rule.matched', ruleId: 'rule-a', n: 2, lastAt: T0 + HOUR },
          { bucket: T0, kind: 'rule.not_matched', ruleId: 'rule-b', n: 2, lastAt: T0 + 1 },
        ]),
      );
      expect(await views.counts({ since: T0, until: T0 + HOUR, ruleId: 'rule-b' })).toEqual([
        { bucket: T0, kind: 'rule.not_matched', ruleId: 'rule-b', n: 2, lastAt: T0 + 1 },
      ]);
      expect(await views.lastPerRule('rule.matched')).toEqual(
        new Map([
          ['rule-a', T0 + HOUR],
          ['rule-b', T0 + HOUR],
        ]),
      );
    });

    it('returns the newest problems', async () => {
      await stores.audit.record([{ at: T0 + 2 * HOUR, kind: 'rule.error', eventId: 'e9', ruleId: 'rule-a' }]);
      expect((await views.problems(5)).map((r) => [r.kind, r.eventId])).toEqual([
        ['rule.error', 'e9'],
        ['run.dead_lettered', 'e3'],
      ]);
    });

    it('pages records newest first', async () => {
      const first = await views.page({ ruleId: 'rule-a', limit: 2 });
      expect(first.items.map((r) => [r.eventId, r.kind])).toEqual([
        ['e3', 'run.succeeded'],
        ['e3', 'rule.matched'],
      ]);
      const second = await views.page({ ruleId: 'rule-a', limit: 2, before: first.next });
      expect(second.items.map((r) => r.eventId)).toEqual(['e2', 'e1']);
      expect(second.next).toBeUndefined();
    });

    it('purges the summaries with the records', async () => {
      await stores.audit.purge(T0 + HOUR);
      expect(await ids({})).toEqual(['e3']);
      expect((await views.counts({ since: 0 })).every((c) => c.bucket >= T0 + HOUR)).toBe(true);
    });
  });
}
