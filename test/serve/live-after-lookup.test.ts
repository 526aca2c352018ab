/**
 * #12.10: a step after a look-up renders `{{work_item.*}}` from the live work item, not from the
 * webhook's payload. A create event whose payload carries no fields must still see the bug's
 * severity, which only the live read has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';

const CRASH_ON_LOGIN = 6437110004; // demo issue, P0, severity critical, open

const RULE = `id: count-open-then-say-severity
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - name: open_bugs
    lookup:
      search:
        project: demo
        work_item_type: issue
        search_group:
          conjunction: AND
          search_params: [{ param_key: work_item_status, operator: HAS ANY OF, value: [open] }]
  - comment:
      text: 'severity {{work_item.fields.field_severity}}, state {{work_item.state}}, {{steps.open_bugs.count}} open'
`;

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ rules: { 'count-open-then-say-severity.yaml': RULE } });
}, 120_000);
afterAll(async () => t?.close());

describe('templates after a look-up', () => {
  it('read the live work item, not the payload', async () => {
    const body = {
      header: {
        event_type: 'WorkitemCreateEvent',
        token: 'sim-webhook-token',
        uuid: 'live-after-lookup-0001',
        operator: USERS.alice,
      },
      payload: {
        id: CRASH_ON_LOGIN,
        project_key: '66a1b2c3d4e5f60718293a4b',
        work_item_type_key: 'issue',
      },
    };
    const answer = await fetch(`${t.url}/webhooks/feishu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(202);
    const sim = t.engine.simulator!;
    const comment = await eventually(
      () =>
        sim.state.comments.find(
          (c) =>
            c.work_item_id === CRASH_ON_LOGIN && c.operator === USERS.bot && c.content.startsWith('severity'),
        ),
      'the comment',
      60_000,
    ).catch((error: unknown) => {
      console.log(t.logs.filter((l) => l.level >= 40));
      throw error;
    });
    expect(comment.content).toMatch(/^severity critical, state open, [1-9]\d* open$/);
  }, 90_000);
});
