/**
 * `autopilot check --live` from the front door: without credentials it reads the built-in
 * simulator's demo tenant; `--cache` saves what it read and `--offline` checks against that.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import type { RequestRecord } from '../../src/simulator/http/request-log.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import { autopilot, REPO_ROOT } from '../examples/run-autopilot.ts';

const MISTAKES = 'test/fixtures/live-rules/mistakes';
const CLEAN = 'test/fixtures/live-rules/clean';
const at = (file: string, line: number, column: number) => `${MISTAKES}/${file}:${line}:${column}: `;

/** Every kind of mistake, where it is written. */
const EXPECTED: Array<[string, string]> = [
  [
    at('bug-fields.yaml', 9, 32),
    "no field with key or alias 'prio' on issue in demo [AP_META_UNKNOWN_FIELD]",
  ],
  [
    at('bug-fields.yaml', 10, 75),
    "'P9' is not an option of priority (options: P0, P1, P2, P3) [AP_META_UNKNOWN_OPTION]",
  ],
  [
    at('bug-fields.yaml', 11, 32),
    'resolution (field_resolution) is a text field: it cannot be compared as a number [AP_META_FIELD_TYPE]',
  ],
  [
    at('bug-fields.yaml', 12, 63),
    "no state 'closed' in the workflow of issue in demo (states: open, in_progress, resolved) [AP_META_UNKNOWN_STATE]",
  ],
  [
    at('bug-fields.yaml', 14, 42),
    "'blocker' is not an option of severity (field_severity) (options: critical, major, minor) [AP_META_UNKNOWN_OPTION]",
  ],
  [
    at('bug-fields.yaml', 14, 63),
    'resolution (field_resolution) is a text field; 42 (a number) is not text [AP_META_FIELD_TYPE]',
  ],
  [at('bug-fields.yaml', 15, 23), "no state 'done' in the workflow of issue in demo"],
  [
    at('bug-fields.yaml', 16, 21),
    "no role 'developer' on issue in demo (roles: reporter, operator) [AP_META_UNKNOWN_ROLE]",
  ],
  [at('bug-fields.yaml', 16, 40), "no user with user key '7400000000000000099' [AP_META_UNKNOWN_USER]"],
  [at('elsewhere.yaml', 4, 19), "no space 'nowhere' in the tenant [AP_META_UNKNOWN_SPACE]"],
  [
    at('elsewhere.yaml', 5, 20),
    "no work item type 'bug' in space demo (types: story, issue) [AP_META_UNKNOWN_TYPE]",
  ],
  [
    at('story-flow.yaml', 8, 73),
    "estimate (field_estimate) is a number field; 'high' (text) is not a number [AP_META_FIELD_TYPE]",
  ],
  [
    at('story-flow.yaml', 9, 76),
    "no node 'review' in the workflow of story in demo (nodes: start, doing, testing, end) [AP_META_UNKNOWN_NODE]",
  ],
  [at('story-flow.yaml', 11, 28), "no node 'qa_signoff' in the workflow of story in demo"],
  [
    at('story-flow.yaml', 12, 28),
    "no relation rule 'rule_nowhere' in space demo (relation rules: rule_demo_platform) [AP_META_UNKNOWN_RELATION_RULE]",
  ],
  [
    at('story-flow.yaml', 12, 55),
    "no work item type 'epic' in space platform (types: story) [AP_META_UNKNOWN_TYPE]",
  ],
];

const tempCache = () => join(mkdtempSync(join(tmpdir(), 'live-check-')), 'meta.json');

describe('autopilot check --live', () => {
  it('reports every mistake against the simulator at file:line:column and exits 1', async () => {
    const result = await autopilot(['check', MISTAKES, '--live']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    for (const [where, message] of EXPECTED) {
      expect(
        lines.some((line) => line.startsWith(where) && line.includes(message)),
        `${where}${message}`,
      ).toBe(true);
    }
    expect(lines).toHaveLength(EXPECTED.length + 1);
    expect(lines.at(-1)).toBe(
      "16 problems in 3 files (checked against the built-in simulator's demo tenant: spaces demo, nowhere, platform)",
    );
  });

  it('leaves the offline check as it was: the same rules are valid without --live', async () => {
    const result = await autopilot(['check', MISTAKES]);
    expect(result).toEqual({ code: 0, stdout: 'ok: 3 rules valid\n', stderr: '' });
  });

  it('exits 0 on rules that match the tenant, and on the repository rules', async () => {
    expect(await autopilot(['check', CLEAN, '--live'])).toEqual({
      code: 0,
      stdout:
        "ok: 2 rules valid, checked against the built-in simulator's demo tenant: spaces demo, platform\n",
      stderr: '',
    });
    const repo = await autopilot(['check', 'rules', '--live']);
    expect(repo.stderr).toBe('');
    expect(repo.code).toBe(0);
  });

  it('--json carries the codes and what was checked', async () => {
    const result = await autopilot(['check', MISTAKES, '--live', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      diagnostics: Array<{ file: string; line: number; column: number; code: string }>;
      live: { source: string; spaces: string[] };
    };
    expect(report.ok).toBe(false);
    expect(report.live).toEqual({ source: 'simulator', spaces: ['demo', 'nowhere', 'platform'] });
    expect(new Set(report.diagnostics.map((d) => d.code))).toEqual(
      new Set([
        'AP_META_UNKNOWN_FIELD',
        'AP_META_UNKNOWN_OPTION',
        'AP_META_FIELD_TYPE',
        'AP_META_UNKNOWN_STATE',
        'AP_META_UNKNOWN_NODE',
        'AP_META_UNKNOWN_ROLE',
        'AP_META_UNKNOWN_RELATION_RULE',
        'AP_META_UNKNOWN_USER',
        'AP_META_UNKNOWN_SPACE',
        'AP_META_UNKNOWN_TYPE',
      ]),
    );
  });

  it('--cache saves what was read and --offline gives the same output from it', async () => {
    const cache = tempCache();
    const live = await autopilot(['check', MISTAKES, '--live', '--cache', cache]);
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as {
      format: string;
      source: string;
      spaces: object;
    };
    expect(saved).toMatchObject({ format: 'fp-autopilot/meta@1', source: 'simulator' });
    expect(Object.keys(saved.spaces).sort()).toEqual(['demo', 'nowhere', 'platform']);
    const offline = await autopilot(['check', MISTAKES, '--offline', '--cache', cache]);
    expect(offline).toEqual(live);
    expect(offline.code).toBe(1);
  });

  it('--offline says what the saved copy lacks', async () => {
    const cache = tempCache();
    expect((await autopilot(['check', CLEAN, '--live', '--cache', cache])).code).toBe(0);
    const offline = await autopilot(['check', MISTAKES, '--offline', '--cache', cache]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain(
      `${at('elsewhere.yaml', 4, 19)}space 'nowhere' is not in the saved metadata ${cache}: refresh it with 'autopilot check --live --cache ${cache}' [AP_META_NOT_SAVED]`,
    );
  });

  it('--offline without a saved copy is a clear error, exit 1', async () => {
    const missing = tempCache();
    const result = await autopilot(['check', CLEAN, '--offline', '--cache', missing]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `autopilot check: AP_INPUT_FILE: no saved metadata at ${missing}: run 'autopilot check --live --cache ${missing}' first (with credentials, or against the built-in simulator)\n`,
    );
  });

  it('refuses --cache without --live or --offline, and both at once (exit 2)', async () => {
    for (const args of [
      ['check', CLEAN, '--cache', 'x.json'],
      ['check', CLEAN, '--live', '--offline'],
    ]) {
      const result = await autopilot(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('AP_CLI_USAGE');
    }
  });

  it('with credentials reads the configured tenant, only through catalogue reads and within its limits', async () => {
    const sim = await startSimulator();
    try {
      const env = {
        FEISHU_BASE_URL: sim.baseUrl,
        FEISHU_PLUGIN_ID: sim.credentials.pluginId,
        FEISHU_PLUGIN_SECRET: sim.credentials.pluginSecret,
        FEISHU_USER_KEY: sim.credentials.userKey,
      };
      const out = new PassThrough();
      const err = new PassThrough();
      const chunks: string[] = [];
      out.on('data', (c: Buffer) => chunks.push(c.toString()));
      err.on('data', (c: Buffer) => chunks.push(c.toString()));
      const code = await runCli(['check', MISTAKES, '--live'], {
        stdout: out,
        stderr: err,
        env,
        cwd: REPO_ROOT,
      });
      expect(code).toBe(1);
      const text = chunks.join('');
      for (const [where, message] of EXPECTED) expect(text).toContain(`${where}${message}`);
      expect(text).toContain('(checked against the Open API: spaces demo, nowhere, platform)');
      const requests = (await (await fetch(`${sim.baseUrl}/_sim/requests`)).json()) as RequestRecord[];
      const routes = new Set(requests.map((r) => r.route));
      expect([...routes].sort()).toEqual([
        'auth.pluginToken',
        'config.allTypes',
        'config.fieldsAll',
        'config.flowRoles',
        'config.templateDetail',
        'config.templateList',
        'config.workItemTypeInfo',
        'relation.rules',
        'user.query',
      ]);
      expect(requests.filter((r) => r.err_code === 10429)).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
