/**
 * The executor against the simulator, with the real client and the real SQLite stores:
 * exactly-once effects under chaos, no 10429 as the only client, dead letters that keep the
 * API's error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor } from '../../src/executor/executor.ts';
import type { Run } from '../../src/plan/run.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import type { Stores } from '../../src/store/ports.ts';
import { FAST_RETRY } from './support/harness.ts';
import { commentOn, commentRuns, startSimFixture, type SimFixture } from './support/sim-fixture.ts';

let fx: SimFixture | undefined;
let stores: Stores | undefined;
afterEach(async () => {
  await stores?.close();
  await fx?.close();
  stores = undefined;
  fx = undefined;
});

async function execute(
  fixture: SimFixture,
  runs: Run[],
  options: { unlimited?: boolean; concurrency?: number } = {},
) {
  stores = await openSqliteStores({ path: ':memory:' });
  await stores.runs.enqueue(runs, Date.now());
  const errors: unknown[] = [];
  const executor = createExecutor({
    runs: stores.runs,
    audit: stores.audit,
    api: fixture.client,
    rules: () => undefined,
    concurrency: options.concurrency ?? 16,
    pollMs: 10,
    retry: FAST_RETRY,
    onError: (error) => errors.push(error),
    ...(options.unlimited ? { rateLimitOf: (op: string) => ({ key: op, cls: { qps: 1000 } }) } : {}),
  });
  executor.start();
  await executor.idle();
  await executor.stop();
  expect(errors).toEqual([]);
  return stores;
}

describe('executor against the simulator', () => {
  it('applies each of 1,000 actions exactly once under chaos (50006, 5xx, resets, lost responses), losing none', async () => {
    fx = await startSimFixture({
      rateLimits: false,
      chaos: { error50006: 0.05, http5xx: 0.05, reset: 0.03, lostResponse: 0.05, seed: 7 },
    });
    const runs = commentRuns(fx.sim.credentials.projectKey, fx.workItems, 500, {
      actionsPerRun: 2,
      lanes: 40,
    });
    const s = await execute(fx, runs, { unlimited: true });

    const effects = fx.sim.effects();
    const records = await s.runs.list({ limit: 10_000 });
    const dead = records.filter((r) => r.state === 'dead');
    for (const record of records) {
      expect(['succeeded', 'dead']).toContain(record.state);
      for (const action of record.run.actions) {
        const applied = effects.by_key[action.idempotencyKey] ?? 0;
        // Finished actions were applied exactly once; a dead run's failed action at most once.
        if (action.index < record.nextAction) expect(applied).toBe(1);
        else expect(applied).toBeLessThanOrEqual(1);
      }
    }
    for (const record of dead) expect(record.lastError?.code).toMatch(/^AP_API_/);
    expect(records).toHaveLength(500);
    expect(effects.without_key).toBe(0);
    const faults = fx.sim.requests().filter((r) => r.outcome !== 'answered');
    expect(faults.filter((r) => r.outcome === 'lost').length).toBeGreaterThan(10);
    expect(fx.sim.requests({ err_code: 10430 }).length).toBeGreaterThan(10);

    // Runs of one lane were applied in event order.
    const byLane = new Map<string, number[]>();
    for (const comment of fx.sim.state.comments) {
      const m = /^lane (\d+) seq (\d+) action (\d+)$/.exec(comment.content);
      if (!m) continue;
      const list = byLane.get(m[1] as string) ?? [];
      list.push(Number(m[2]) * 10 + Number(m[3]));
      byLane.set(m[1] as string, list);
    }
    for (const sequence of byLane.values()) expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
  });

  it('never gets a 10429 as the simulator’s only client, at the catalogue’s limits', async () => {
    fx = await startSimFixture();
    const { projectKey } = fx.sim.credentials;
    const runs = commentRuns(projectKey, fx.workItems, 40, { actionsPerRun: 1, lanes: 40 });
    const s = await execute(fx, runs, { concurrency: 32 });

    expect(fx.sim.requests({ err_code: 10429 })).toEqual([]);
    expect((await s.runs.list({ state: 'succeeded' })).length).toBe(40);
    // 40 writes on one endpoint at 15/s: the limiter spread them over more than two seconds.
    const times = fx.sim.requests({ route: 'comment.create' }).map((r) => r.time);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(2000);
  });

  it('dead-letters a permanent error after exactly one attempt and keeps the API error', async () => {
    fx = await startSimFixture();
    const [run] = commentRuns(fx.sim.credentials.projectKey, fx.workItems, 1, { actionsPerRun: 2 });
    if (!run?.actions[0]) throw new Error('no run');
    run.actions[0].calls = [
      commentOn(fx.sim.credentials.projectKey, { id: '999999', typeKey: 'story' }, 'nobody'),
    ];
    const s = await execute(fx, [run]);

    const record = await s.runs.get(run.id);
    expect(record?.state).toBe('dead');
    expect(fx.sim.requests({ route: 'comment.create' })).toHaveLength(1);
    const answered = fx.sim.requests({ route: 'comment.create' })[0];
    expect(record?.lastError).toMatchObject({
      code: 'AP_API_PERMANENT',
      errCode: answered?.err_code,
      httpStatus: answered?.status,
    });
    expect(record?.lastError?.logId).toMatch(/\w+/);
    expect(record?.lastError?.errMsg).toBeTruthy();
  });
});
