/**
 * Loop protection end to end: rules that answer each other's changes through the simulator's
 * webhooks stop at the causation cap or at the (rule, work item) breaker, and events the engine
 * caused itself are skipped for rules without allow_self.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { ADMIN_TOKEN, eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const ISSUE = 6437110004; // a seeded demo bug

function answerRule(id: string, hears: string, says: string, extra = ''): string {
  return [
    `id: ${id}`,
    `description: answers '${hears}' with '${says}'`,
    'on:',
    '  event: work_item.commented',
    '  work_item_type: [issue]',
    extra,
    'when:',
    '  all:',
    `    - { fact: change, path: text, operator: startsWith, value: ${hears} }`,
    'do:',
    `  - comment: { text: '${says}' }`,
    '',
  ].join('\n');
}

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function commentAsAlice(engine: TestEngine, text: string): Promise<void> {
  const sim = engine.engine.simulator;
  if (!sim) throw new Error('expected the built-in simulator');
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  const answer = await alice.call('POST', `/open_api/demo/work_item/issue/${ISSUE}/comment/create`, {
    content: text,
  });
  expect(answer.err_code).toBe(0);
}

function engineComments(engine: TestEngine): number {
  const sim = engine.engine.simulator;
  return (sim?.state.comments ?? []).filter((c) => c.work_item_id === ISSUE && c.operator === USERS.bot)
    .length;
}

async function metric(engine: TestEngine, line: RegExp): Promise<number> {
  const text = await (await fetch(`${engine.url}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? 0 : Number(found.split(' ').at(-1));
}

describe('two rules playing ping-pong through the simulator', () => {
  it('stop at the causation depth cap, recorded as loop_stopped', async () => {
    t = await startTestEngine({
      rules: {
        'answer-ping.yaml': answerRule('answer-ping', 'ping', 'pong', 'allow_self: true'),
        'answer-pong.yaml': answerRule('answer-pong', 'pong', 'ping', 'allow_self: true'),
      },
    });
    const engine = t;
    await commentAsAlice(engine, 'ping');
    const [stopped] = await eventually(async () => {
      const found = await engine.engine.stores.audit.query({ kind: 'loop_stopped' });
      return found.length > 0 ? found : undefined;
    }, 'loop_stopped');
    await engine.engine.simulator?.webhooksIdle();
    await engine.engine.idle();
    expect(stopped?.detail).toMatchObject({ reason: 'depth_cap', causation: { depth: 11 } });
    // alice's ping has depth 0; events of depth 0..10 are answered, the one of depth 11 is refused.
    expect(engineComments(engine)).toBe(11);
    // Both rules are candidates for that event and both are stopped there, nowhere else.
    const all = await engine.engine.stores.audit.query({ kind: 'loop_stopped' });
    expect(all.map((r) => r.ruleId).sort()).toEqual(['answer-ping', 'answer-pong']);
    expect(new Set(all.map((r) => r.eventId)).size).toBe(1);
    expect(await metric(engine, /^autopilot_loop_stopped_total /)).toBe(2);
  });

  it('stop at the configured loop.maxDepth for rules that set no max_depth', async () => {
    t = await startTestEngine({
      rules: {
        'answer-ping.yaml': answerRule('answer-ping', 'ping', 'pong', 'allow_self: true'),
        'answer-pong.yaml': answerRule('answer-pong', 'pong', 'ping', 'allow_self: true'),
      },
      configYaml: 'loop:\n  maxDepth: 3\n',
    });
    const engine = t;
    await commentAsAlice(engine, 'ping');
    await eventually(async () => {
      const found = await engine.engine.stores.audit.query({ kind: 'loop_stopped' });
      return found.length > 0 ? found : undefined;
    }, 'loop_stopped');
    await engine.engine.simulator?.webhooksIdle();
    await engine.engine.idle();
    expect(engineComments(engine)).toBe(4);
    const [stopped] = await engine.engine.stores.audit.query({ kind: 'loop_stopped' });
    expect(stopped?.detail).toMatchObject({ causation: { depth: 4 } });
    expect(engine.logs.some((l) => /^loop stopped/.test(String(l.msg)))).toBe(true);
  });

  it('stop at the breaker when their depth cap is raised, counted in /metrics and listed by the admin API', async () => {
    t = await startTestEngine({
      rules: {
        'answer-ping.yaml': answerRule('answer-ping', 'ping', 'pong', 'allow_self: true\nmax_depth: 100'),
        'answer-pong.yaml': answerRule('answer-pong', 'pong', 'ping', 'allow_self: true\nmax_depth: 100'),
      },
      configYaml: 'loop:\n  breakerMaxRuns: 4\n  breakerWindowMs: 600000\n',
    });
    const engine = t;
    await commentAsAlice(engine, 'ping');
    await eventually(async () => {
      const found = await engine.engine.stores.audit.query({ kind: 'breaker_open' });
      return found.length > 0 ? found : undefined;
    }, 'breaker_open');
    await engine.engine.simulator?.webhooksIdle();
    await engine.engine.idle();
    const open = await engine.engine.stores.audit.query({ kind: 'breaker_open' });
    expect(open.map((r) => r.ruleId)).toEqual(['answer-ping']);
    // alice's ping starts it: answer-ping and answer-pong run 4 times each; the fifth ping is refused.
    expect(engineComments(engine)).toBe(8);
    expect(await metric(engine, /^autopilot_breaker_open_total\{rule="answer-ping"\}/)).toBe(1);
    expect(engine.logs.filter((l) => /^breaker open/.test(String(l.msg)))).toEqual([
      expect.objectContaining({ level: 40, ruleId: 'answer-ping' }),
    ]);
    const breakers = await fetch(`${engine.url}/api/breakers`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(await breakers.json()).toEqual([
      expect.objectContaining({ ruleId: 'answer-ping', lane: `66a1b2c3d4e5f60718293a4b:${ISSUE}` }),
    ]);
  });

  it('without allow_self, the engine does not answer its own comment', async () => {
    t = await startTestEngine({
      rules: { 'answer-ping.yaml': answerRule('answer-ping', 'ping', 'ping back') },
    });
    const engine = t;
    await commentAsAlice(engine, 'ping');
    await eventually(() => engineComments(engine) === 1 || undefined, 'the first answer');
    await engine.engine.simulator?.webhooksIdle();
    await engine.engine.idle();
    expect(engineComments(engine)).toBe(1);
    const skipped = await engine.engine.stores.audit.query({
      ruleId: 'answer-ping',
      kind: 'rule.not_matched',
    });
    expect(skipped.map((r) => r.detail?.skipped)).toEqual([
      expect.objectContaining({ reason: 'self_event' }),
    ]);
  });
});
