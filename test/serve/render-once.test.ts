/**
 * #17.2 through the front door: what an event carries is data, never template source. A user's
 * comment that looks like a template comes out as written; an unclosed `{{` in it does not stop
 * the shipped link-bugs-to-story rule from filing the bug.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const STORY_IN_TESTING = 6437110003; // the demo's "Search v2"

const ECHO = `id: echo-inject
on:
  event: work_item.commented
  work_item_type: [story]
when:
  all:
    - { fact: change, path: text, operator: startsWith, value: 'inject' }
do:
  - name: first
    comment: { text: 'first step' }
  - comment: { text: 'You wrote: {{change.text}} (after {{steps.first.outcome}})' }
`;

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({
    rules: {
      'echo-inject.yaml': ECHO,
      'link-bugs-to-story.yaml': readFileSync(
        new URL('../../rules/link-bugs-to-story.yaml', import.meta.url),
        'utf8',
      ),
    },
  });
}, 60_000);
afterAll(async () => t.close());

async function commentAsAlice(text: string): Promise<void> {
  const sim = t.engine.simulator!;
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  const answer = await alice.call(
    'POST',
    `/open_api/demo/work_item/story/${STORY_IN_TESTING}/comment/create`,
    {
      content: text,
    },
  );
  expect(answer.err_code).toBe(0);
}

function botComments(): string[] {
  return (t.engine.simulator?.state.comments ?? [])
    .filter((c) => c.work_item_id === STORY_IN_TESTING && c.operator === USERS.bot)
    .map((c) => c.content);
}

describe('values from events are data, rendered never', () => {
  it('sends a comment that looks like a template as written, leaking no step result', async () => {
    await commentAsAlice('inject: {{steps.first}} {{rule.id}} {{event.id}}');
    const echoed = await eventually(
      async () => botComments().find((c) => c.startsWith('You wrote')),
      'the echo',
      60_000,
    );
    expect(echoed).toBe('You wrote: inject: {{steps.first}} {{rule.id}} {{event.id}} (after done)');
  });

  it('files the bug for a comment with an unclosed {{', async () => {
    await commentAsAlice('bug: coupon {{ field accepts -5');
    const sim = t.engine.simulator!;
    const bug = await eventually(
      async () =>
        sim.state.work_items.find(
          (w) => w.work_item_type_key === 'issue' && w.name.startsWith('bug: coupon'),
        ),
      'the bug',
      60_000,
    );
    expect(bug?.name).toBe('bug: coupon {{ field accepts -5 (found in "Search v2")');
    const note = await eventually(
      async () => botComments().find((c) => c.startsWith('Bug ')),
      'the note',
      60_000,
    );
    expect(note).toBe(`Bug ${bug?.id} filed and linked to this story.`);
    const errors = await t.engine.stores.audit.query({ kind: ['rule.error', 'run.dead_lettered'] });
    expect(errors).toEqual([]);
  });
});
