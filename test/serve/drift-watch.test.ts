/**
 * Drift watch in the running engine (on its built-in simulator): a loaded rule that stops
 * fitting the space (here: its transition's target state is removed from the workflow) runs in
 * shadow mode, with an audit record, a metric, a log line naming file, line and column, and a
 * message to the operations chat; it runs live again once the space fits it again.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { buildRuleIndex } from '../../src/match/rule-index.ts';
import { createDriftWatch, DRIFT_REQUEST_KEY } from '../../src/meta/drift-watch.ts';
import { DEMO } from '../../src/simulator/model/seed-config.ts';
import type { StateDef, TransitionDef } from '../../src/simulator/model/types.ts';
import { admin } from './support/admin.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';

const RULE_ID = 'start-new-bugs';
// Line 8, column 23: the state the test removes from the issue workflow.
const RULE = `id: ${RULE_ID}
on:
  event: work_item.created
  project: [demo]
  work_item_type: [issue]
do:
  - comment: { text: 'on it' }
  - transition: { to: in_progress }
`;
const OPS_CHAT = 'oc_sim_oncall';

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(drift: string): Promise<TestEngine> {
  t = await startTestEngine({ rules: { [`${RULE_ID}.yaml`]: RULE }, configYaml: `drift:\n${drift}` });
  return t;
}

/** Removes `in_progress` from the demo issue workflow; returns a function that puts it back. */
function removeInProgress(engine: TestEngine['engine']): () => void {
  const template = engine.simulator!.state.templates.find((x) => x.template_id === DEMO.issueTemplateId)!;
  const states: StateDef[] = template.states;
  const transitions: TransitionDef[] = template.transitions;
  template.states = states.filter((s) => s.state_key !== 'in_progress');
  template.transitions = transitions.filter(
    (x) => x.source_state_key !== 'in_progress' && x.target_state_key !== 'in_progress',
  );
  return () => {
    template.states = states;
    template.transitions = transitions;
  };
}

async function metric(url: string, line: string): Promise<boolean> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').includes(line);
}

async function postCreated(url: string, uuid: string): Promise<void> {
  const response = await fetch(`${url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      header: {
        event_type: 'WorkitemCreateEvent',
        token: 'sim-webhook-token',
        uuid,
        operator: '7400000000000000002',
      },
      payload: {
        id: 6437110004,
        name: 'Crash on login',
        project_key: DEMO.projectKey,
        project_simple_name: 'demo',
        work_item_type_key: 'issue',
        work_item_status: { state_key: 'open' },
      },
    }),
  });
  expect(response.ok).toBe(true);
}

describe('drift watch', () => {
  it('switches a rule that stops fitting to shadow mode, says so everywhere, and back to live when it fits', async () => {
    const { engine, url, logs } = await start(`  opsChat: ${OPS_CHAT}\n`);
    await engine.drift.refresh();
    expect(engine.drift.drifted().size).toBe(0);
    expect(engine.drift.current().byId.get(RULE_ID)?.mode).toBe('live');

    const restore = removeInProgress(engine);
    await engine.drift.refresh();
    const file = join(t!.rulesDir, `${RULE_ID}.yaml`);
    expect(engine.drift.drifted().get(RULE_ID)?.problems).toEqual([
      {
        file,
        line: 8,
        column: 23,
        code: 'AP_META_UNKNOWN_STATE',
        message:
          "no state 'in_progress' in the workflow of issue in demo (states: open, resolved) [AP_META_UNKNOWN_STATE]",
      },
    ]);
    expect(engine.drift.current().byId.get(RULE_ID)?.mode).toBe('shadow');
    // The registry keeps the rule as written: the dashboard and `autopilot check` see its file.
    expect(engine.rules.current.byId.get(RULE_ID)?.mode).toBe('live');
    const listed = (await admin(url, 'GET', '/api/rules')).body as {
      rules: Array<{ id: string; mode: string; drift: { runsAs: string; problems: unknown[] } | null }>;
    };
    expect(listed.rules.find((r) => r.id === RULE_ID)).toMatchObject({
      mode: 'live',
      drift: { runsAs: 'shadow', problems: [{ code: 'AP_META_UNKNOWN_STATE', line: 8, column: 23 }] },
    });

    const drifted = await engine.stores.audit.query({ ruleId: RULE_ID, kind: 'rule.drifted' });
    expect(drifted.map((r) => r.detail?.action)).toEqual(['shadow']);
    const logged = logs.find((l) => l.code === 'AP_META_UNKNOWN_STATE');
    expect(logged).toMatchObject({ level: 40, ruleId: RULE_ID, file, line: 8, column: 23, action: 'shadow' });
    expect(logged?.msg).toBe(
      `${file}:8:23: no state 'in_progress' in the workflow of issue in demo (states: open, resolved) [AP_META_UNKNOWN_STATE]: rule ${RULE_ID} no longer fits the space, switched to shadow mode`,
    );
    expect(await metric(url, 'autopilot_rules_drifted 1')).toBe(true);
    expect(await metric(url, 'autopilot_rule_drift_total{to="shadow"} 1')).toBe(true);
    const told = engine.simulator!.larkMessages().filter((m) => m.chat_id === OPS_CHAT);
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told[0]?.content)).toContain(
      `Rule ${RULE_ID} no longer fits the space: switched to shadow mode`,
    );
    expect(JSON.stringify(told[0]?.content)).toContain(`${file}:8:23: no state 'in_progress'`);

    // Checked again with nothing changed: nothing announced twice.
    await engine.drift.refresh();
    expect(await engine.stores.audit.query({ ruleId: RULE_ID, kind: 'rule.drifted' })).toHaveLength(1);

    // While it does not fit, an event it matches is planned in shadow: no call to the API.
    await postCreated(url, '0b5f0000-0000-4000-8000-000000000001');
    await eventually(
      async () =>
        (await engine.stores.audit.query({ ruleId: RULE_ID, kind: 'run.shadow' })).length > 0 || undefined,
      'the shadow run',
    );
    expect(await engine.stores.audit.query({ ruleId: RULE_ID, kind: 'action.attempted' })).toEqual([]);

    restore();
    await engine.drift.refresh();
    expect(engine.drift.drifted().size).toBe(0);
    expect(engine.drift.current().byId.get(RULE_ID)?.mode).toBe('live');
    const relisted = (await admin(url, 'GET', '/api/rules')).body as { rules: Array<{ drift: unknown }> };
    expect(relisted.rules[0]?.drift).toBeNull();
    expect(await engine.stores.audit.query({ ruleId: RULE_ID, kind: 'rule.fits' })).toHaveLength(1);
    expect(logs.some((l) => l.msg === `rule ${RULE_ID} fits the space again: back to its own mode`)).toBe(
      true,
    );
    expect(await metric(url, 'autopilot_rules_drifted 0')).toBe(true);
    expect(await metric(url, 'autopilot_rule_drift_total{to="live"} 1')).toBe(true);
    const again = engine.simulator!.larkMessages().filter((m) => m.chat_id === OPS_CHAT);
    expect(JSON.stringify(again.at(-1)?.content)).toContain(
      `Rule ${RULE_ID} fits the space again: back to live mode.`,
    );
  });

  it('with action warn the rule keeps running; an event of a refreshOn type checks at once', async () => {
    const { engine, url } = await start('  action: warn\n  refreshOn: [work_item.created]\n');
    await engine.drift.refresh();
    removeInProgress(engine);
    await postCreated(url, '0b5f0000-0000-4000-8000-000000000002');
    await eventually(() => engine.drift.drifted().has(RULE_ID) || undefined, 'the check the event asked for');
    expect(engine.drift.current().byId.get(RULE_ID)?.mode).toBe('live');
    const drifted = await engine.stores.audit.query({ ruleId: RULE_ID, kind: 'rule.drifted' });
    expect(drifted.map((r) => r.detail?.action)).toEqual(['warn']);
    expect(await metric(url, 'autopilot_rule_drift_total{to="warn"} 1')).toBe(true);
  });

  it('checks a reloaded rule set at once; a rule that never fitted is warned about and keeps its mode', async () => {
    const { engine, logs } = await start('  intervalMs: 3600000\n');
    await engine.drift.refresh();
    writeFileSync(
      join(t!.rulesDir, 'close-bugs.yaml'),
      RULE.replace(RULE_ID, 'close-bugs').replace('in_progress', 'closed'),
    );
    await eventually(
      () => engine.drift.drifted().has('close-bugs') || undefined,
      'the check after the reload',
    );
    expect(
      engine.drift
        .drifted()
        .get('close-bugs')
        ?.problems.map((p) => p.code),
    ).toEqual(['AP_META_UNKNOWN_STATE']);
    // It has never fitted: warned about, it keeps its mode (its runs dead-letter as written);
    // only a rule that fitted and then stopped is switched to shadow.
    expect(engine.drift.current().byId.get('close-bugs')?.mode).toBe('live');
    const drifted = await engine.stores.audit.query({ ruleId: 'close-bugs', kind: 'rule.drifted' });
    expect(drifted.map((r) => r.detail?.action)).toEqual(['warn']);
    expect(
      logs.some((l) =>
        String(l.msg).endsWith(
          'rule close-bugs does not fit the space (it has not since it was written): it keeps its mode',
        ),
      ),
    ).toBe(true);
  });

  it('keeps the verdict in the state store, where the other processes read it', async () => {
    const { engine } = await start('  intervalMs: 60000\n');
    await engine.drift.refresh();
    removeInProgress(engine);
    await engine.drift.refresh();
    const saved = await engine.stores.state.get<{ rules: Record<string, { problems: unknown[] }> }>(
      'meta-drift',
    );
    expect(Object.keys(saved?.rules ?? {})).toEqual([RULE_ID]);
    // Another process of the cluster: it does not lead, reads no metadata, follows the verdict.
    const follower = createDriftWatch({
      settings: engine.config.drift,
      rules: () => engine.rules.current,
      buildIndex: buildRuleIndex,
      read: () => Promise.reject(new Error('a follower reads no metadata')),
      state: engine.stores.state,
      audit: engine.stores.audit,
      isLeader: () => false,
      log: createLogger({ level: 'silent' }),
      drifted: () => undefined,
      now: Date.now,
    });
    await follower.refresh();
    expect(follower.current().byId.get(RULE_ID)?.mode).toBe('shadow');
    follower.requestRefresh();
    await eventually(
      async () => ((await engine.stores.state.get<number>(DRIFT_REQUEST_KEY)) ?? 0) > 0 || undefined,
      "the follower's request for a check",
    );
  });

  it('refuses a drift setting out of range, with the others', async () => {
    await expect(start('  action: pause\n  intervalMs: 5\n')).rejects.toThrow(/drift/);
  });
});
