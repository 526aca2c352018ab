/**
 * `autopilot check --live` over 100 rules in 5 spaces against the simulator (issue #15: within
 * 10 s), through the front door: the CLI with credentials for a simulator of the five-space
 * tenant of test/support/meta-corpus.ts, each round on a fresh simulator so no round inherits
 * another's rate budget. Also the 255-rule corpus with one mistake each, which the check must
 * report in full. The test of the same figures (test/rules/check-live-corpus.test.ts) counts
 * the reads; this measures the time.
 *
 * Run alone with `npx node bench/check-live.bench.ts`. Writes bench/results/check-live.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/run-cli.ts';
import type { RequestRecord } from '../src/simulator/http/request-log.ts';
import { startSimulator } from '../src/simulator/server.ts';
import { cleanRules, fiveSpaceTenant, mistakeCorpus } from '../test/support/meta-corpus.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_MS = 10_000;
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

function writeRules(files: Array<{ file: string; text: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-check-live-'));
  for (const { file, text } of files) writeFileSync(join(dir, file), text);
  return dir;
}

/** One `check <dir> --live --json` on a fresh simulator: its time, exit code, reports and reads. */
async function checkOnce(dir: string) {
  const sim = await startSimulator({ tenant: fiveSpaceTenant() });
  try {
    const chunks: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const stderr = new Writable({ write: (_chunk, _encoding, done) => done() });
    const env = {
      FEISHU_BASE_URL: sim.baseUrl,
      FEISHU_PLUGIN_ID: sim.credentials.pluginId,
      FEISHU_PLUGIN_SECRET: sim.credentials.pluginSecret,
      FEISHU_USER_KEY: sim.credentials.userKey,
    };
    const started = performance.now();
    const code = await runCli(['check', dir, '--live', '--json'], { stdout, stderr, env, cwd: REPO_ROOT });
    const ms = performance.now() - started;
    const report = JSON.parse(chunks.join('')) as { diagnostics: unknown[] };
    const requests = (await (await fetch(`${sim.baseUrl}/_sim/requests`)).json()) as RequestRecord[];
    return { ms, code, reported: report.diagnostics.length, reads: requests.length };
  } finally {
    await sim.close();
  }
}

async function scenario(name: string, files: Array<{ file: string; text: string }>, expectedReports: number) {
  const dir = writeRules(files);
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof checkOnce>> | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    last = await checkOnce(dir);
    if (last.reported !== expectedReports)
      throw new Error(`${name}: ${last.reported} reports, expected ${expectedReports}`);
    times.push(last.ms);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    scenario: name,
    rules: files.length,
    reported: last?.reported ?? 0,
    apiRequests: last?.reads ?? 0,
    bestMs: Math.round(sorted[0] ?? 0),
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    worstMs: Math.round(sorted.at(-1) ?? 0),
    withinTarget: (sorted.at(-1) ?? Infinity) < TARGET_MS,
  };
}

const corpus = mistakeCorpus();
const rows = [
  await scenario('100 valid rules, 5 spaces', cleanRules(100), 0),
  await scenario(
    `${corpus.length} rules with a mistake each`,
    corpus.map((r) => ({ file: r.file, text: r.wrong })),
    corpus.length,
  ),
];
console.table(rows);
const result = {
  benchmark: 'check-live',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  rounds: ROUNDS,
  load: loadavg(),
  targets: { ms: TARGET_MS },
  rows,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/check-live.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
if (!rows.every((r) => r.withinTarget)) process.exitCode = 1;
