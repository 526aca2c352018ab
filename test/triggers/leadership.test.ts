/**
 * Polls and schedules run only while the process leads, and state written under a newer
 * leader's fencing token stops an older leader's rounds. The elector is a hand-driven one
 * passed to the engine, as the cluster profile passes its Redis elector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenerSet, type LeaderElector } from '../../src/leader/leader-elector.ts';
import { createTriggerRunner } from '../../src/triggers/trigger-runner.ts';
import { createWebhookChangeLog } from '../../src/triggers/webhook-changes.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';

const SCHEDULE = `
id: every-minute
description: fires every minute
on:
  schedule: { cron: '* * * * *' }
do:
  - api:
      operation: user.query
      body: { user_keys: ['7400000000000000002'] }
`;

function handElector() {
  const listeners = listenerSet((error) => {
    throw error;
  });
  let token: number | undefined;
  const elector: LeaderElector & { lead(token: number): void; lose(): void } = {
    start() {},
    async stop() {
      elector.lose();
    },
    isLeader: () => token !== undefined,
    fencingToken: () => token,
    on: (_event, listener) => listeners.add(listener),
    lead(next) {
      token = next;
      listeners.emit({ leading: true, token: next });
    },
    lose() {
      if (token === undefined) return;
      token = undefined;
      listeners.emit({ leading: false });
    },
  };
  return elector;
}

let t: TriggerTestEngine;
const elector = handElector();

beforeAll(async () => {
  t = await startTriggerEngine({ rules: { 'every-minute.yaml': SCHEDULE }, elector });
});

afterAll(async () => {
  await t?.close();
});

describe('leadership', () => {
  it('runs nothing before this process leads', async () => {
    expect(t.engine.triggers.runner.leading()).toBe(false);
    expect(await t.engine.triggers.runner.runDue()).toEqual({ polls: [], schedules: [] });
    expect(await t.engine.stores.state.get('schedule:every-minute')).toBeUndefined();
  });

  it('runs while leading, writing the fencing token with its state', async () => {
    elector.lead(7);
    const report = await t.engine.triggers.runner.runDue();
    expect(report.schedules.map((s) => s.decision.kind)).toEqual(['baseline']);
    expect(await t.engine.stores.state.get('schedule:every-minute')).toMatchObject({ fencingToken: 7 });
    t.clock.advance(60_000);
    const fired = await t.engine.triggers.runner.runDue();
    expect(fired.schedules[0]?.stored).toHaveLength(1);
  });

  it('an older leader that has not noticed its loss is fenced off by the newer token', async () => {
    const errors: Array<{ code?: string; ruleId: string }> = [];
    const stale = createTriggerRunner({
      state: t.engine.stores.state,
      eventLog: t.engine.stores.events,
      read: async () => [],
      webhookChanges: createWebhookChangeLog(t.engine.stores.state, t.clock.now),
      now: t.clock.now,
      catchUpMs: 3_600_000,
      tickMs: 3_600_000,
      rules: () => ({ polls: [], schedules: [...t.engine.rules.current.rules] }),
      onStored: () => {},
      onError: (error, ruleId) => errors.push({ code: (error as { code?: string }).code, ruleId }),
    });
    stale.start(3);
    t.clock.advance(60_000);
    const report = await stale.runDue();
    await stale.stop();
    expect(report.schedules).toEqual([]);
    expect(errors).toEqual([{ code: 'AP_LEASE_LOST', ruleId: 'every-minute' }]);
    expect(await t.engine.stores.state.get('schedule:every-minute')).toMatchObject({ fencingToken: 7 });
  });

  it('stops when leadership is lost', async () => {
    elector.lose();
    await Promise.resolve();
    expect(t.engine.triggers.runner.leading()).toBe(false);
    t.clock.advance(60_000);
    expect(await t.engine.triggers.runner.runDue()).toEqual({ polls: [], schedules: [] });
  });
});

describe('a failing round', () => {
  it('is reported, and the poll waits before trying again', async () => {
    const errors: string[] = [];
    const state = new Map<string, unknown>();
    let searches = 0;
    let at = 1_000_000;
    const runner = createTriggerRunner({
      state: {
        get: async <T>(key: string) => state.get(key) as T | undefined,
        set: async (key, value) => void state.set(key, value),
        compareAndSet: async (key, expected, value) => {
          if (JSON.stringify(state.get(key)) !== JSON.stringify(expected)) return false;
          state.set(key, value);
          return true;
        },
        delete: async (key) => void state.delete(key),
        purgePrefix: async () => 0,
        updateVar: () => Promise.reject(new Error('triggers keep no variables')),
      },
      eventLog: { append: async () => ({ inserted: true }) } as never,
      read: async () => {
        searches++;
        throw new Error('search refused');
      },
      webhookChanges: { record: async () => {}, seen: async () => false },
      now: () => at,
      catchUpMs: 0,
      tickMs: 3_600_000,
      retryMs: 30_000,
      rules: () => ({
        polls: [
          {
            id: 'p',
            enabled: true,
            mode: 'live',
            allow_self: false,
            do: [],
            version: 'v',
            source: { file: 'p.yaml' },
            on: { poll: { every: '1m', search: { project: 'demo', work_item_type: 'issue' } } },
          },
        ],
        schedules: [],
      }),
      onStored: () => {},
      onError: (error) => errors.push((error as Error).message),
    });
    runner.start(1);
    await runner.runDue();
    expect(errors).toEqual(['search refused']);
    at += 10_000;
    await runner.runDue();
    expect(searches).toBe(1);
    at += 30_000;
    await runner.runDue();
    expect(searches).toBe(2);
    await runner.stop();
  });
});
