/** AuditStore conformance: batch writes, every filter, both orders, retention. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord, AuditStore } from '../../../src/store/ports.ts';
import { rejectionOf, testClock, type StoreFactory, type StoreHarness } from './harness.ts';

const T0 = Date.UTC(2026, 0, 1);

const STORY: AuditRecord[] = [
  { at: T0, kind: 'event.stored', eventId: 'e1', workItem: 'proj:1' },
  {
    at: T0 + 1,
    kind: 'rule.matched',
    eventId: 'e1',
    ruleId: 'rule-a',
    workItem: 'proj:1',
    detail: { trace: [{ fact: 'status', operator: 'equal', value: 'done', result: true }] },
  },
  { at: T0 + 1, kind: 'rule.not_matched', eventId: 'e1', ruleId: 'rule-b', workItem: 'proj:1' },
  { at: T0 + 2, kind: 'run.planned', eventId: 'e1', ruleId: 'rule-a', runId: 'run-1', workItem: 'proj:1' },
  {
    at: T0 + 3,
    kind: 'action.attempted',
    eventId: 'e1',
    ruleId: 'rule-a',
    runId: 'run-1',
    workItem: 'proj:1',
    actionIndex: 0,
    detail: {
      operation: 'comment.create',
      outcome: 'done',
      durationMs: 42,
      workItemId: 7433128839025672193n,
    },
  },
  { at: T0 + 10, kind: 'event.stored', eventId: 'e2', workItem: 'proj:2' },
];

export function describeAuditStoreConformance(name: string, factory: StoreFactory): void {
  describe(`AuditStore conformance: ${name}`, () => {
    let harness: StoreHarness;
    let audit: AuditStore;

    beforeEach(async () => {
      harness = await factory({ now: testClock(T0).now });
      audit = harness.stores.audit;
      await audit.record(STORY);
    });
    afterEach(async () => harness.cleanup());

    it('returns the whole story of an event, oldest first, in recorded order on equal times', async () => {
      expect(await audit.query({ eventId: 'e1' })).toEqual(STORY.slice(0, 5));
    });

    it('filters by rule, run, work item, kind and time range', async () => {
      const kinds = async (q: Parameters<AuditStore['query']>[0]) =>
        (await audit.query(q)).map((r) => r.kind);
      expect(await kinds({ ruleId: 'rule-b' })).toEqual(['rule.not_matched']);
      expect(await kinds({ runId: 'run-1' })).toEqual(['run.planned', 'action.attempted']);
      expect(await kinds({ workItem: 'proj:2' })).toEqual(['event.stored']);
      expect(await kinds({ kind: 'event.stored' })).toHaveLength(2);
      expect(await kinds({ kind: ['rule.matched', 'rule.not_matched'], ruleId: 'rule-a' })).toEqual([
        'rule.matched',
      ]);
      expect(await kinds({ since: T0 + 2, until: T0 + 10 })).toEqual(['run.planned', 'action.attempted']);
      expect(await kinds({ kind: [] })).toEqual([]);
    });

    it('returns newest first on request, and honours the limit', async () => {
      const newest = await audit.query({ order: 'newest', limit: 3 });
      expect(newest).toEqual([STORY[5], STORY[4], STORY[3]]);
      expect(await audit.query({ eventId: 'e1', order: 'newest', since: T0 + 1, until: T0 + 2 })).toEqual([
        STORY[2],
        STORY[1],
      ]);
      expect((await rejectionOf(audit.query({ limit: 0 }))).code).toBe('AP_STORE_BAD_INPUT');
    });

    it('stores a batch all or nothing', async () => {
      const bad = [
        { at: T0 + 20, kind: 'run.succeeded' as const, runId: 'ok' },
        { at: T0 + 20 } as AuditRecord,
      ];
      expect((await rejectionOf(audit.record(bad))).code).toBe('AP_STORE_BAD_INPUT');
      expect(await audit.query({ runId: 'ok' })).toEqual([]);
      await audit.record([]);
      expect(await audit.query({})).toHaveLength(STORY.length);
    });

    it('purges records older than the cut', async () => {
      expect(await audit.purge(T0 + 2)).toBe(3);
      expect((await audit.query({})).map((r) => r.at)).toEqual([T0 + 2, T0 + 3, T0 + 10]);
    });
  });
}
