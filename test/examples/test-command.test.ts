import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autopilot, NOW } from './run-autopilot.ts';

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const RULE = `id: greet
on: { event: work_item.created }
do:
  - comment: { text: "hello {{event.operator}}" }
`;

describe('autopilot test: the readable tree', () => {
  it('shows the event, each condition with what it saw, and the calls with their X-IDEM-UUID', async () => {
    const { code, stdout } = await autopilot([
      'test',
      '--event',
      'test/fixtures/events/p2-bug-created.json',
      '--now',
      NOW,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'event work_item.created  id feishu:9d1f0c7a-1111-4a5b-8c01-000000000002  (Feishu webhook',
    );
    expect(stdout).toContain('work item  issue 6437110012');
    expect(stdout).toContain('escalate-p0-bugs: not matched');
    expect(stdout).toContain('work_item.fields.priority equal "P0"  seen "P2"  → false');
    expect(stdout).toContain('assign-critical-bugs: UNDECIDED: needs live work item data');
    expect(stdout).toContain('→ NEEDS LIVE DATA');
  });

  it('prints planned calls and deferred ones', async () => {
    const { stdout } = await autopilot([
      'test',
      '--event',
      'test/fixtures/events/p0-bug-created.json',
      '--now',
      NOW,
    ]);
    expect(stdout).toMatch(/escalate-p0-bugs: MATCHED/);
    expect(stdout).toMatch(/1\. comment {2}X-IDEM-UUID [0-9a-f-]{36}/);
    expect(stdout).toContain(
      'POST /open_api/66a1b2c3d4e5f60718293a4b/work_item/issue/6437110011/comment/create',
    );
    expect(stdout).toMatch(/2\. transition \(recheck\)/);
    expect(stdout).toContain('deferred (needs live data): transition needs the transition_id');
  });

  it('gives the same idempotency keys on every run (same event, same rules)', async () => {
    const args = ['test', '--event', 'test/fixtures/events/p0-bug-created.json', '--json', '--now', NOW];
    const first = await autopilot(args);
    const second = await autopilot([...args.slice(0, -1), '2030-01-01T00:00:00Z']);
    const keys = (out: string) => out.match(/"idempotencyKey": "[^"]+"/g);
    expect(keys(first.stdout)?.length).toBeGreaterThanOrEqual(4);
    expect(keys(second.stdout)).toEqual(keys(first.stdout));
  });

  it('takes --rules and a raw legacy body; no candidate means an empty list', async () => {
    const dir = scratch({ 'greet.yaml': RULE });
    const { code, stdout } = await autopilot([
      'test',
      '--event',
      join(process.cwd(), 'test/fixtures/feishu/legacy/wf-node-reached.json'),
      '--rules',
      dir,
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ event: { type: 'node.reached' }, candidates: [] });
  });
});

describe('autopilot test: canonical events', () => {
  it('accepts numeric ids and fills defaults (source replay, time from --now)', async () => {
    const dir = scratch({
      'greet.yaml': RULE,
      'e.json':
        '{"id": 42, "type": "work_item.created", "operator": "u1", "workItem": {"id": 6437110099, "typeKey": "issue"}, "projectKey": "demo"}',
    });
    const { code, stdout } = await autopilot(
      ['test', '--event', 'e.json', '--rules', '.', '--json', '--now', NOW],
      dir,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.event).toMatchObject({
      id: '42',
      source: 'replay',
      occurredAt: Date.parse(NOW),
      workItem: { id: '6437110099', typeKey: 'issue' },
    });
    expect(report.candidates[0].run.actions[0].calls[0]).toMatchObject({
      path: '/open_api/demo/work_item/issue/6437110099/comment/create',
      body: { content: 'hello u1' },
    });
  });
});

describe('autopilot test: bad input gets a clear message and exit 1 (a wrong command line 2), never a stack trace', () => {
  const cases: [name: string, files: Record<string, string>, args: string[], message: RegExp][] = [
    [
      'missing event file',
      {},
      ['--event', 'nope.json'],
      /AP_INPUT_FILE: cannot read event file nope\.json: no such file/,
    ],
    [
      'broken JSON, with its line and column',
      { 'e.json': '{\n  "header": {"event_type": "WorkitemCreateEvent",}\n}' },
      ['--event', 'e.json'],
      /AP_INPUT_FILE: e\.json:2:50: event is not valid JSON/,
    ],
    [
      'a JSON value that is no event',
      { 'e.json': '[1, 2]' },
      ['--event', 'e.json'],
      /AP_EVENT_INVALID: the event is not a JSON object/,
    ],
    [
      'a canonical event without a type',
      { 'e.json': '{"id": "e-1", "payload": {}}' },
      ['--event', 'e.json'],
      /AP_EVENT_INVALID: the event has no type/,
    ],
    [
      'an unknown Feishu event type',
      { 'e.json': '{"header": {"event_type": "MysteryEvent"}, "payload": {}}' },
      ['--event', 'e.json'],
      /AP_EVENT_INVALID: unsupported Feishu event_type 'MysteryEvent'/,
    ],
    [
      'a work item file that is not an object',
      { 'e.json': '{"id": "e-1", "type": "work_item.created"}', 'w.json': '"text"' },
      ['--event', 'e.json', '--work-item', 'w.json'],
      /AP_INPUT_FILE: the work item is not a JSON object/,
    ],
    [
      'a canonical event from an unknown source',
      { 'e.json': '{"id": "e-1", "type": "work_item.created", "source": "fax"}' },
      ['--event', 'e.json'],
      /AP_EVENT_INVALID: the event's source 'fax' is not one of feishu, op_record, webhook/,
    ],
    [
      'a canonical event whose workItem has no type',
      { 'e.json': '{"id": "e-1", "type": "work_item.created", "workItem": {"id": 5}}' },
      ['--event', 'e.json'],
      /AP_EVENT_INVALID: workItem must be \{id, typeKey\}/,
    ],
    [
      'a work item without an id',
      {
        'e.json': '{"id": "e-1", "type": "work_item.created"}',
        'w.json': '{"data": [{"name": "x", "fields": []}]}',
      },
      ['--event', 'e.json', '--work-item', 'w.json'],
      /AP_INPUT_FILE: the work item has no id/,
    ],
    ['no --event', {}, [], /AP_CLI_USAGE: --event <file.json> is required/],
    ['an unknown flag', {}, ['--event', 'e.json', '--verbose'], /AP_CLI_USAGE: Unknown option '--verbose'/],
    [
      'a bad --now',
      {},
      ['--event', 'e.json', '--now', 'tomorrow'],
      /AP_CLI_USAGE: --now 'tomorrow' is not an ISO 8601 time/,
    ],
  ];

  it.each(cases)('%s', async (_name, files, args, message) => {
    const { code, stdout, stderr } = await autopilot(['test', ...args], scratch(files));
    // A wrong command line exits 2, a bad input file or event 1.
    expect(code).toBe(message.source.startsWith('AP_CLI_USAGE') ? 2 : 1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints rule problems as file:line:column and exits 1', async () => {
    const dir = scratch({
      'e.json': '{"id": "e-1", "type": "work_item.created"}',
      'bad.yaml': 'id: bad\non: { event: work_item.created }\ndo:\n  - explode: {}\n',
    });
    const { code, stdout, stderr } = await autopilot(['test', '--event', 'e.json', '--rules', '.'], dir);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^bad\.yaml:4:\d+: /m);
    expect(stderr).toContain('problem(s) in the rules');
  });

  it('says so when --rules holds no rule file, or does not exist', async () => {
    const dir = scratch({ 'e.json': '{"id": "e-1", "type": "work_item.created"}' });
    const empty = await autopilot(['test', '--event', 'e.json', '--rules', '.'], dir);
    expect(empty).toMatchObject({ code: 1, stdout: '' });
    expect(empty.stderr).toBe('autopilot test: no rule files (*.yaml, *.yml) in .\n');
    const missing = await autopilot(['test', '--event', 'e.json', '--rules', 'nowhere'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nowhere:1:1: cannot read rules: no such file or directory');
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await autopilot(['test', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: autopilot test --event <file.json>');
  });
});

describe('autopilot test: list and date maths formatters', () => {
  it('renders size, add + date and days_since into the planned comment, at the --now time', async () => {
    const dir = scratch({
      'age-note.yaml': `id: age-note
on: { event: work_item.updated }
do:
  - comment: { text: 'reporters {{work_item.roles.reporter | size}}, due {{work_item.created_at | add("2d") | date("YYYY-MM-DD")}}, {{work_item.created_at | days_since}} days old, first {{work_item.roles.operator | first | default("nobody")}}' }
`,
    });
    const { code, stdout, stderr } = await autopilot([
      'test',
      '--event',
      'test/fixtures/events/severity-raised.json',
      '--work-item',
      'test/fixtures/work-items/critical-bug-normalized.json',
      '--rules',
      dir,
      '--now',
      NOW,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // created_at 2025-11-20T00:53:20Z; NOW 2025-11-24T01:00Z: four whole days.
    expect(stdout).toContain('reporters 1, due 2025-11-22, 4 days old, first nobody');
  });
});
