import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import { RunBreaker } from '../../src/loop/run-breaker.ts';
import { buildRuleIndex } from '../../src/match/rule-index.ts';
import { processEvent, type PipelineDeps } from '../../src/pipeline.ts';
import type { Rule } from '../../src/rules/rule.ts';
import type { Stores } from '../../src/store/ports.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { buildEvent, buildRule } from '../support/match-builders.ts';

const p0Rule = buildRule({
  id: 'p0',
  on: { event: 'work_item.created' },
  when: { all: [{ fact: 'work_item', path: 'fields.priority', operator: 'equal', value: 'P0' }] },
  do: [{ type: 'comment', params: { text: 'hi' } }],
});

function deps(stores: Stores, rules: Rule[], workItems: PipelineDeps['workItems']): PipelineDeps {
  return {
    rules: () => ({ index: buildRuleIndex(rules), byId: new Map(rules.map((r) => [r.id, r])) }),
    events: stores.events,
    runs: stores.runs,
    audit: stores.audit,
    state: stores.state,
    workItems,
    breaker: new RunBreaker(20, 60_000),
    engineUserKey: 'engine',
    now: () => 1_000,
  };
}

describe('processEvent', () => {
  let stores: Stores;
  beforeEach(async () => {
    stores = await openSqliteStores({ path: ':memory:', now: () => 1_000 });
  });
  afterEach(() => stores.close());

  it('matches, plans, enqueues and marks the event processed', async () => {
    const event = buildEvent({ id: 'e1' });
    await stores.events.append(event, 1_000);
    const loader: PipelineDeps['workItems'] = {
      load: async () => ({ item: { fields: { priority: 'P0' } } as never, fieldMeta: [] }),
    };
    const runs = await processEvent(event, deps(stores, [p0Rule], loader));
    expect(runs.map((r) => r.ruleId)).toEqual(['p0']);
    expect((await stores.events.get('e1'))?.processedAt).toBe(1_000);
    expect((await stores.runs.list({ eventId: 'e1' })).map((r) => r.state)).toEqual(['queued']);
    const kinds = (await stores.audit.query({ eventId: 'e1' })).map((r) => r.kind);
    expect(kinds).toEqual(['event.processed', 'rule.matched', 'run.planned']);
    // The dashboard's list row: one per processed event, with the rules that matched.
    expect((await stores.views.listEvents({})).items).toEqual([
      expect.objectContaining({ eventId: 'e1', at: 1_000, candidates: 1, matchedRules: ['p0'], dead: 0 }),
    ]);
  });

  it('treats a work item the API refuses for good as unavailable, and still finishes the event', async () => {
    const event = buildEvent({ id: 'e2' });
    await stores.events.append(event, 1_000);
    const loader: PipelineDeps['workItems'] = {
      load: async () => {
        throw new AutopilotError('AP_API_PERMANENT', 'read workItem.query failed: 30005');
      },
    };
    expect(await processEvent(event, deps(stores, [p0Rule], loader))).toEqual([]);
    expect((await stores.events.get('e2'))?.processedAt).toBe(1_000);
    const [, record] = await stores.audit.query({ eventId: 'e2' });
    // Not matched, and the audit says why: the conditions could not see the work item.
    expect(record).toMatchObject({
      kind: 'rule.error',
      detail: { error: { code: 'AP_CONDITION_NEEDS_LIVE_DATA' } },
    });
  });

  it('leaves the event unprocessed when the work item read fails for now', async () => {
    const event = buildEvent({ id: 'e3' });
    await stores.events.append(event, 1_000);
    const loader: PipelineDeps['workItems'] = {
      load: async () => {
        throw new AutopilotError('AP_API_TRANSIENT', 'read workItem.query failed: 50006');
      },
    };
    await expect(processEvent(event, deps(stores, [p0Rule], loader))).rejects.toMatchObject({
      code: 'AP_API_TRANSIENT',
    });
    expect((await stores.events.get('e3'))?.processedAt).toBeUndefined();
    expect(await stores.runs.list({ eventId: 'e3' })).toEqual([]);
  });
});

describe('processEvent planning reads', () => {
  it('leaves the event for a retry when the work item a template needs cannot be read for now', async () => {
    const stores = await openSqliteStores({ path: ':memory:', now: () => 1_000 });
    try {
      const rule = buildRule({
        id: 'greet',
        on: { event: 'work_item.created' },
        do: [{ type: 'comment', params: { text: 'Thanks for {{work_item.name}}' } }],
      });
      const event = buildEvent({ id: 'e4' });
      await stores.events.append(event, 1_000);
      const loader: PipelineDeps['workItems'] = {
        load: async () => {
          throw new AutopilotError('AP_API_RATE_LIMITED', 'read workItem.query failed: 10429');
        },
      };
      await expect(processEvent(event, deps(stores, [rule], loader))).rejects.toMatchObject({
        code: 'AP_API_RATE_LIMITED',
      });
      expect((await stores.events.get('e4'))?.processedAt).toBeUndefined();
      expect(await stores.audit.query({ eventId: 'e4', kind: 'rule.error' })).toEqual([]);
    } finally {
      await stores.close();
    }
  });
});

describe('processEvent and the run breaker', () => {
  const chatty = buildRule({
    id: 'chatty',
    on: { event: '*' },
    do: [{ type: 'http', params: { url: 'https://hooks.example.com/notify' } }],
  });
  const noLoader: PipelineDeps['workItems'] = { load: async () => undefined };

  it('records every refused run, marking the one that opened the breaker', async () => {
    const stores = await openSqliteStores({ path: ':memory:', now: () => 1_000 });
    try {
      const d = { ...deps(stores, [chatty], noLoader), breaker: new RunBreaker(2, 60_000) };
      for (const id of ['b1', 'b2', 'b3', 'b4']) {
        const event = buildEvent({ id });
        await stores.events.append(event, 1_000);
        await processEvent(event, d);
      }
      const refusals = await stores.audit.query({ kind: 'breaker_open' });
      expect(refusals.map((r) => [r.eventId, r.detail?.tripped])).toEqual([
        ['b3', true],
        ['b4', false],
      ]);
      expect((await stores.runs.list({})).map((r) => r.run.eventId)).toEqual(['b1', 'b2']);
    } finally {
      await stores.close();
    }
  });

  it('never refuses events without a work item (a burst of deploy webhooks is no loop)', async () => {
    const stores = await openSqliteStores({ path: ':memory:', now: () => 1_000 });
    try {
      const d = { ...deps(stores, [chatty], noLoader), breaker: new RunBreaker(2, 60_000) };
      for (const id of ['w1', 'w2', 'w3', 'w4']) {
        const event = buildEvent({ id, type: 'webhook.deploy', source: 'webhook', workItem: undefined });
        await stores.events.append(event, 1_000);
        await processEvent(event, d);
      }
      expect(await stores.audit.query({ kind: 'breaker_open' })).toEqual([]);
      expect(await stores.runs.list({})).toHaveLength(4);
    } finally {
      await stores.close();
    }
  });
});

describe('processEvent reads', () => {
  it('does not read the work item for a rule whose conditions and actions do not use it', async () => {
    const stores = await openSqliteStores({ path: ':memory:', now: () => 1_000 });
    try {
      const rule = buildRule({
        id: 'plain',
        do: [{ type: 'comment', params: { text: 'created {{event.id}}' } }],
      });
      let reads = 0;
      const loader: PipelineDeps['workItems'] = {
        load: async () => {
          reads++;
          return undefined;
        },
      };
      const event = buildEvent({ id: 'r1' });
      await stores.events.append(event, 1_000);
      expect((await processEvent(event, deps(stores, [rule], loader))).map((r) => r.ruleId)).toEqual([
        'plain',
      ]);
      expect(reads).toBe(0);
    } finally {
      await stores.close();
    }
  });
});
