/**
 * `autopilot backtest --from api`: the operation records of the spaces the rules name, read
 * from the simulator within the API's limits, and the work items rebuilt as they were.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/report.ts';
import { MAX_WINDOW_MS } from '../../src/records/op-record.ts';
import { USERS, startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import { cli } from '../audit/support-cli.ts';
import { simClient } from '../serve/support/sim-client.ts';

const ISSUE = 6437110005;
let dir: string;
let sim: RunningSimulator;
let env: NodeJS.ProcessEnv;

const WHEN_P1 = `id: when-p1
on: { event: work_item.updated, project: [demo], work_item_type: [issue] }
when:
  all:
    - { fact: work_item, path: fields.priority, operator: equal, value: P1 }
do:
  - comment: { text: 'P1 at {{change.field}}' }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autopilot-backtest-api-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'when-p1.yaml'), WHEN_P1);
  writeFileSync(join(dir, 'autopilot.yaml'), 'reconcile:\n  maxRequestsPerSecond: 15\n');
  sim = await startSimulator();
  const { credentials: c } = sim;
  env = {
    FEISHU_BASE_URL: sim.baseUrl,
    FEISHU_PLUGIN_ID: c.pluginId,
    FEISHU_PLUGIN_SECRET: c.pluginSecret,
    FEISHU_USER_KEY: c.userKey,
  };
  const alice = await simClient(sim.baseUrl, c.pluginId, c.pluginSecret);
  const set = async (field: string, value: unknown, user: string = USERS.alice) => {
    const answer = await alice.call(
      'PUT',
      `/open_api/demo/work_item/issue/${ISSUE}`,
      { update_fields: [{ field_key: field, field_value: value }] },
      user,
    );
    expect(answer.err_code).toBe(0);
    // Distinct instants, as changes made by people are.
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  await set('priority', { value: 'P1' });
  await set('field_severity', { value: 'minor' });
  await set('priority', { value: 'P2' });
  // The engine's own change (its user): skipped, as the engine would.
  await set('field_resolution', 'fixed', c.userKey);
});

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const backtest = (args: string[]) =>
  cli(['backtest', '--rules', 'rules', '--from', 'api', '--config', 'autopilot.yaml', ...args], dir, env);

describe('autopilot backtest --from api', () => {
  it('replays the operation records with the work item as it was at each change', async () => {
    const { code, out, err } = await backtest(['--since', '10d', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out) as BacktestReport;
    expect(report.source).toBe('operation records');
    expect(report.events).toBe(4);
    // Now the issue is P2; it was P1 right after the first change and the second.
    expect(report.rules[0]?.runs.map((r) => r.actions[0]?.params)).toEqual([
      { text: 'P1 at priority' },
      { text: 'P1 at field_severity' },
    ]);
  });

  it('stays within the API limits: ≤ 50 ids, ≤ 7-day windows, ≤ 200 a page, no 10429', async () => {
    const before = sim.requests().length;
    const { code, out } = await backtest(['--since', '10d']);
    expect(code).toBe(0);
    const requests = sim.requests().slice(before);
    expect(requests.filter((r) => r.err_code === 10429)).toEqual([]);
    const records = requests.filter((r) => r.route === 'workItem.opRecords');
    expect(records.length).toBe(2);
    for (const r of records) {
      const body = r.body as { work_item_ids: unknown[]; start: number; end: number; page_size: number };
      expect(body.work_item_ids.length).toBeLessThanOrEqual(50);
      expect(body.end - body.start).toBeLessThanOrEqual(MAX_WINDOW_MS);
      expect(body.page_size).toBeLessThanOrEqual(200);
    }
    expect(requests.filter((r) => r.route === 'workItem.filter')).toHaveLength(1);
    // Two runs over the same history print the same bytes.
    expect((await backtest(['--since', '10d'])).out).toBe(out);
  });

  it('refuses a window reaching before 2024-07-02 with AP_RECORD_TOO_OLD', async () => {
    const { code, err } = await backtest(['--since', '1000d']);
    expect(code).toBe(1);
    expect(err).toMatch(/AP_RECORD_TOO_OLD: --since reaches .*2024-07-02/);
  });
});
