import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/move-command', () => {
  it('moves the named bug and replies in the thread', async () => {
    const report = await dryRun('chat-move-command.json');
    expect(report.input).toBe('canonical');
    const rule = candidate(report, 'move-command');
    expect(rule.matched).toBe(true);
    const [transition, reply] = rule.run!.actions;
    expect(transition!.params).toEqual({
      to: 'in_progress',
      target: { project: 'demo', type: 'issue', id: '6437110004' },
    });
    expect(transition!.deferred).toMatch(/transition_id/);
    expect(reply!.calls).toEqual([
      {
        operation: 'lark.reply',
        method: 'POST',
        path: '/open-apis/im/v1/messages/om_dc13264520392913993dd051dba21dcf/reply',
        body: { msg_type: 'text', content: JSON.stringify({ text: 'Moved bug 6437110004 to in_progress.' }) },
        headers: { 'X-IDEM-UUID': await expectedKey(report.event.id, 'move-command', 1) },
      },
    ]);
  });
});
