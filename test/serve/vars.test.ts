/**
 * Counters through the front door: a bug reopened in the simulator (its webhooks reaching the
 * engine) is counted by the example rule count-reopened-bugs, which asks for a root-cause review
 * on the third reopening; a second rule reads the same count in its `when` at match time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { cli } from '../audit/support-cli.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient, type SimClient } from './support/sim-client.ts';

const ISSUE = 6437110005; // a seeded demo bug, in progress
const RESOLVE = 7100002;
const REOPEN = 7100003;

const WARN = `id: warn-often-reopened
on:
  event: work_item.status_changed
  work_item_type: [issue]
when:
  all:
    - { fact: change, path: to, operator: equal, value: resolved }
    - { fact: vars, path: work_item.reopened, operator: greaterThanInclusive, value: 3 }
do:
  - comment: { text: 'Resolved again after {{vars.work_item.reopened}} reopenings.' }
`;

let t: TestEngine;
let alice: SimClient;

beforeAll(async () => {
  t = await startTestEngine({
    rules: {
      'count-reopened-bugs.yaml': readFileSync(
        new URL('../../rules/count-reopened-bugs.yaml', import.meta.url),
        'utf8',
      ),
      'warn-often-reopened.yaml': WARN,
    },
  });
  const sim = t.engine.simulator!;
  alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
});
afterAll(async () => t?.close());

async function move(transitionId: number): Promise<void> {
  const body: Record<string, unknown> = { transition_id: transitionId };
  if (transitionId === RESOLVE) body.fields = [{ field_key: 'field_resolution', field_value: 'fixed' }];
  const answer = await alice.call('POST', `/open_api/demo/workflow/issue/${ISSUE}/node/state_change`, body);
  expect(answer.err_code, answer.err_msg).toBe(0);
  // One change at a time: its webhook stored, matched, and its runs finished.
  await t.engine.simulator!.webhooksIdle();
  await t.engine.idle();
}

function engineComments(): string[] {
  return (t.engine.simulator?.state.comments ?? [])
    .filter((c) => c.work_item_id === ISSUE && c.operator === USERS.bot)
    .map((c) => c.content);
}

it('counts each reopening once and asks for a review on the third; a later when reads the count', async () => {
  await move(RESOLVE);
  for (let reopening = 1; reopening <= 3; reopening++) {
    await move(REOPEN);
    if (reopening < 3) await move(RESOLVE);
  }
  const changes = await t.engine.stores.audit.query({ kind: 'step.var', ruleId: 'count-reopened-bugs' });
  expect(changes.map((r) => r.detail?.value)).toEqual([1, 2, 3]);
  expect(changes.every((r) => r.detail?.repeated === false)).toBe(true);
  const key = String(changes[0]?.detail?.key);
  expect(key).toMatch(new RegExp(`^var:work_item:[^:]+:${ISSUE}:reopened$`));
  expect(await t.engine.stores.state.get(key)).toBe(3);
  expect(engineComments()).toEqual([
    'Reopened 3 times: please look for the root cause before fixing it again.',
  ]);
  // The comment step's condition, evaluated when it ran: false twice, then true.
  const branches = await t.engine.stores.audit.query({ kind: 'step.branch', ruleId: 'count-reopened-bugs' });
  expect(branches.map((r) => (r.detail?.conditions as Array<{ actual: unknown }>)[0]?.actual)).toEqual([
    1, 2, 3,
  ]);

  // Resolved again: the other rule's `when` reads the count (3) when the event is matched.
  await move(RESOLVE);
  expect(engineComments()).toEqual([
    'Reopened 3 times: please look for the root cause before fixing it again.',
    'Resolved again after 3 reopenings.',
  ]);
  const evaluated = await t.engine.stores.audit.query({
    ruleId: 'warn-often-reopened',
    kind: ['rule.matched', 'rule.not_matched'],
  });
  // Every status change is evaluated; the count read is the one before that change's own runs.
  const seen = evaluated.map((r) => {
    const [to, count] = r.detail?.conditions as Array<{ actual: unknown }>;
    return [r.kind, to?.actual, count?.actual];
  });
  expect(seen).toEqual([
    ['rule.not_matched', 'resolved', undefined],
    ['rule.not_matched', 'in_progress', undefined],
    ['rule.not_matched', 'resolved', 1],
    ['rule.not_matched', 'in_progress', 1],
    ['rule.not_matched', 'resolved', 2],
    ['rule.not_matched', 'in_progress', 2],
    ['rule.matched', 'resolved', 3],
  ]);

  // autopilot trace tells the third reopening's story with the count it reached.
  const third = changes[2]!;
  const trace = await cli(['trace', String(third.eventId), '--data', join(t.dir, 'data')], '/');
  expect(trace.code).toBe(0);
  expect(trace.out).toContain('increment added 1 to vars.work_item.reopened: now 3');
});
