/**
 * rules/assign-command and `autopilot test --event` on a raw Lark `im.message.receive_v1` body
 * (#11.5): the body is read as the chat route reads it, against the rules' command grammars.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autopilot, candidate, NOW, REPO_ROOT } from './run-autopilot.ts';
import type { TestReport } from '../../src/cli/test-report.ts';

const LARK_BODY = 'test/fixtures/lark/assign-to-bob.json';

async function testLark(body: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return autopilot(['test', '--event', body, '--rules', 'rules', '--json', '--now', NOW]);
}

function withText(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-lark-'));
  const file = join(dir, 'message.json');
  const body = JSON.parse(readFileSync(join(REPO_ROOT, LARK_BODY), 'utf8')) as {
    event: { message: { content: string } };
  };
  body.event.message.content = JSON.stringify({ text });
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('autopilot test --event <raw Lark message>', () => {
  it('reads the message as the chat route does: the command, its arguments, the @mentioned person', async () => {
    const { code, stdout, stderr } = await testLark(LARK_BODY);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as TestReport;
    expect(report.input).toBe('lark-message');
    expect(report.event).toMatchObject({
      id: 'chat:om_5ce6d572455d361153b7cb51da133945',
      type: 'chat.command',
      source: 'chat',
      operator: 'alice',
      command: {
        name: 'assign',
        args: { id: '6437110004', person: '<user key of @Bob>' },
        chatId: 'oc_5ad11d72b830411d72b836c20',
        mentions: { person: { name: 'Bob', union_id: 'on_7400000000000000003', user_id: 'bob' } },
      },
    });
    const rule = candidate(report, 'assign-command');
    expect(rule.matched).toBe(true);
  });

  it('names the Lark message in the text trace', async () => {
    const { code, stdout } = await autopilot([
      'test',
      '--event',
      LARK_BODY,
      '--rules',
      'rules',
      '--now',
      NOW,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('(Lark message, source chat)');
    expect(stdout).toContain('command    assign {"id":"6437110004","person":"<user key of @Bob>"}');
    // The reply's `name` needs Bob's key, which only the run looks up.
    expect(stdout).toContain(
      'deferred: reads <user key of @Bob>, looked up (user/query) when the run is processed',
    );
  });

  it('refuses a message no command rule reads, and an encrypted body, with AP_EVENT_INVALID', async () => {
    const unknown = await testLark(withText('@_user_1 dance 6437110004'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('AP_EVENT_INVALID');
    expect(unknown.stderr).toContain('no command rule reads the message "dance 6437110004"');

    const dir = mkdtempSync(join(tmpdir(), 'ap-lark-'));
    writeFileSync(join(dir, 'encrypted.json'), JSON.stringify({ encrypt: 'FIh5hFOuYIlqfQ==' }));
    const encrypted = await testLark(join(dir, 'encrypted.json'));
    expect(encrypted.code).not.toBe(0);
    expect(encrypted.stderr).toContain('an encrypted Lark body');
  });
});
