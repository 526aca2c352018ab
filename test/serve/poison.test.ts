/**
 * Poison events and runs through a running engine: an event whose processing throws every time (a
 * chat command stored in a shape this engine's code does not expect, as an older engine or a bug
 * could have stored it) is dead-lettered after `events.maxClaims` claims, with its last error, an
 * audit record, a log line and a metric; the admin API lists it, retries it and drops it. A run
 * whose processing throws every time goes the same way after `executor.maxClaims` claims.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedAction, Run } from '../../src/plan/run.ts';
import type { RunRecord, StoredEvent } from '../../src/store/ports.ts';
import { admin } from './support/admin.ts';
import { poisonEvent } from '../support/poison.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';

const MAX_CLAIMS = 2;

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({
    rules: {
      'move-command.yaml': readFileSync(new URL('../../rules/move-command.yaml', import.meta.url), 'utf8'),
    },
    configYaml: [
      `events: { leaseMs: 100, maxClaims: ${MAX_CLAIMS} }`,
      `executor: { leaseMs: 100, maxClaims: ${MAX_CLAIMS} }`,
      '',
    ].join('\n'),
  });
});
afterAll(async () => {
  await t.close();
});

async function deadEvents(): Promise<StoredEvent[]> {
  const answer = await admin(t.url, 'GET', '/api/dead-letters/events');
  expect(answer.status).toBe(200);
  return answer.body as StoredEvent[];
}

describe('poison events', () => {
  it('dead-letters an event whose processing always throws, with its last error, an audit record, a log line and a metric', async () => {
    await t.engine.stores.events.append(poisonEvent('chat:poison-1'), Date.now());
    t.engine.processor.notify();
    await expect.poll(async () => (await deadEvents()).length, { timeout: 20_000 }).toBe(1);
    const [dead] = await deadEvents();
    expect(dead).toMatchObject({
      event: { id: 'chat:poison-1' },
      claims: MAX_CLAIMS,
      lastError: { code: 'AP_POISON' },
    });
    expect(dead!.lastError!.message).toMatch(
      new RegExp(`^claimed ${MAX_CLAIMS} times without finishing; last error: AP_INTERNAL: TypeError: `),
    );
    expect(await t.engine.stores.events.pendingCount()).toBe(0);

    const trace = await admin(t.url, 'GET', `/api/events/${encodeURIComponent('chat:poison-1')}/trace`);
    expect(JSON.stringify(trace.body)).toContain('"kind":"event.dead_lettered"');
    expect(t.logs.filter((l) => l.msg?.startsWith('event dead-lettered'))).toEqual([
      expect.objectContaining({
        level: 50,
        eventId: 'chat:poison-1',
        error: expect.objectContaining({ code: 'AP_POISON' }),
      }),
    ]);
    const metrics = await admin(t.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/^autopilot_poison_total\{kind="event"\} 1$/m);
  });

  it('retries a dead-lettered event (dead again if it still fails) and drops it; unknown ones are 404', async () => {
    const id = encodeURIComponent('chat:poison-1');
    const retried = await admin(t.url, 'POST', `/api/dead-letters/events/${id}/retry`);
    expect(retried).toMatchObject({ status: 200, body: { ok: true, requeued: 'chat:poison-1' } });
    expect(await deadEvents()).toEqual([]);
    await expect.poll(async () => (await deadEvents()).length, { timeout: 20_000 }).toBe(1);

    expect((await admin(t.url, 'DELETE', `/api/dead-letters/events/${id}`)).status).toBe(200);
    expect(await deadEvents()).toEqual([]);
    for (const [method, path] of [
      ['DELETE', `/api/dead-letters/events/${id}`],
      ['POST', '/api/dead-letters/events/no-such-event/retry'],
    ] as const) {
      const answer = await admin(t.url, method, path);
      expect(answer).toMatchObject({ status: 404, body: { error: { code: 'AP_NOT_FOUND' } } });
    }
    // dropped, the id still deduplicates a delivery of the same event
    expect(await t.engine.stores.events.append(poisonEvent('chat:poison-1'), Date.now())).toEqual({
      inserted: false,
    });
  });

  it('dead-letters a run whose processing always throws, with its last error, an audit record, a log line and a metric', async () => {
    // A for_each step stored without its params, as an older engine or a bug could store it.
    const step = {
      index: 0,
      type: 'for_each',
      params: null,
      recheck: false,
      idempotencyKey: '0b0b0b0b-0000-5000-8000-000000000001',
    } as unknown as PlannedAction;
    const run: Run = {
      id: 'poison-run-1',
      eventId: 'chat:poison-run-event',
      ruleId: 'move-command',
      ruleVersion: 'v1',
      mode: 'live',
      lane: 'poison:1',
      priority: 'webhook',
      actions: [step],
      createdAt: Date.now(),
    };
    await t.engine.stores.runs.enqueue([run], Date.now());
    t.engine.executor.notify();
    const deadRuns = async () =>
      ((await admin(t.url, 'GET', '/api/dead-letters')).body as RunRecord[]).filter(
        (r) => r.run.id === run.id,
      );
    await expect.poll(async () => (await deadRuns()).length, { timeout: 20_000 }).toBe(1);
    const [dead] = await deadRuns();
    expect(dead!.lastError!.code).toBe('AP_POISON');
    expect(dead!.lastError!.message).toMatch(
      new RegExp(`^claimed ${MAX_CLAIMS} times without finishing; last error: AP_INTERNAL: TypeError: `),
    );

    await expect
      .poll(() => t.logs.some((l) => l.msg?.startsWith('run dead-lettered') && l.runId === run.id), {
        timeout: 20_000,
      })
      .toBe(true);
    const audit = await t.engine.stores.audit.query({ runId: run.id, kind: 'run.dead_lettered' });
    expect(audit).toEqual([
      expect.objectContaining({
        actionIndex: 0,
        detail: expect.objectContaining({ error: dead!.lastError }),
      }),
    ]);
    expect(t.logs.filter((l) => l.msg?.startsWith('run dead-lettered') && l.runId === run.id)).toEqual([
      expect.objectContaining({ level: 50, error: expect.objectContaining({ code: 'AP_POISON' }) }),
    ]);
    const metrics = await admin(t.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/^autopilot_poison_total\{kind="run"\} 1$/m);

    // retried from the dead-letter queue it starts again at no claims, and fails as poison again
    expect((await admin(t.url, 'POST', `/api/dead-letters/${run.id}/retry`)).status).toBe(200);
    await expect
      .poll(() => t.logs.filter((l) => l.msg?.startsWith('run dead-lettered') && l.runId === run.id).length, {
        timeout: 20_000,
      })
      .toBe(2);
    expect((await deadRuns())[0]!.lastError!.code).toBe('AP_POISON');
  });

  it('needs the admin token', async () => {
    for (const [method, path] of [
      ['GET', '/api/dead-letters/events'],
      ['POST', '/api/dead-letters/events/x/retry'],
      ['DELETE', '/api/dead-letters/events/x'],
    ] as const) {
      expect((await admin(t.url, method, path, null)).status).toBe(401);
    }
  });
});
