/** `autopilot shadow <rule-id>`: what a shadow-mode rule would have done, from the audit, in the backtest's format. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/report.ts';
import { cli } from '../audit/support-cli.ts';
import { startTestEngine, type TestEngine } from '../serve/support/engine-harness.ts';
import { simClient } from '../serve/support/sim-client.ts';

const TRYOUT = `id: tryout
mode: shadow
on: { event: work_item.updated, project: [demo], work_item_type: [issue] }
do:
  - comment: { text: 'would say {{change.to}}' }
  - update_fields: { fields: { field_resolution: 'tried {{change.to}}' } }
`;

let t: TestEngine;

beforeAll(async () => {
  t = await startTestEngine({ rules: { 'tryout.yaml': TRYOUT } });
  const sim = t.engine.simulator as NonNullable<TestEngine['engine']['simulator']>;
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  for (const value of ['P1', 'P2']) {
    await alice.call('PUT', '/open_api/demo/work_item/issue/6437110004', {
      update_fields: [{ field_key: 'priority', field_value: { value } }],
    });
    await sim.webhooksIdle();
    await t.engine.idle();
  }
});

afterAll(async () => t?.close());

const shadow = (args: string[]) => cli(['shadow', ...args, '--data', join(t.dir, 'data')], t.dir);

describe('autopilot shadow', () => {
  it('lists the runs the shadow rule would have made, with their params, and wrote nothing', async () => {
    const { code, out, err } = await shadow(['tryout', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out) as BacktestReport;
    expect(report.source).toBe('audit');
    expect(report.rules).toHaveLength(1);
    const [rule] = report.rules;
    expect(rule?.mode).toBe('shadow');
    expect(rule?.runs.map((r) => [r.eventType, r.actions.map((a) => a.params)])).toEqual([
      ['work_item.updated', [{ text: 'would say P1' }, { fields: { field_resolution: 'tried P1' } }]],
      ['work_item.updated', [{ text: 'would say P2' }, { fields: { field_resolution: 'tried P2' } }]],
    ]);
    expect(rule?.writes).toBe(4);
    const sim = t.engine.simulator as NonNullable<TestEngine['engine']['simulator']>;
    expect(sim.state.comments.filter((c) => c.content.startsWith('would say'))).toEqual([]);
    const text = await shadow(['tryout']);
    expect(text.out).toContain('rule tryout (shadow): 2 run(s), 4 write(s)');
    expect((await shadow(['tryout'])).out).toBe(text.out);
  });

  it('says plainly when the rule has no shadow runs, and refuses a missing rule id', async () => {
    const none = await shadow(['nobody']);
    expect(none.code).toBe(0);
    expect(none.out).toContain('rule nobody (shadow): 0 run(s), 0 write(s)');
    const missing = await shadow([]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/AP_CLI_USAGE: one rule id is needed/);
    for (const bad of [
      ['--since', 'soon'],
      ['--until', 'never'],
    ]) {
      const refused = await shadow(['nobody', ...bad]);
      expect(refused.code, bad.join(' ')).toBe(2);
      expect(refused.err).toContain('Usage: autopilot shadow');
      expect(refused.err).not.toContain('autopilot backtest --rules');
    }
  });
});
