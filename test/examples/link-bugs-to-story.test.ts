import { describe, expect, it } from 'vitest';
import { expectedKey } from './expected-key.ts';
import { candidate, dryRun } from './run-autopilot.ts';

describe('rules/link-bugs-to-story', () => {
  it('without the story itself, says the node condition needs live data', async () => {
    const report = await dryRun('bug-comment-on-story.json');
    const rule = candidate(report, 'link-bugs-to-story');
    expect(rule.matched).toBe(false);
    expect(rule.needsLiveData).toBe(true);
    expect(rule.conditions.map((c) => c.outcome)).toEqual([true, 'needs_live_data']);
    expect(rule.error?.code).toBe('AP_CONDITION_NEEDS_LIVE_DATA');
  });

  it('with the story in Testing, files a bug linked through the relation field', async () => {
    const report = await dryRun('bug-comment-on-story.json', 'story-in-testing.json');
    expect(report.workItem).toBe('file');
    const rule = candidate(report, 'link-bugs-to-story');
    expect(rule.matched).toBe(true);
    const [create, comment] = rule.run!.actions;
    expect(create!.name).toBe('bug');
    expect(create!.calls).toEqual([
      {
        operation: 'workItem.create',
        method: 'POST',
        path: '/open_api/66a1b2c3d4e5f60718293a4b/work_item/create',
        body: {
          work_item_type_key: 'issue',
          name: 'Bug: coupon field accepts negative amounts (found in "Checkout v2")',
          field_value_pairs: [
            { field_alias: 'linked_story', field_value: '6437110001' },
            { field_key: 'priority', field_value: { value: 'P2' } },
          ],
        },
        headers: { 'X-IDEM-UUID': await expectedKey(report.event.id, 'link-bugs-to-story', 0) },
      },
    ]);
    // The comment names the new bug's id, which only exists once the first step ran.
    expect(comment!.calls).toBeUndefined();
    expect(comment!.deferred).toMatch(/steps\./);
    expect(comment!.params).toEqual({ text: 'Bug {{steps.bug.id}} filed and linked to this story.' });
  });
});
