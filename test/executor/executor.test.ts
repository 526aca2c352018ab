import { afterEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import { createLocalLimiter } from '../../src/executor/rate-limiter.ts';
import type { ApiCall } from '../../src/plan/run.ts';
import { buildAction, buildRule, buildRun, commentCall } from './support/builders.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function runAll(harness: Harness, ...runs: ReturnType<typeof buildRun>[]) {
  await harness.stores.runs.enqueue(runs, Date.now());
  harness.executor.start();
  await harness.executor.idle();
}

const nodeCall: ApiCall = {
  operation: 'workflow.nodeOperate',
  method: 'POST',
  path: '/open_api/space/workflow/story/1/node/dev/operate',
  body: { action: 'confirm' },
  write: true,
};

describe('executor', () => {
  it('runs each action once with its idempotency key and checkpoints it', async () => {
    h = await startHarness();
    h.api.on('comment.create', { class: 'ok', data: { comment_id: '7565431108055490001' } });
    const run = buildRun();
    await runAll(h, run);

    expect(h.api.calls).toHaveLength(1);
    expect(h.api.calls[0]?.idempotencyKey).toBe(run.actions[0]?.idempotencyKey);
    const record = await h.stores.runs.get(run.id);
    expect(record).toMatchObject({ state: 'succeeded', nextAction: 1 });
    expect(record?.results[0]).toMatchObject({
      outcome: 'done',
      data: { comment_id: '7565431108055490001' },
    });
    const kinds = (await h.stores.audit.query({ runId: run.id })).map((r) => r.kind);
    expect(kinds).toEqual(['action.attempted', 'run.succeeded']);
  });

  it('dead-letters a permanent error after exactly one attempt, keeping the API error, and stops the run', async () => {
    h = await startHarness();
    h.api.on('comment.create', {
      class: 'permanent',
      errCode: 20038,
      errMsg: 'Required Field Is Not Set',
      logId: '20261122abc',
      httpStatus: 400,
    });
    const run = buildRun({
      actions: [
        buildAction({ index: 0, calls: [commentCall('1', 'a')] }),
        buildAction({ index: 1, calls: [nodeCall] }),
      ],
    });
    await runAll(h, run);

    expect(h.api.calls).toHaveLength(1);
    const record = await h.stores.runs.get(run.id);
    expect(record?.state).toBe('dead');
    expect(record?.nextAction).toBe(0);
    expect(record?.lastError).toMatchObject({
      code: 'AP_API_PERMANENT',
      errCode: 20038,
      errMsg: 'Required Field Is Not Set',
      logId: '20261122abc',
      httpStatus: 400,
    });
    const dead = await h.stores.audit.query({ runId: run.id, kind: 'run.dead_lettered' });
    expect(dead[0]?.detail).toMatchObject({ error: { errCode: 20038, logId: '20261122abc' } });
  });

  it('retries a transient failure with the same idempotency key, then finishes', async () => {
    h = await startHarness();
    h.api.on(
      'comment.create',
      { class: 'transient', errCode: 50006, httpStatus: 500 },
      { class: 'transient', networkError: 'UND_ERR_SOCKET' },
      { class: 'ok', data: {} },
    );
    const run = buildRun();
    await runAll(h, run);

    expect(h.api.calls.map((c) => c.idempotencyKey)).toEqual(Array(3).fill(run.actions[0]?.idempotencyKey));
    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
    const retries = await h.stores.audit.query({ runId: run.id, kind: 'action.retry_scheduled' });
    expect(retries.map((r) => r.detail?.attempt)).toEqual([1, 2]);
    const attempts = await h.stores.audit.query({ runId: run.id, kind: 'action.attempted' });
    expect(attempts.map((r) => r.detail?.attempt)).toEqual([1, 2, 3]);
  });

  it('retries when fetching the plugin token fails for now, instead of dead-lettering the run', async () => {
    h = await startHarness();
    let failures = 1;
    const realTokenKey = h.api.tokenKey.bind(h.api);
    h.api.tokenKey = async () => {
      if (failures-- > 0) throw new AutopilotError('AP_API_TRANSIENT', 'token fetch failed: HTTP 502');
      return realTokenKey();
    };
    const run = buildRun();
    await runAll(h, run);

    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
    expect(h.api.callsOf('comment.create')).toHaveLength(1);
    const retries = await h.stores.audit.query({ runId: run.id, kind: 'action.retry_scheduled' });
    expect(retries).toHaveLength(1);
  });

  it('gives up after the rule’s max_attempts (read from the rule getter at execution time)', async () => {
    h = await startHarness();
    h.rules.set('rule-a', buildRule({ retry: { max_attempts: 2, base_delay: '1ms' } }));
    h.api.on(
      'comment.create',
      { class: 'transient', errCode: 50006 },
      { class: 'transient', errCode: 50006 },
    );
    const run = buildRun();
    await runAll(h, run);

    expect(h.api.calls).toHaveLength(2);
    expect((await h.stores.runs.get(run.id))?.lastError).toMatchObject({
      code: 'AP_API_TRANSIENT',
      message: expect.stringMatching(/gave up after 2 attempts/),
    });
  });

  it('treats 10430 and an already-completed node as applied and goes on', async () => {
    h = await startHarness();
    h.api.on('comment.create', { class: 'already_applied', errCode: 10430, httpStatus: 429 });
    h.api.on('workflow.nodeOperate', { class: 'permanent', errCode: 20017 });
    const run = buildRun({
      actions: [
        buildAction({ index: 0, calls: [commentCall('1', 'a')] }),
        buildAction({ index: 1, type: 'complete_node', calls: [nodeCall] }),
      ],
    });
    await runAll(h, run);

    const record = await h.stores.runs.get(run.id);
    expect(record?.state).toBe('succeeded');
    expect(record?.results.map((r) => r.outcome)).toEqual(['already_applied', 'already_applied']);
  });

  it('drops the token and repeats once on an auth error; a second refusal is dead', async () => {
    h = await startHarness();
    h.api.on('comment.create', { class: 'auth', errCode: 10022 }, { class: 'ok' });
    h.api.on('workflow.nodeOperate', { class: 'auth', errCode: 10022 }, { class: 'auth', errCode: 10211 });
    const ok = buildRun({ lane: 'space:1' });
    const refused = buildRun({ lane: 'space:2', actions: [buildAction({ index: 0, calls: [nodeCall] })] });
    await runAll(h, ok, refused);

    expect((await h.stores.runs.get(ok.id))?.state).toBe('succeeded');
    expect(await h.stores.runs.get(refused.id)).toMatchObject({
      state: 'dead',
      lastError: { code: 'AP_API_AUTH', errCode: 10211 },
    });
    expect(h.api.tokenDrops).toBe(2);
    expect(h.api.callsOf('comment.create').map((c) => c.token)).not.toEqual(['t1', 't1']);
  });

  it('repeats only once after a token drop even when the repeat must wait for the limiter', async () => {
    let limited = false;
    const limiter = createLocalLimiter();
    h = await startHarness({
      limiter: {
        reserve: (key, cls, now) => {
          // Refuse exactly the repeat after the first refusal by the API.
          if (h.api.tokenDrops === 1 && !limited) {
            limited = true;
            return { ok: false, retryAt: now + 5 };
          }
          return limiter.reserve(key, cls, now);
        },
        block: (key, until) => limiter.block(key, until),
      },
    });
    h.api.on('comment.create', { class: 'auth', errCode: 10022 }, { class: 'auth', errCode: 10022 });
    const run = buildRun();
    await runAll(h, run);

    expect(limited).toBe(true);
    expect(h.api.tokenDrops).toBe(1);
    expect(h.api.calls).toHaveLength(2);
    expect(await h.stores.runs.get(run.id)).toMatchObject({
      state: 'dead',
      lastError: { code: 'AP_API_AUTH' },
    });
  });

  it('waits for slots due in a moment in the worker up to its budget, and sends a run with a longer wait back to the queue', async () => {
    const slept: number[] = [];
    const answers = new Map<string, number[]>([
      // Refused for 40 ms, 40 ms, 200 ms: the first two slept (80 of 250 ms), the third would
      // pass the budget: back to the queue.
      ['soon', [40, 40, 200, 0]],
      ['later', [60_000]],
    ]);
    // A clock that ticks once per reading: the wait slept is what the limiter asked for less the
    // few readings since, however long a busy machine stalls between them.
    let clock = Date.now();
    const now = () => clock++;
    h = await startHarness({
      now,
      waitInPlaceMs: 250,
      sleep: async (ms) => void slept.push(ms),
      limiter: {
        reserve: (_key, _cls, now, holder) => {
          const wait = answers.get(holder!)?.shift() ?? 0;
          return wait > 0 ? { ok: false, retryAt: now + wait } : { ok: true };
        },
        block: () => {},
      },
    });
    h.api.on('comment.create', { class: 'ok' });
    await h.stores.runs.enqueue(
      [buildRun({ id: 'soon' }), buildRun({ id: 'later', lane: 'space:2' })],
      now(),
    );
    h.executor.start();
    await expect
      .poll(async () => (await h.stores.runs.get('soon'))?.state, { timeout: 10_000 })
      .toBe('succeeded');
    expect(slept).toHaveLength(2);
    for (const ms of slept) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(40);
    }
    expect((await h.stores.runs.get('soon'))!.attempt).toBeLessThanOrEqual(1);
    const later = await h.stores.runs.get('later');
    expect(later).toMatchObject({ state: 'queued' });
    expect(later!.runAt - later!.updatedAt).toBeGreaterThan(50_000);
    expect(h.api.calls).toHaveLength(1);
  });

  it('waits out a 10429 without using up an attempt, and holds the limiter key meanwhile', async () => {
    const limiter = createLocalLimiter();
    const blocks: Array<[string, number]> = [];
    h = await startHarness({
      limiter: {
        reserve: (key, cls, now, holder) => limiter.reserve(key, cls, now, holder),
        block: (key, until) => {
          blocks.push([key, until]);
          limiter.block(key, until);
        },
        complete: (key, holder, at) => limiter.complete(key, holder, at),
      },
    });
    h.api.on('comment.create', { class: 'rate_limited', errCode: 10429, httpStatus: 429 }, { class: 'ok' });
    const run = buildRun();
    await runAll(h, run);

    expect(blocks.map(([key]) => key)).toEqual(['plugin-token-key comment.create']);
    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
    const retry = await h.stores.audit.query({ runId: run.id, kind: 'action.retry_scheduled' });
    expect(retry[0]?.detail).toMatchObject({ attempt: 0, error: { code: 'AP_API_RATE_LIMITED' } });
  });

  it('keeps the lease of a run whose call outlasts the lease', async () => {
    // The clock moves only when the test moves it, and never past the lease held: a busy machine
    // can delay a renewal but cannot make the lease run out under the call.
    const leaseMs = 60;
    let clock = 1_000_000;
    h = await startHarness({ leaseMs, now: () => clock });
    let answer: (a: { class: 'ok' }) => void = () => {};
    h.api.on('comment.create', () => new Promise((resolve) => (answer = resolve)));
    const run = buildRun();
    await h.stores.runs.enqueue([run], clock);
    h.executor.start();
    await expect.poll(() => h.api.calls.length, { timeout: 10_000 }).toBe(1);
    const leaseUntil = async () => (await h.stores.runs.get(run.id))?.leaseUntil ?? 0;
    const firstLeaseEnd = await leaseUntil();
    for (let step = 1; step <= 5; step++) {
      clock += leaseMs - 10;
      // Renewed from the new time on, so the next step passes the lease this one found.
      await expect.poll(leaseUntil, { timeout: 10_000 }).toBe(clock + leaseMs);
      clock += 5;
      // Another worker looking while the call is in flight finds nothing to take.
      expect(await h.stores.runs.claim('thief', 1, 1000, clock)).toEqual([]);
    }
    expect(clock).toBeGreaterThan(firstLeaseEnd);
    answer({ class: 'ok' });
    await h.executor.idle();
    expect(h.api.calls).toHaveLength(1);
    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
  });

  it('passes step results to later actions of the same run', async () => {
    const create: ApiCall = {
      operation: 'workItem.create',
      method: 'POST',
      path: '/open_api/space/work_item/create',
      body: { name: 'child' },
      write: true,
    };
    h = await startHarness({
      resolve: async (action, ctx) => {
        if (action.calls) return action.calls;
        const created = ctx.steps['child'] as { id: string };
        return [commentCall(created.id, `bound ${created.id} (step 0 = ${JSON.stringify(ctx.steps['0'])})`)];
      },
    });
    h.api.on('workItem.create', { class: 'ok', data: '98765' });
    const run = buildRun({
      actions: [
        buildAction({ index: 0, type: 'create_work_item', name: 'child', calls: [create] }),
        buildAction({ index: 1, params: { text: 'bound {{steps.child.id}}' } }),
      ],
    });
    await runAll(h, run);

    const comment = h.api.callsOf('comment.create')[0]?.call;
    expect(comment?.path).toContain('/98765/');
    expect(comment?.body).toEqual({
      content: 'bound 98765 (step 0 = {"outcome":"done","id":"98765","value":"98765"})',
    });
  });

  it('sends reads made while resolving through the limiter and the client, without a key', async () => {
    const query: ApiCall = {
      operation: 'workflow.query',
      method: 'POST',
      path: '/q',
      body: {},
      write: false,
    };
    h = await startHarness({
      resolve: async (action, ctx) => {
        const flow = (await ctx.read(query)) as { transition_id: string };
        return [{ ...nodeCall, body: { transition_id: flow.transition_id } }];
      },
    });
    h.api.on(
      'workflow.query',
      { class: 'transient', errCode: 50006 },
      { class: 'ok', data: { transition_id: '42' } },
    );
    const run = buildRun({ actions: [buildAction({ index: 0, type: 'transition' })] });
    await runAll(h, run);

    expect(h.api.calls.map((c) => [c.call.operation, c.idempotencyKey])).toEqual([
      ['workflow.query', undefined],
      ['workflow.query', undefined],
      ['workflow.nodeOperate', run.actions[0]?.idempotencyKey],
    ]);
    expect(h.api.calls[2]?.call.body).toEqual({ transition_id: '42' });
  });

  it('dead-letters an action that cannot be built, with the rule error’s code, before any write', async () => {
    h = await startHarness({
      resolve: async () => {
        throw new AutopilotError('AP_TEMPLATE_MISSING_PATH', "template path 'steps.child.id' has no value");
      },
    });
    const run = buildRun({ actions: [buildAction({ index: 0, params: { text: '{{steps.child.id}}' } })] });
    await runAll(h, run);

    expect(h.api.calls).toHaveLength(0);
    expect((await h.stores.runs.get(run.id))?.lastError).toEqual({
      code: 'AP_TEMPLATE_MISSING_PATH',
      message: "template path 'steps.child.id' has no value",
    });
  });

  it('skips a recheck action whose condition no longer holds, before writing', async () => {
    h = await startHarness({ recheck: async () => ({ holds: false, trace: { all: [{ result: false }] } }) });
    h.rules.set(
      'rule-a',
      buildRule({ when: { fact: 'work_item', path: 'state', operator: 'equal', value: 'open' } }),
    );
    const run = buildRun({
      actions: [
        buildAction({ index: 0, recheck: true, calls: [commentCall('1', 'x')] }),
        buildAction({ index: 1 }),
      ],
    });
    await runAll(h, run);

    expect(h.api.calls).toHaveLength(0);
    expect((await h.stores.runs.get(run.id))?.state).toBe('skipped');
    const skipped = await h.stores.audit.query({ runId: run.id, kind: 'action.skipped' });
    expect(skipped[0]?.detail).toMatchObject({
      reason: 'condition no longer true',
      trace: { all: [{ result: false }] },
    });
  });

  it('writes when the recheck holds', async () => {
    let checks = 0;
    h = await startHarness({
      recheck: async () => {
        checks++;
        return { holds: true };
      },
    });
    h.rules.set(
      'rule-a',
      buildRule({ when: { fact: 'work_item', path: 'state', operator: 'equal', value: 'open' } }),
    );
    await runAll(
      h,
      buildRun({ actions: [buildAction({ index: 0, recheck: true, calls: [commentCall('1', 'x')] })] }),
    );
    expect(checks).toBe(1);
    expect(h.api.calls).toHaveLength(1);
  });

  it('records shadow runs without calling the API', async () => {
    h = await startHarness();
    const run = buildRun({ mode: 'shadow' });
    await runAll(h, run);
    expect(h.api.calls).toHaveLength(0);
    const record = await h.stores.runs.get(run.id);
    expect(record?.results.map((r) => r.outcome)).toEqual(['shadow']);
    expect((await h.stores.audit.query({ runId: run.id })).map((r) => r.kind)).toEqual(['run.shadow']);
  });

  it('resumes a run at its first unfinished action', async () => {
    h = await startHarness();
    const run = buildRun({
      actions: [
        buildAction({ index: 0, calls: [commentCall('1', 'first')] }),
        buildAction({ index: 1, calls: [nodeCall] }),
      ],
    });
    await h.stores.runs.enqueue([run], 0);
    // A worker that crashed after finishing action 0: its lease (10 ms at t=0) has long expired.
    await h.stores.runs.claim('crashed-worker', 1, 10, 0);
    await h.stores.runs.checkpoint(run.id, 'crashed-worker', { index: 0, outcome: 'done', finishedAt: 1 }, 1);
    h.executor.start();
    await h.executor.idle();

    expect(h.api.calls.map((c) => c.call.operation)).toEqual(['workflow.nodeOperate']);
    expect((await h.stores.runs.get(run.id))?.state).toBe('succeeded');
  });

  it('reschedules a run the limiter refuses instead of holding a worker slot', async () => {
    const limiter = createLocalLimiter();
    // Longer than the one-period wait the executor sleeps in place (executor.waitInPlaceMs).
    limiter.block('plugin-token-key comment.create', Date.now() + 1500);
    h = await startHarness({ concurrency: 1, limiter });
    const blocked = buildRun({ lane: 'space:1' });
    const other = buildRun({ lane: 'space:2', actions: [buildAction({ index: 0, calls: [nodeCall] })] });
    await runAll(h, blocked, other);

    expect(h.api.calls.map((c) => c.call.operation)).toEqual(['workflow.nodeOperate', 'comment.create']);
    expect((await h.stores.runs.get(blocked.id))?.state).toBe('succeeded');
  });

  it('keeps a lane in event order while other lanes go on', async () => {
    let releaseSlow: () => void = () => {};
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    h = await startHarness();
    h.api.otherwise(async (call) => {
      if (JSON.stringify(call.body).includes('slow')) await slowGate;
      return { class: 'ok' };
    });
    const slow = buildRun({
      lane: 'space:1',
      actions: [buildAction({ index: 0, calls: [commentCall('1', 'slow')] })],
    });
    const next = buildRun({
      lane: 'space:1',
      actions: [buildAction({ index: 0, calls: [commentCall('1', 'next')] })],
    });
    const elsewhere = buildRun({
      lane: 'space:2',
      actions: [buildAction({ index: 0, calls: [commentCall('2', 'b')] })],
    });
    await h.stores.runs.enqueue([slow, next, elsewhere], Date.now());
    h.executor.start();
    await expect.poll(async () => (await h.stores.runs.get(elsewhere.id))?.state).toBe('succeeded');
    expect((await h.stores.runs.get(next.id))?.state).toBe('queued');
    releaseSlow();
    await h.executor.idle();
    const bodies = h.api.calls.map((c) => (c.call.body as { content: string }).content);
    expect(bodies.indexOf('next')).toBeGreaterThan(bodies.indexOf('slow'));
  });
});

describe('graceful shutdown', () => {
  it('lets the action in flight finish, then releases the run before its next action', async () => {
    let releaseCall: () => void = () => {};
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    h = await startHarness();
    h.api.on('comment.create', async () => {
      started();
      await new Promise<void>((resolve) => (releaseCall = resolve));
      return { class: 'ok' };
    });
    const run = buildRun({
      actions: [
        buildAction({ index: 0, calls: [commentCall('1', 'a')] }),
        buildAction({ index: 1, calls: [nodeCall] }),
      ],
    });
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();
    await inFlight;
    const stopped = h.executor.stop(5000);
    releaseCall();
    expect(await stopped).toEqual({ finished: 0, released: 1 });

    const record = await h.stores.runs.get(run.id);
    expect(record).toMatchObject({ state: 'queued', nextAction: 1 });
    expect(h.api.calls).toHaveLength(1);
    // Released, not leased: another worker claims it at once.
    expect(await h.stores.runs.claim('next-worker', 1, 1000, Date.now())).toHaveLength(1);
  });

  it('aborts what is still in flight at the deadline and gives the run back', async () => {
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    h = await startHarness();
    h.api.on('comment.create', () => {
      started();
      return new Promise(() => {});
    });
    const run = buildRun();
    await h.stores.runs.enqueue([run], Date.now());
    h.executor.start();
    await inFlight;
    expect(await h.executor.stop(20)).toEqual({ finished: 0, released: 1 });
    expect(await h.stores.runs.get(run.id)).toMatchObject({ state: 'queued', nextAction: 0 });
  });
});
