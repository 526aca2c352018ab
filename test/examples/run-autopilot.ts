/** Runs the CLI in-process from the repository root and captures what it prints. */
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run-cli.ts';
import type { TestReport } from '../../src/cli/test-report.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A Monday, 09:00 in Asia/Shanghai: the overdue sweep's tick. */
export const NOW = '2025-11-24T09:00:00+08:00';

export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function autopilot(args: string[], cwd = REPO_ROOT): Promise<CliOutput> {
  const out = sink();
  const err = sink();
  const code = await runCli(args, { stdout: out.stream, stderr: err.stream, env: {}, cwd });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** `autopilot test --json` on a fixture event (and work item), parsed. */
export async function dryRun(event: string, workItem?: string): Promise<TestReport> {
  const args = ['test', '--event', `test/fixtures/events/${event}`, '--json', '--now', NOW];
  if (workItem) args.push('--work-item', `test/fixtures/work-items/${workItem}`);
  const { code, stdout, stderr } = await autopilot(args);
  if (code !== 0) throw new Error(`autopilot test exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as TestReport;
}

export function candidate(report: TestReport, ruleId: string) {
  const found = report.candidates.find((c) => c.ruleId === ruleId);
  if (!found)
    throw new Error(
      `${ruleId} is not a candidate; candidates: ${report.candidates.map((c) => c.ruleId).join(', ')}`,
    );
  return found;
}
