import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditWriter } from '../../src/audit/audit-writer.ts';
import { createExecutor } from '../../src/executor/executor.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { buildAction, buildRun, commentCall } from '../executor/support/builders.ts';
import { ScriptedApi } from '../executor/support/scripted-api.ts';
import { cli } from './support-cli.ts';

let dir: string;
const ok = buildRun({ id: 'run-ok', eventId: 'evt-1', lane: 'space:1' });
const dead = buildRun({
  id: 'run-dead',
  eventId: 'evt-1',
  ruleId: 'rule-b',
  lane: 'space:2',
  actions: [buildAction({ index: 0, type: 'comment', calls: [commentCall('2', 'nope')] })],
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ap-cli-'));
  const stores = await openSqliteStores({ path: join(dir, 'autopilot.db') });
  const audit = createAuditWriter(stores.audit, Date.now);
  const event = {
    id: 'evt-1',
    source: 'feishu' as const,
    type: 'work_item.created',
    occurredAt: Date.parse('2026-11-22T01:00:00Z'),
    projectKey: 'space',
    workItem: { id: '1', typeKey: 'story' },
    payload: {},
  };
  await stores.events.append(event, Date.now());
  await audit.eventStored(event, true);
  await audit.ruleEvaluated(event, 'rule-a', true, [
    {
      fact: 'work_item',
      path: 'fields.priority',
      operator: 'equal',
      expected: 'P0',
      actual: 'P0',
      outcome: true,
    },
  ]);
  await audit.ruleEvaluated(event, 'rule-c', false, []);
  await audit.runPlanned(ok);
  await audit.runPlanned(dead);
  await stores.runs.enqueue([ok, dead], Date.now());
  const api = new ScriptedApi().otherwise((call) =>
    JSON.stringify(call.body).includes('nope')
      ? {
          class: 'permanent',
          errCode: 20038,
          errMsg: 'Required Field Is Not Set',
          logId: 'LOG42',
          httpStatus: 400,
        }
      : { class: 'ok', data: { comment_id: '7565431108055490001' } },
  );
  const executor = createExecutor({
    runs: stores.runs,
    audit: stores.audit,
    api,
    rules: () => undefined,
    pollMs: 5,
    rateLimitOf: (operation) => ({ key: operation, cls: { qps: 100 } }),
  });
  executor.start();
  await executor.idle();
  await executor.stop();
  await stores.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autopilot runs', () => {
  it('lists runs with their state, filtered by state and rule', async () => {
    const all = await cli(['runs', '--data', dir], '/');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^RUN\s+STATE\s+RULE/);
    expect(all.out).toMatch(/run-ok\s+succeeded\s+rule-a\s+space:1\s+1\/1/);
    expect(all.out).toMatch(/run-dead\s+dead\s+rule-b.*AP_API_PERMANENT 20038/);
    const deadOnly = await cli(['runs', '--state', 'dead', '--json'], dir, { AUTOPILOT_DATA: '.' });
    expect(JSON.parse(deadOnly.out).map((r: { run: { id: string } }) => r.run.id)).toEqual(['run-dead']);
    const byRule = await cli(['runs', '--rule', 'rule-a', '--data', dir, '--json'], '/');
    expect(JSON.parse(byRule.out)).toHaveLength(1);
  });

  it('refuses an unknown state, a bad limit, an unknown flag (exit 2) and a missing database (exit 1)', async () => {
    expect(await cli(['runs', '--state', 'done', '--data', dir], '/')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/AP_CLI_USAGE: unknown state 'done'/),
    });
    expect((await cli(['runs', '--limit', '0', '--data', dir], '/')).err).toMatch(
      /--limit must be a positive integer/,
    );
    expect((await cli(['runs', '--frobnicate'], '/')).err).toMatch(
      /AP_CLI_USAGE: Unknown option '--frobnicate'/,
    );
    const missing = await cli(['runs', '--data', join(dir, 'nope')], '/');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/AP_NOT_FOUND: no database at .*nope\/autopilot\.db/);
  });
});

describe('autopilot dlq', () => {
  it('lists dead runs with the API error, requeues and drops them', async () => {
    const list = await cli(['dlq', 'list', '--data', dir], '/');
    expect(list.out).toMatch(/run-dead\s+rule-b\s+evt-1\s+space:2\s+0 comment/);
    expect(list.out).toContain(
      'AP_API_PERMANENT · 20038 Required Field Is Not Set · log_id LOG42 · HTTP 400',
    );

    expect(await cli(['dlq', 'retry', 'run-dead', '--data', dir], '/')).toMatchObject({
      code: 0,
      out: 'requeued run-dead at action 0 comment\n',
    });
    expect((await cli(['runs', '--state', 'queued', '--data', dir], '/')).out).toContain('run-dead');
    expect(await cli(['dlq', 'drop', 'run-dead', '--data', dir], '/')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/AP_NOT_FOUND: no dead letter 'run-dead': the run is queued/),
    });
    expect(await cli(['dlq', 'retry', 'run-nope', '--data', dir], '/')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/AP_NOT_FOUND: no run 'run-nope'/),
    });
    expect(await cli(['dlq', 'shuffle', '--data', dir], '/')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/AP_CLI_USAGE: usage: autopilot dlq/),
    });
  });

  it('drops a dead run for good', async () => {
    const stores = await openSqliteStores({ path: join(dir, 'autopilot.db') });
    const extra = buildRun({ id: 'run-dead-2', eventId: 'evt-2', lane: 'space:9' });
    await stores.runs.enqueue([extra], 0);
    await stores.runs.claim('w', 10, 1000, 0);
    await stores.runs.deadLetter('run-dead-2', 'w', { code: 'AP_API_PERMANENT', message: 'x' }, 1);
    await stores.close();
    expect((await cli(['dlq', 'drop', 'run-dead-2', '--data', dir], '/')).out).toBe('dropped run-dead-2\n');
    expect((await cli(['dlq', 'list', '--data', dir], '/')).out).not.toContain('run-dead-2');
  });
});

describe('autopilot trace', () => {
  it('tells the story of an event in time order: match, runs, attempts, effects', async () => {
    const { code, out } = await cli(['trace', 'evt-1', '--data', dir], '/');
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^event evt-1 {2}work_item\.created {2}from feishu {2}work item space:1/);
    const kinds = ['event.stored', 'rule.matched', 'run.planned', 'action.attempted', 'run.dead_lettered'];
    const positions = kinds.map((k) => out.indexOf(k));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(out).toContain('work_item.fields.priority equal "P0" (was "P0") → true');
    expect(out).toMatch(
      /comment attempt 1: POST \/open_api\/space\/work_item\/story\/1\/comment\/create → ok \(\d+ ms\) ⇒ done/,
    );
    expect(out).toMatch(/dead letter: AP_API_PERMANENT .* \[20038 Required Field Is Not Set log_id LOG42\]/);
    expect(out).toMatch(
      /runs:\n {2}run-ok {2}succeeded {2}rule rule-a {2}actions 1\/1\n {4}#0 comment: done at .*"comment_id":"7565431108055490001"/,
    );
    const json = JSON.parse((await cli(['trace', 'evt-1', '--json', '--data', dir], '/')).out);
    expect(json.event.event.id).toBe('evt-1');
    expect(json.audit.length).toBeGreaterThan(5);
  });

  it('says so when nothing is known about an event, and needs exactly one id', async () => {
    expect((await cli(['trace', 'evt-404', '--data', dir], '/')).err).toMatch(
      /AP_NOT_FOUND: nothing is known about event 'evt-404'/,
    );
    expect((await cli(['trace', '--data', dir], '/')).err).toMatch(/AP_CLI_USAGE: usage: autopilot trace/);
  });
});
