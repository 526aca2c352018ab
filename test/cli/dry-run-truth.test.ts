/**
 * #12.10, what the dry run must not gloss over: one id expected and a list given, a target id
 * that is no id, an http call's real headers, and a matched rule that cannot be planned.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autopilot, REPO_ROOT } from '../examples/run-autopilot.ts';

const EVENT = join(REPO_ROOT, 'test/fixtures/events/p0-bug-created.json');
let dirs: string[] = [];

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-dry-run-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

const rule = (id: string, step: string) => `id: ${id}
on:
  event: work_item.created
  work_item_type: [issue]
do:
${step}
`;

describe('autopilot check: target.id', () => {
  it('reports a list where one id is expected, and an id that is no id, at file:line:column', async () => {
    const dir = rulesDir({
      'roles-as-target.yaml': rule(
        'roles-as-target',
        "  - comment:\n      text: hi\n      target: { type: issue, id: '{{work_item.roles.reporter}}' }",
      ),
      'items-as-target.yaml': rule(
        'items-as-target',
        '  - name: found\n    lookup: { search: { project: demo, work_item_type: issue } }\n  - comment:\n      text: hi\n      target: { type: issue, id: \'{{steps.found.items | map("id")}}\' }',
      ),
      'word-as-target.yaml': rule(
        'word-as-target',
        '  - comment:\n      text: hi\n      target: { type: issue, id: abc }',
      ),
      'first-is-fine.yaml': rule(
        'first-is-fine',
        '  - name: found\n    lookup: { search: { project: demo, work_item_type: issue } }\n  - comment:\n      text: hi\n      target: { type: issue, id: \'{{steps.found.items | map("id") | first}}\' }',
      ),
    });
    const { code, stdout, stderr } = await autopilot(['check', dir]);
    const out = stdout + stderr;
    expect(code).toBe(1);
    expect(out).toMatch(
      /roles-as-target\.yaml:8:34: target\.id reads \{\{work_item\.roles\.reporter\}\}, a list/,
    );
    expect(out).toMatch(/items-as-target\.yaml:10:34: target\.id reads \{\{steps\.found\.items\}\}, a list/);
    expect(out).toMatch(/word-as-target\.yaml:8:34: target\.id 'abc' is not a work item id/);
    expect(out).not.toContain('first-is-fine');
  });
});

describe('autopilot test', () => {
  it('exits 1 with the code when a matched rule cannot be planned (a list rendered as target.id)', async () => {
    const dir = rulesDir({
      'payload-list.yaml': rule(
        'payload-list',
        "  - comment:\n      text: hi\n      target: { type: issue, id: '{{event.payload.fields}}' }",
      ),
    });
    const { code, stdout, stderr } = await autopilot(['test', '--event', EVENT, '--rules', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain('plan failed: AP_TARGET_INVALID');
    expect(stderr).toContain('rule payload-list matched but cannot be planned: AP_TARGET_INVALID');
  });

  it('shows the headers an http call is sent with, its key as idempotency-key', async () => {
    const dir = rulesDir({
      'tell-ci.yaml': rule(
        'tell-ci',
        "  - http:\n      url: https://ci.example.com/hook\n      method: POST\n      headers: { X-Team: core }\n      body: { id: '{{work_item.id}}' }",
      ),
    });
    const { code, stdout } = await autopilot(['test', '--event', EVENT, '--rules', dir, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      candidates: Array<{
        run: { actions: Array<{ idempotencyKey: string; calls: Array<{ headers: unknown }> }> };
      }>;
    };
    const [action] = report.candidates[0]!.run.actions;
    expect(action!.calls[0]!.headers).toEqual({
      'x-team': 'core',
      'content-type': 'application/json',
      'idempotency-key': action!.idempotencyKey,
    });
    const text = await autopilot(['test', '--event', EVENT, '--rules', dir]);
    expect(text.stdout).toContain('x-team: core');
    expect(text.stdout).toContain(`1. http  idempotency-key ${action!.idempotencyKey}`);
  });
});
