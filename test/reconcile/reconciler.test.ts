/**
 * The reconciler through the front door: the engine on its built-in simulator, webhooks
 * dropped or delayed by the simulator's chaos, rounds run on demand. Every change reaches the
 * rules exactly once; only changes no webhook delivered are counted as missed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { admin } from '../serve/support/admin.ts';
import { eventually, startTestEngine, type TestEngine } from '../serve/support/engine-harness.ts';
import { simClient, type SimClient } from '../serve/support/sim-client.ts';

const COMMENT_ON_UPDATES = `id: comment-on-updates
on:
  event: [work_item.updated, work_item.status_changed]
  project: [demo]
  work_item_type: [issue]
do:
  - comment: { text: 'saw {{event.type}} {{change.to}} from {{event.source}}' }
`;

const ISSUE = '6437110004';
let t: TestEngine | undefined;
let alice: SimClient;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(
  configYaml = 'reconcile:\n  intervalMs: 3600000\n  settleMs: 0\n  maxRequestsPerSecond: 15\n',
) {
  const started = await startTestEngine({
    rules: { 'comment-on-updates.yaml': COMMENT_ON_UPDATES },
    configYaml,
  });
  t = started;
  const sim = started.engine.simulator as NonNullable<TestEngine['engine']['simulator']>;
  alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  return sim;
}

const setPriority = (value: string) =>
  alice.call('PUT', `/open_api/demo/work_item/issue/${ISSUE}`, {
    update_fields: [{ field_key: 'priority', field_value: { value } }],
  });

/** Comments the rule wrote, in order. */
function ruleComments(sim: NonNullable<TestEngine['engine']['simulator']>): string[] {
  return sim.state.comments
    .filter((c) => String(c.work_item_id) === ISSUE && c.content.startsWith('saw '))
    .map((c) => c.content);
}

const engine = () => (t as TestEngine).engine;

async function missedCounter(): Promise<number> {
  const text = (await admin((t as TestEngine).url, 'GET', '/metrics')).text;
  return [...text.matchAll(/^autopilot_missed_webhooks_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

describe('reconciler', () => {
  it('recovers changes whose webhooks were dropped, once each, and counts and audits them', async () => {
    const sim = await start();
    sim.setChaos({ webhookDrop: 1 });
    for (const p of ['P1', 'P2', 'P3']) expect((await setPriority(p)).err_code).toBe(0);
    await sim.webhooksIdle();
    expect(sim.deliveries().filter((d) => d.status === 'dropped')).toHaveLength(3);
    sim.setChaos({});

    const [round] = await engine().reconciler.runNow();
    expect(round?.missed.map((e) => [e.type, e.change?.to])).toEqual([
      ['work_item.updated', 'P1'],
      ['work_item.updated', 'P2'],
      ['work_item.updated', 'P3'],
    ]);
    await engine().idle();
    expect(ruleComments(sim)).toEqual([
      'saw work_item.updated P1 from op_record',
      'saw work_item.updated P2 from op_record',
      'saw work_item.updated P3 from op_record',
    ]);
    expect(await missedCounter()).toBe(3);
    const audit = await engine().stores.audit.query({ kind: 'webhook.missed' });
    expect(audit).toHaveLength(3);
    expect(audit[0]?.detail).toMatchObject({ space: sim.credentials.projectKey, type: 'work_item.updated' });
    expect(audit[0]?.detail?.origin).toMatchObject({ kind: 'plugin', user: USERS.alice });

    // Nothing is owed twice: the next round finds only the engine's own comments, delivered by their webhooks.
    await sim.webhooksIdle();
    await engine().idle();
    const [again] = await engine().reconciler.runNow();
    expect(again?.missed).toEqual([]);
    await engine().idle();
    expect(ruleComments(sim)).toHaveLength(3);
  });

  it('counts nothing when the webhooks came, and a late webhook after a recovery is a duplicate', async () => {
    const sim = await start();
    await setPriority('P1');
    await sim.webhooksIdle();
    await engine().idle();
    const [round] = await engine().reconciler.runNow();
    expect(round?.missed).toEqual([]);

    // A late webhook, made deterministic: dropped now, pushed again (same uuid) after the round.
    sim.setChaos({ webhookDrop: 1 });
    await setPriority('P2');
    sim.setChaos({});
    const [recovered] = await engine().reconciler.runNow();
    expect(recovered?.missed.map((e) => e.change?.to)).toEqual(['P2']);
    const dropped = sim.deliveries().find((d) => d.status === 'dropped');
    sim.redeliverWebhook(dropped?.id ?? '');
    await sim.webhooksIdle();
    await engine().idle();
    expect(ruleComments(sim)).toEqual([
      'saw work_item.updated P1 from feishu',
      'saw work_item.updated P2 from op_record',
    ]);
    const duplicates = await eventually(async () => {
      const text = (await admin((t as TestEngine).url, 'GET', '/metrics')).text;
      return (
        /autopilot_events_total\{source="feishu",type="work_item.updated",duplicate="true"\} 1/.test(text) ||
        undefined
      );
    }, 'the late webhook counted as a duplicate');
    expect(duplicates).toBe(true);
  });

  it('leaves changes younger than settleMs to their webhooks', async () => {
    const sim = await start(
      'reconcile:\n  intervalMs: 3600000\n  settleMs: 3600000\n  maxRequestsPerSecond: 15\n',
    );
    sim.setChaos({ webhookDrop: 1 });
    await setPriority('P1');
    const rounds = await engine().reconciler.runNow();
    expect(rounds.flatMap((r) => r.missed)).toEqual([]);
  });

  it('audits records it cannot use, with their codes, and stores no event for them', async () => {
    const sim = await start();
    sim.setChaos({ webhookDrop: 1 });
    await setPriority('P1');
    const [real] = sim.state.op_records.slice(-1);
    sim.state.op_records.push(
      { ...structuredClone(real!), seq: 9_000_001, op_record_module: 'galaxy_mod' },
      {
        ...structuredClone(real!),
        seq: 9_000_002,
        record_contents: [
          { object: { object_type: 'hologram', object_value: 'x' }, old: [], new: [], add: [], delete: [] },
        ],
      },
    );
    const [round] = await engine().reconciler.runNow();
    expect(round?.missed).toHaveLength(1);
    const skipped = await engine().stores.audit.query({ kind: 'record.skipped' });
    expect(skipped.map((r) => r.detail?.code)).toEqual(['AP_RECORD_UNKNOWN', 'AP_RECORD_UNKNOWN']);
    expect(skipped.map((r) => r.workItem)).toEqual([
      `${sim.credentials.projectKey}:${ISSUE}`,
      `${sim.credentials.projectKey}:${ISSUE}`,
    ]);
    const text = (await admin((t as TestEngine).url, 'GET', '/metrics')).text;
    expect(text).toMatch(/autopilot_op_records_skipped_total\{code="AP_RECORD_UNKNOWN"\} 2/);
  });
});

describe('reconcile scope and budget', () => {
  it('watches the spaces and types the webhook-fed rules name, plus the configured spaces', async () => {
    const { scopeOf } = await import('../../src/reconcile/reconcile-scope.ts');
    const rule = (id: string, on: Record<string, unknown>) =>
      ({
        id,
        enabled: true,
        mode: 'live',
        on,
        do: [],
        allow_self: false,
        version: 'v',
        source: { file: id },
      }) as never;
    expect(
      scopeOf(
        [
          rule('a', { event: 'work_item.updated', project: ['demo'], work_item_type: ['issue'] }),
          rule('b', { event: ['node.completed'], project: ['demo'], work_item_type: ['story'] }),
          rule('c', { event: 'work_item.created', project: ['platform'] }),
          rule('d', { event: 'webhook.deploys', project: ['ci'] }),
          rule('e', { command: 'move {id}', project: ['chat'] }),
        ],
        ['extra'],
      ),
    ).toEqual([{ space: 'demo', types: ['issue', 'story'] }, { space: 'extra' }, { space: 'platform' }]);
  });

  it('paces its reads to the configured share, whatever the caller asks at once', async () => {
    const { pacedRead } = await import('../../src/reconcile/paced-read.ts');
    let now = 0;
    const started: number[] = [];
    const read = pacedRead(
      async () => {
        started.push(now);
        return {};
      },
      { perSecond: 2, now: () => now, wait: async (ms) => void (now += ms) },
    );
    await Promise.all(Array.from({ length: 5 }, () => read({} as never)));
    expect(started).toEqual([0, 500, 1000, 1500, 2000]);
  });

  it('does nothing while this process does not lead', async () => {
    const { createReconciler } = await import('../../src/reconcile/reconciler.ts');
    const reconciler = createReconciler({
      scope: () => [{ space: 'demo' }],
      intervalMs: 1000,
      onError: () => {
        throw new Error('no round should run');
      },
    } as never);
    expect(reconciler.leading()).toBe(false);
    expect(await reconciler.runNow()).toEqual([]);
  });
});

describe('reconcile settings', () => {
  it('are validated with every problem listed at once', async () => {
    const { loadConfig } = await import('../../src/config/load-config.ts');
    const yaml = [
      'reconcile:',
      '  intervalMs: 10',
      '  settleMs: -1',
      '  maxRequestsPerSecond: 40',
      '  spaces: [""]',
      '  every: 5m',
      'loop:',
      '  maxAutomationCycles: 0',
    ].join('\n');
    let message = '';
    try {
      loadConfig({ env: { AUTOPILOT_CONFIG: 'x.yaml' }, readFile: () => yaml });
    } catch (error) {
      message = `${(error as { code: string }).code}: ${(error as Error).message}`;
    }
    expect(message).toMatch(/^AP_CONFIG_INVALID/);
    for (const part of [
      'reconcile.intervalMs',
      'reconcile.settleMs',
      'reconcile.maxRequestsPerSecond',
      'reconcile.spaces.0',
      "'every'",
      'loop.maxAutomationCycles',
    ])
      expect(message).toContain(part);
  });
});
