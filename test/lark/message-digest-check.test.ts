/**
 * A digest `message` in the command line: `autopilot check` points at a bad window or a card in
 * a digest at its file:line:column, and `autopilot test` says the message would be collected.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/cli/test-report.ts';
import { autopilot, REPO_ROOT } from '../examples/run-autopilot.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'autopilot-digest-'));
  mkdirSync(join(dir, 'rules'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const rule = (id: string, message: string) => `id: ${id}
on: { event: work_item.created }
do:
  - message:
      to: oc_a0553eda9014c201e6969b478895c230
${message}
`;

describe('digest messages on the command line', () => {
  it('check accepts a window and points at a bad one, a template, and a card', async () => {
    const cwd = tree({
      'rules/ok.yaml': rule('ok', "      text: 'Bug {{work_item.name}}'\n      digest: 1h30m"),
      'rules/a.yaml': rule('a', '      text: x\n      digest: 2 hours'),
      'rules/b.yaml': rule('b', '      text: x\n      digest: 30s'),
      'rules/c.yaml': rule('c', '      text: x\n      digest: 8d'),
      'rules/d.yaml': rule('d', "      text: x\n      digest: '{{event.window}}'"),
      'rules/e.yaml': rule('e', '      card: { title: x }\n      digest: 1h'),
    });
    const out = await autopilot(['check', 'rules'], cwd);
    const lines = (out.stdout + out.stderr).split('\n').filter((l) => l.startsWith('rules/'));
    expect(out.code).toBe(1);
    expect(lines).toEqual([
      "rules/a.yaml:7:15: digest: invalid duration '2 hours': unexpected '2 hours' (use whole numbers with units w, d, h, m, s, ms), e.g. 3d, 90s, 1h30m",
      'rules/b.yaml:7:15: digest: 30s is not a window from 1m to 7d',
      'rules/c.yaml:7:15: digest: 8d is not a window from 1m to 7d',
      'rules/d.yaml:7:15: digest: the window is written out (such as 1h), not a template',
      'rules/e.yaml:6:13: digest: collects text messages only, not a card',
    ]);
  });

  it('test shows the message collected into a digest, and sends nothing', async () => {
    const cwd = tree({
      'rules/page.yaml': rule('page', "      text: 'Bug {{work_item.name}}'\n      digest: 1h"),
    });
    const event = join(cwd, 'event.json');
    copyFileSync(join(REPO_ROOT, 'test/fixtures/events/crash-on-login-created.json'), event);
    const out = await autopilot(['test', '--event', event, '--rules', 'rules', '--json'], cwd);
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout) as TestReport;
    const [action] = report.candidates[0]!.run!.actions;
    expect(action!.calls).toBeUndefined();
    expect(action!.deferred).toMatch(/^collected into a 1h digest for each recipient/);
    const text = await autopilot(['test', '--event', event, '--rules', 'rules'], cwd);
    expect(text.stdout).toContain('collected into a 1h digest for each recipient');
  });
});
