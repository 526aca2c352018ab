import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/take-p0-bug', () => {
  it('makes the clicker the developer, says so on the bug and replaces the card without buttons', async () => {
    const report = await dryRun('p0-card-taken.json');
    const rule = candidate(report, 'take-p0-bug');
    expect(rule.matched).toBe(true);
    const [assign, comment, update] = rule.run!.actions;
    expect(assign).toMatchObject({ type: 'assign', params: { role: 'rd', users: ['7400000000000000003'] } });
    expect(comment!.calls).toEqual([
      {
        operation: 'comment.create',
        method: 'POST',
        path: '/open_api/demo/work_item/issue/6437110011/comment/create',
        body: { content: 'Taken by <name of 7400000000000000003> from the on-call chat.' },
        headers: { 'X-IDEM-UUID': await expectedKey(report.event.id, 'take-p0-bug', 1) },
      },
    ]);
    expect(update!.calls?.[0]).toMatchObject({
      operation: 'lark.message.update',
      method: 'PATCH',
      path: '/open-apis/im/v1/messages/om_sim_p0card0001',
    });
    const card = JSON.parse((update!.calls?.[0]?.body as { content: string }).content) as {
      header: { title: { content: string } };
      elements: Array<{ tag: string; text?: { content: string } }>;
    };
    expect(card.header.title.content).toBe('P0 taken by <name of 7400000000000000003>');
    // 09:00 in Shanghai, the test's --now: the time the card says it was taken.
    expect(card.elements).toEqual([
      { tag: 'div', text: { tag: 'lark_md', content: 'Taken by <name of 7400000000000000003> at 09:00.' } },
    ]);
  });

  it('does nothing for a click by someone Feishu Project does not know (no operator)', async () => {
    const report = await dryRun('p0-card-taken.json');
    expect(report.event.operator).toBe('7400000000000000003');
    const rule = candidate(report, 'take-p0-bug');
    expect(rule.conditions).toEqual([
      expect.objectContaining({ fact: 'event', path: 'operator', operator: 'isEmpty', outcome: true }),
    ]);
  });
});
