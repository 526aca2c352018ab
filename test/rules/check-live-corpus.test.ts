/**
 * The figures of issue #15 for `autopilot check --live`, against the simulator: a generated
 * corpus of rules with one deliberate mistake each, of every kind, is reported in full at the
 * right line and column and with nothing else; the same rules without their mistakes, and the
 * shipped rules, are not reported at all; and 100 rules in five spaces read each piece of
 * metadata once. (The time it takes is bench/check-live.bench.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import type { RequestRecord } from '../../src/simulator/http/request-log.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { REPO_ROOT } from '../examples/run-autopilot.ts';
import { cleanRules, fiveSpaceTenant, MISTAKE_KINDS, mistakeCorpus, SPACES } from '../support/meta-corpus.ts';

interface Report {
  ok: boolean;
  diagnostics: Array<{ file: string; line: number; column: number; code: string; message: string }>;
  live?: { source: string; spaces: string[] };
}

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ tenant: fiveSpaceTenant() });
});
afterAll(async () => {
  await sim.close();
});

/** `autopilot check <dir> --live --json` with credentials for the simulator of this file. */
async function checkLive(dir: string): Promise<{ code: number; report: Report; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: { out: string[]; err: string[] } = { out: [], err: [] };
  out.on('data', (c: Buffer) => chunks.out.push(c.toString()));
  err.on('data', (c: Buffer) => chunks.err.push(c.toString()));
  const env = {
    FEISHU_BASE_URL: sim.baseUrl,
    FEISHU_PLUGIN_ID: sim.credentials.pluginId,
    FEISHU_PLUGIN_SECRET: sim.credentials.pluginSecret,
    FEISHU_USER_KEY: sim.credentials.userKey,
  };
  const code = await runCli(['check', dir, '--live', '--json'], {
    stdout: out,
    stderr: err,
    env,
    cwd: REPO_ROOT,
  });
  return { code, report: JSON.parse(chunks.out.join('')) as Report, stderr: chunks.err.join('') };
}

function writeRules(files: Array<{ file: string; text: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-live-corpus-'));
  for (const { file, text } of files) writeFileSync(join(dir, file), text);
  return dir;
}

async function requestsSince(seq: number): Promise<RequestRecord[]> {
  const all = (await (await fetch(`${sim.baseUrl}/_sim/requests`)).json()) as RequestRecord[];
  return all.filter((r) => r.seq > seq);
}

async function lastSeq(): Promise<number> {
  const all = (await (await fetch(`${sim.baseUrl}/_sim/requests`)).json()) as RequestRecord[];
  return all.at(-1)?.seq ?? 0;
}

const corpus = mistakeCorpus();

describe('check --live over a generated corpus of mistakes', () => {
  it('has at least 200 mistakes, of every kind the README lists', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((r) => r.expected.code))).toEqual(
      new Set([
        'AP_META_UNKNOWN_FIELD',
        'AP_META_UNKNOWN_OPTION',
        'AP_META_FIELD_TYPE',
        'AP_META_UNKNOWN_STATE',
        'AP_META_UNKNOWN_NODE',
        'AP_META_NO_TRANSITION',
        'AP_META_UNREACHABLE',
        'AP_META_UNKNOWN_ROLE',
        'AP_META_UNKNOWN_RELATION_RULE',
        'AP_META_UNKNOWN_USER',
        'AP_META_UNKNOWN_SPACE',
        'AP_META_UNKNOWN_TYPE',
      ]),
    );
    for (const kind of MISTAKE_KINDS)
      expect(
        corpus.filter((r) => r.file.startsWith(`${kind.kind}-`)).length,
        kind.kind,
      ).toBeGreaterThanOrEqual(SPACES.length * 3);
  });

  it('reports 100% of them, each at its line and column with its code, and nothing else', async () => {
    const dir = writeRules(corpus.map((r) => ({ file: r.file, text: r.wrong })));
    const { code, report, stderr } = await checkLive(dir);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const found = report.diagnostics.map((d) => `${basename(d.file)}:${d.line}:${d.column} ${d.code}`).sort();
    const expected = corpus
      .map((r) => `${r.file}:${r.expected.line}:${r.expected.column} ${r.expected.code}`)
      .sort();
    expect(found).toEqual(expected);
    const message = (file: string) => report.diagnostics.find((d) => basename(d.file) === file)?.message;
    expect(message('transition-lacking-alpha-0.yaml')).toBe(
      "no transition from 'resolved' (the state `when` requires) to 'open' in the workflow of issue in alpha (transitions from 'resolved' to: in_progress) [AP_META_NO_TRANSITION]",
    );
    expect(message('state-unreachable-alpha-0.yaml')).toBe(
      "no transition leads to state 'archived' from the initial state (open) of issue in alpha: no work item can be in it [AP_META_UNREACHABLE]",
    );
    expect(message('node-unreachable-alpha-0.yaml')).toBe(
      "no connection leads to node 'hotfix' from the first node (start) of story in alpha: no work item reaches it [AP_META_UNREACHABLE]",
    );
  });

  it('reports nothing on the same rules without their mistakes', async () => {
    const dir = writeRules(corpus.map((r) => ({ file: r.file, text: r.right })));
    const { code, report } = await checkLive(dir);
    expect(report.diagnostics).toEqual([]);
    expect(code).toBe(0);
    expect(report.live?.spaces).toEqual([...SPACES].sort());
  });

  it('reports nothing on the shipped rules', async () => {
    const { code, report } = await checkLive('rules');
    expect(report.diagnostics).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('check --live over 100 rules in 5 spaces', () => {
  it('reads each piece of metadata once', async () => {
    // A simulator of its own: the tests above spent its rate budgets, and a 10429 retried would
    // be a second read.
    await sim.close();
    sim = await startSimulator({ tenant: fiveSpaceTenant() });
    const rules = cleanRules(100);
    expect(new Set(rules.map((r) => r.file)).size).toBe(100);
    const dir = writeRules(rules);
    const before = await lastSeq();
    const { code, report } = await checkLive(dir);
    expect(report.diagnostics).toEqual([]);
    expect(code).toBe(0);
    expect(report.live?.spaces).toEqual([...SPACES].sort());
    const requests = (await requestsSince(before)).filter((r) => r.route !== 'auth.pluginToken');
    const reads = new Map<string, number>();
    for (const r of requests) {
      const key = `${r.method} ${r.path} ${JSON.stringify(r.body ?? null)}`;
      reads.set(key, (reads.get(key) ?? 0) + 1);
    }
    expect([...reads].filter(([, n]) => n > 1)).toEqual([]);
    const byRoute: Record<string, number> = {};
    for (const r of requests) byRoute[r.route] = (byRoute[r.route] ?? 0) + 1;
    // Per space: its fields, its types and its relation rules; per type (issue, story): its
    // information, template list, the template's detail and its roles; one user look-up in all.
    expect(byRoute).toEqual({
      'config.fieldsAll': 5,
      'config.allTypes': 5,
      'relation.rules': 5,
      'config.workItemTypeInfo': 10,
      'config.templateList': 10,
      'config.templateDetail': 10,
      'config.flowRoles': 10,
      'user.query': 1,
    });
    expect(requests.filter((r) => r.err_code === 10429)).toEqual([]);
  });
});
