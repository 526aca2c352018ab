/**
 * `autopilot backtest` over the stored event log: runs per rule with their params, work items
 * rebuilt from the events as they were, a baseline diff, CI exit codes, identical output twice.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/report.ts';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { cli } from '../audit/support-cli.ts';

const UNTIL = Date.UTC(2026, 2, 10);
const DAY = 86_400_000;
let dir: string;

const ESCALATE = `id: escalate
on: { event: work_item.created, project: [demo], work_item_type: [issue] }
when:
  all:
    - { fact: work_item, path: fields.priority, operator: equal, value: P0 }
do:
  - comment: { text: 'P0: {{work_item.name}}' }
  - transition: { to: in_progress }
`;
const DOWNGRADED = `id: downgraded
on: { event: work_item.updated, project: [demo] }
when:
  all:
    - { fact: work_item, path: fields.priority, operator: equal, value: P1 }
    - { fact: work_item, path: fields.field_severity, operator: equal, value: major }
do:
  - comment: { text: 'now P1 and {{work_item.fields.field_severity}}' }
`;
const UNSEEN = `id: unseen
on: { event: work_item.updated, project: [demo] }
when:
  all:
    - { fact: work_item, path: fields.field_estimate, operator: greaterThan, value: 3 }
do:
  - comment: { text: 'big' }
`;

function webhook(uuid: string, eventType: string, at: number, id: number, extra: Record<string, unknown>) {
  return {
    header: { event_type: eventType, token: 't', uuid, operator: '7400000000000000002' },
    payload: {
      id,
      name: `issue ${id}`,
      project_key: 'pk',
      project_simple_name: 'demo',
      work_item_type_key: 'issue',
      updated_at: at,
      ...extra,
    },
  };
}

function writeRules(name: string, files: Record<string, string>): string {
  const rulesDir = join(dir, name);
  mkdirSync(rulesDir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(rulesDir, file), text);
  return rulesDir;
}

const run = (args: string[]) =>
  cli(['backtest', '--data', join(dir, 'data'), '--until', String(UNTIL), ...args], dir);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autopilot-backtest-'));
  mkdirSync(join(dir, 'data'));
  const stores = await openSqliteStores({ path: join(dir, 'data', 'autopilot.db') });
  const fields = (priority: string) => [
    { field_key: 'priority', field_value: { label: priority, value: priority } },
    { field_key: 'field_severity', field_value: { label: 'major', value: 'major' } },
  ];
  const bodies = [
    webhook('u1', 'WorkitemCreateEvent', UNTIL - 3 * DAY, 101, { fields: fields('P0') }),
    webhook('u2', 'WorkitemCreateEvent', UNTIL - 3 * DAY + 1, 102, { fields: fields('P2') }),
    webhook('u3', 'WorkitemUpdateEvent', UNTIL - 2 * DAY, 101, {
      changed_fields: [{ field_key: 'priority', before: { value: 'P0' }, after: { value: 'P1' } }],
    }),
    // Outside the window: too old.
    webhook('u0', 'WorkitemCreateEvent', UNTIL - 30 * DAY, 103, { fields: fields('P0') }),
    // The engine's own change: skipped as the engine would.
    {
      ...webhook('u4', 'WorkitemUpdateEvent', UNTIL - DAY, 102, {
        changed_fields: [{ field_key: 'priority', after: { value: 'P1' } }],
      }),
      header: { event_type: 'WorkitemUpdateEvent', token: 't', uuid: 'u4', operator: '7400000000000000001' },
    },
  ];
  for (const body of bodies) {
    const event = normalizeFeishuWebhook(body, { receivedAt: 0 });
    await stores.events.append(event, event.occurredAt);
  }
  await stores.close();
  writeRules('rules', { 'escalate.yaml': ESCALATE, 'downgraded.yaml': DOWNGRADED, 'unseen.yaml': UNSEEN });
  writeRules('baseline', {
    'escalate.yaml': ESCALATE.replace("'P0: {{work_item.name}}'", "'urgent: {{work_item.name}}'"),
    'old.yaml': ESCALATE.replace('id: escalate', 'id: old'),
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autopilot backtest over the event log', () => {
  it('reports per rule the runs it would have made, with work items as they were at each event', async () => {
    const { code, out, err } = await run(['--rules', 'rules', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out) as BacktestReport;
    expect(report.source).toBe('event log');
    expect(report.events).toBe(4);
    const byRule = Object.fromEntries(report.rules.map((r) => [r.ruleId, r]));
    expect(byRule.escalate?.runs.map((r) => [r.workItem, r.actions.map((a) => a.params)])).toEqual([
      ['pk:101', [{ text: 'P0: issue 101' }, { to: 'in_progress' }]],
    ]);
    expect(byRule.escalate?.writes).toBe(2);
    // Item 101 was P0 when created and P1 after its update: the rule sees P1 then, and the severity from creation.
    expect(byRule.downgraded?.runs.map((r) => [r.eventType, r.workItem, r.actions[0]?.params])).toEqual([
      ['work_item.updated', 'pk:101', { text: 'now P1 and major' }],
    ]);
    // field_estimate never appears in the history: the rule cannot be decided, and says so.
    expect(byRule.unseen?.runs).toEqual([]);
    expect(byRule.unseen?.undecided).toEqual([
      { ruleId: 'unseen', eventId: 'feishu:u3', paths: ['fields.field_estimate'] },
    ]);
  });

  it('prints the same bytes twice, as text and as JSON', async () => {
    const [a, b] = [await run(['--rules', 'rules']), await run(['--rules', 'rules'])];
    expect(a.out).toBe(b.out);
    expect(a.out).toContain('rule escalate: 1 run(s), 2 write(s)');
    expect(a.out).toContain('rule unseen: 0 run(s), 0 write(s), 1 undecided');
    const [c, d] = [await run(['--rules', 'rules', '--json']), await run(['--rules', 'rules', '--json'])];
    expect(c.out).toBe(d.out);
  });

  it('against a baseline: runs added, removed and changed with the differing params', async () => {
    const { code, out } = await run(['--rules', 'rules', '--baseline', 'baseline', '--json']);
    expect(code).toBe(0);
    const { diff, newWrites } = JSON.parse(out) as BacktestReport;
    expect(diff?.added.map((r) => r.ruleId)).toEqual(['downgraded']);
    expect(diff?.removed.map((r) => r.ruleId)).toEqual(['old']);
    expect(diff?.changed).toMatchObject([
      {
        ruleId: 'escalate',
        workItem: 'pk:101',
        differences: [
          { path: 'actions.0.params.text', baseline: 'urgent: issue 101', rules: 'P0: issue 101' },
        ],
      },
    ]);
    expect(newWrites).toBe(1);
    const text = (await run(['--rules', 'rules', '--baseline', 'baseline'])).out;
    expect(text).toContain('against baseline: 1 added, 1 removed, 1 changed; 1 new write(s)');
    expect(text).toContain('actions.0.params.text: "urgent: issue 101" → "P0: issue 101"');
  });

  it('exits 1 above --max-new-writes and with --fail-on-diff, 0 within them', async () => {
    expect((await run(['--rules', 'rules', '--baseline', 'baseline', '--max-new-writes', '1'])).code).toBe(0);
    const over = await run(['--rules', 'rules', '--baseline', 'baseline', '--max-new-writes', '0']);
    expect(over.code).toBe(1);
    expect(over.err).toContain('1 new write(s), more than --max-new-writes 0');
    const differs = await run(['--rules', 'rules', '--baseline', 'baseline', '--fail-on-diff']);
    expect(differs.code).toBe(1);
    expect((await run(['--rules', 'rules', '--baseline', 'rules', '--fail-on-diff'])).code).toBe(0);
    // Without a baseline every write is new.
    expect((await run(['--rules', 'rules', '--max-new-writes', '2'])).code).toBe(1);
  });

  it('refuses bad arguments with a clear coded error', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /AP_CLI_USAGE: --rules <dir> is required/],
      [['--rules', 'rules', '--since', 'soon'], /AP_CLI_USAGE: --since: /],
      [['--rules', 'rules', '--from', 'ftp'], /AP_CLI_USAGE: --from must be api or log/],
      [['--rules', 'rules', '--fail-on-diff'], /AP_CLI_USAGE: --fail-on-diff compares with a --baseline/],
      [['--rules', 'rules', '--max-new-writes=-1'], /AP_CLI_USAGE: --max-new-writes must be a whole number/],
      [['--rules', 'rules', '--until', 'tomorrow'], /AP_CLI_USAGE: --until 'tomorrow'/],
      [['--rules', 'nowhere'], /nowhere:1:1: cannot read rules/],
      [['--rules', 'rules', '--from', 'api'], /AP_CONFIG_INVALID: --from api reads the real tenant/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = await run(args);
      // A wrong command line exits 2, input that cannot be used 1.
      expect(code, args.join(' ')).toBe(message.source.startsWith('AP_CLI_USAGE') ? 2 : 1);
      expect(err, args.join(' ')).toMatch(message);
      expect(err).not.toContain('    at ');
    }
    const missing = await cli(['backtest', '--rules', 'rules', '--data', join(dir, 'nope')], dir);
    expect(missing.err).toMatch(/AP_NOT_FOUND: no database at/);
  });
});

describe('autopilot backtest: conditions on the origin', () => {
  it('are undecided for webhooks replayed from the log (their origin was never stored), decided for records', async () => {
    const rulesDir = writeRules('origin-rules', {
      'people.yaml': `id: people
on: { event: work_item.created, project: [demo] }
when:
  all:
    - { fact: origin, path: kind, operator: equal, value: user }
do:
  - comment: { text: hi }
`,
    });
    const { out } = await run(['--rules', rulesDir, '--json']);
    const [rule] = (JSON.parse(out) as BacktestReport).rules;
    expect(rule?.runs).toEqual([]);
    expect(rule?.undecided.map((u) => u.paths)).toEqual([['kind'], ['kind']]);
  });
});
