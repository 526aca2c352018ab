import { describe, expect, it } from 'vitest';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/qa-sign-off', () => {
  it('completes the Testing node of the story the card is about and replaces the card', async () => {
    const report = await dryRun('qa-card-passed.json', 'story-in-testing.json');
    const rule = candidate(report, 'qa-sign-off');
    expect(rule.matched).toBe(true);
    const [complete, update] = rule.run!.actions;
    expect(complete).toMatchObject({ type: 'complete_node', params: { node: 'testing' } });
    expect(complete!.calls?.[0]).toMatchObject({
      operation: 'workflow.nodeOperate',
      path: '/open_api/demo/workflow/story/6437110001/node/testing/operate',
      body: { action: 'confirm' },
    });
    expect(update!.calls?.[0]).toMatchObject({
      operation: 'lark.message.update',
      method: 'PATCH',
      path: '/open-apis/im/v1/messages/om_sim_qacard0001',
    });
    const card = JSON.parse((update!.calls?.[0]?.body as { content: string }).content) as {
      header: { title: { content: string } };
      elements: Array<{ tag: string; text?: { content: string } }>;
    };
    expect(card.header.title.content).toBe('QA passed: Checkout v2');
    expect(card.elements).toEqual([
      {
        tag: 'div',
        text: { tag: 'lark_md', content: 'Signed off by <name of 7400000000000000004> at 09:00.' },
      },
    ]);
  });
});
