/**
 * Poison runs: a run whose processing throws by its own fault every time, or stops its process
 * every time, is dead-lettered with `AP_POISON` after `maxClaims` claims without progress; a
 * store failing never counts against a run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import type { PlannedAction, Run } from '../../src/plan/run.ts';
import type { AuditStore, RunQueue } from '../../src/store/ports.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { buildAction, buildRun } from './support/builders.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const LEASE_MS = 100;
const MAX_CLAIMS = 3;

/** A for_each step stored without params (as an older engine or a bug could store it): it throws a TypeError. */
function brokenRun(): Run {
  const step = { ...buildAction({ index: 0 }), type: 'for_each', params: null } as unknown as PlannedAction;
  return buildRun({ actions: [step] });
}

async function deadRun(harness: Harness, id: string) {
  await expect
    .poll(async () => (await harness.stores.runs.get(id))?.state, { timeout: 20_000, interval: 20 })
    .toBe('dead');
  return (await harness.stores.runs.get(id))!;
}

describe('poison runs', () => {
  it('dead-letters a run whose processing throws every time, after maxClaims claims, with its last error', async () => {
    h = await startHarness({ leaseMs: LEASE_MS, maxClaims: MAX_CLAIMS });
    const run = brokenRun();
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();

    const dead = await deadRun(h, run.id);
    expect(dead.lastError?.code).toBe('AP_POISON');
    expect(dead.lastError?.message).toMatch(
      new RegExp(`^claimed ${MAX_CLAIMS} times without finishing; last error: AP_INTERNAL: TypeError: `),
    );
    // each claim's throw reached the executor's error handler, no more
    expect(h.errors.filter((e) => e instanceof TypeError)).toHaveLength(MAX_CLAIMS);
    const audit = await h.stores.audit.query({ runId: run.id, kind: 'run.dead_lettered' });
    expect(audit).toEqual([
      expect.objectContaining({ actionIndex: 0, detail: expect.objectContaining({ error: dead.lastError }) }),
    ]);
    expect(h.api.calls).toHaveLength(0);
  });

  it('dead-letters a run that stopped its process maxClaims times, on the next claim, before running it', async () => {
    h = await startHarness({ leaseMs: LEASE_MS, maxClaims: MAX_CLAIMS });
    h.api.on('comment.create', { class: 'ok', data: {} });
    const run = buildRun();
    await h.stores.runs.enqueue([run], 1000);
    // three processes claimed it and died with it: their leases ran out
    for (let i = 0; i < MAX_CLAIMS; i++) await h.stores.runs.claim(`gone-${i}`, 1, 10, 1000 + i * 10);
    h.executor.start();

    const dead = await deadRun(h, run.id);
    expect(dead.lastError).toEqual({
      code: 'AP_POISON',
      message: `claimed ${MAX_CLAIMS} times without finishing: its processing stopped the process every time`,
    });
    expect(h.api.calls).toHaveLength(0);
    expect(await h.stores.audit.query({ runId: run.id, kind: 'run.dead_lettered' })).toHaveLength(1);
  });

  it('runs a run that stopped its process fewer times, and forgets its claims once it progressed', async () => {
    h = await startHarness({ leaseMs: LEASE_MS, maxClaims: MAX_CLAIMS });
    h.api.on('comment.create', { class: 'ok', data: {} });
    const run = buildRun();
    await h.stores.runs.enqueue([run], 1000);
    for (let i = 0; i < MAX_CLAIMS - 1; i++) await h.stores.runs.claim(`gone-${i}`, 1, 10, 1000 + i * 10);
    h.executor.start();
    await h.executor.idle();

    const record = await h.stores.runs.get(run.id);
    expect(record?.state).toBe('succeeded');
    expect(record?.claims).toBeUndefined();
    expect(h.api.calls).toHaveLength(1);
  });

  it('does not dead-letter a run that already ended when a later write throws', async () => {
    const own = await openSqliteStores({ path: ':memory:' });
    // The audit of the success throws a TypeError (a bug) after the run was completed.
    const audit: AuditStore = {
      record: async (entries) => {
        if (entries.some((e) => e.kind === 'run.succeeded')) throw new TypeError('audit bug');
        await own.audit.record(entries);
      },
      query: (q) => own.audit.query(q),
      purge: (olderThan) => own.audit.purge(olderThan),
    };
    h = await startHarness({ leaseMs: LEASE_MS, maxClaims: 1, audit });
    h.api.on('comment.create', { class: 'ok', data: {} });
    const run = buildRun();
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();
    await h.executor.idle();
    await expect.poll(() => h.errors.some((e) => e instanceof TypeError), { timeout: 20_000 }).toBe(true);

    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
    expect(await own.audit.query({ runId: run.id, kind: 'run.dead_lettered' })).toEqual([]);
    await own.close();
  });

  it('never counts a store failure: the claim is taken back and the run finishes once the store answers', async () => {
    let failures = 5 * MAX_CLAIMS;
    const flaky = (real: RunQueue): RunQueue =>
      new Proxy(real, {
        get(target, property) {
          if (property === 'checkpoint' && failures-- > 0) {
            return () => Promise.reject(new AutopilotError('AP_STORE', 'database is locked'));
          }
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
    // a short lease: the failed run comes back after it
    h = await startHarness({ leaseMs: 20, maxClaims: MAX_CLAIMS }, flaky);
    h.api.on('comment.create', { class: 'ok', data: {} });
    const run = buildRun();
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();

    await expect
      .poll(async () => (await h.stores.runs.get(run.id))?.state, { timeout: 20_000, interval: 20 })
      .toBe('succeeded');
    expect(failures).toBeLessThan(0);
    expect(h.errors.filter((e) => (e as { code?: string }).code === 'AP_STORE')).toHaveLength(5 * MAX_CLAIMS);
  });

  it('tries a run whose processing threw again after the backoff, not after its lease', async () => {
    // A lease of a minute: before, each of the 3 claims waited it out (3 minutes to the dead letter).
    h = await startHarness({ leaseMs: 60_000, retryDelayMs: 10, maxClaims: MAX_CLAIMS });
    const run = brokenRun();
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();

    const dead = await deadRun(h, run.id);
    expect(dead.lastError?.code).toBe('AP_POISON');
    expect(h.errors.filter((e) => e instanceof TypeError)).toHaveLength(MAX_CLAIMS);
    expect(h.executor.retrying()).toBe(0);
  });

  it('tries a run again after the backoff when the store failed, the claim not counted', async () => {
    let failures = 2 * MAX_CLAIMS;
    const flaky = (real: RunQueue): RunQueue =>
      new Proxy(real, {
        get(target, property) {
          if (property === 'checkpoint' && failures-- > 0) {
            return () => Promise.reject(new AutopilotError('AP_STORE', 'database is locked'));
          }
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
    h = await startHarness({ leaseMs: 60_000, retryDelayMs: 10, maxClaims: MAX_CLAIMS }, flaky);
    h.api.on('comment.create', { class: 'ok', data: {} });
    const run = buildRun();
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();

    await expect
      .poll(async () => (await h.stores.runs.get(run.id))?.state, { timeout: 20_000, interval: 20 })
      .toBe('succeeded');
    expect(h.errors.filter((e) => (e as { code?: string }).code === 'AP_STORE')).toHaveLength(2 * MAX_CLAIMS);
    expect(h.executor.retrying()).toBe(0);
  });
});
