/**
 * Manual runs through a running engine and its built-in simulator: `POST /api/rules/:id/run`
 * stores a `manual.run` event before answering 202, and the pipeline runs only the named rule
 * on the work item it names, read live; every refusal has its code and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/plan/idempotency.ts';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient, type SimClient } from './support/sim-client.ts';

const BY_HAND = `id: comment-by-hand
on:
  manual: true
  work_item_type: [issue]
do:
  - comment: { text: 'checked by hand ({{event.payload.requested_by}}): {{work_item.name}}' }
`;
/** A second manual rule: a manual event for one rule must not fire the other. */
const ALSO_BY_HAND = `id: also-by-hand
on: { manual: true }
do:
  - comment: { text: 'the other rule' }
`;
const ON_CREATE_OR_BY_HAND = `id: on-create-or-by-hand
on:
  event: work_item.created
  manual: true
  project: [demo]
do:
  - comment: { text: '{{event.type}}: {{work_item.name}}' }
`;
const EVENTS_ONLY = `id: events-only
on: { event: work_item.deleted }
do:
  - comment: { text: never }
`;
const DISABLED = `id: disabled-by-hand
enabled: false
on: { manual: true }
do:
  - comment: { text: never }
`;

let t: TestEngine;
let alice: SimClient;
let itemId: string;

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

async function runRule(ruleId: string, body: unknown, token: string | null = ADMIN_TOKEN): Promise<Answer> {
  const response = await fetch(`${t.url}/api/rules/${encodeURIComponent(ruleId)}/run`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function commentsOn(id: string): Promise<string[]> {
  const answer = await alice.call('GET', `/open_api/demo/work_item/issue/${id}/comments`);
  return ((answer.data ?? []) as Array<{ content: string }>).map((c) => c.content);
}

async function storedEventCount(): Promise<number> {
  const listReceived = t.engine.stores.events.listReceived?.bind(t.engine.stores.events);
  if (!listReceived) throw new Error('expected an event log that lists what it received');
  return (await listReceived({ since: 0, until: Date.now() + 60_000, limit: 500 })).events.length;
}

beforeAll(async () => {
  t = await startTestEngine({
    rules: {
      'comment-by-hand.yaml': BY_HAND,
      'also-by-hand.yaml': ALSO_BY_HAND,
      'on-create-or-by-hand.yaml': ON_CREATE_OR_BY_HAND,
      'events-only.yaml': EVENTS_ONLY,
      'disabled-by-hand.yaml': DISABLED,
    },
  });
  const sim = t.engine.simulator;
  if (!sim) throw new Error('expected the built-in simulator');
  alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  const created = await alice.call('POST', '/open_api/demo/work_item/create', {
    work_item_type_key: 'issue',
    name: 'Login button misaligned',
  });
  itemId = String(created.data);
  await sim.webhooksIdle();
  await t.engine.idle();
});
afterAll(async () => {
  await t?.close();
});

describe('POST /api/rules/:id/run', () => {
  it('stores the event, answers 202 with its id and run id, and the rule runs on the live work item', async () => {
    const answer = await runRule('comment-by-hand', { work_item: `demo/issue/${itemId}` });
    expect(answer.status).toBe(202);
    const eventId = answer.body.eventId as string;
    expect(eventId).toMatch(/^manual:[0-9a-f-]{36}$/);
    expect(answer.body).toEqual({
      ok: true,
      eventId,
      ruleId: 'comment-by-hand',
      runId: runId(eventId, 'comment-by-hand'),
      workItem: `demo/issue/${itemId}`,
      duplicate: false,
    });
    // Stored before the answer: the event log has it whatever the processor has done since.
    expect(await t.engine.stores.events.get(eventId)).toBeDefined();
    await t.engine.idle();
    const run = await t.engine.stores.runs.get(answer.body.runId as string);
    expect(run?.state).toBe('succeeded');
    expect(await commentsOn(itemId)).toContain('checked by hand (admin-api): Login button misaligned');
    // Only the rule it names: the other manual rule and the event rule stay out of it.
    const runs = await t.engine.stores.runs.list({});
    expect(runs.filter((r) => r.run.eventId === eventId).map((r) => r.run.ruleId)).toEqual([
      'comment-by-hand',
    ]);
  });

  it('records the event and who asked in the audit (trace)', async () => {
    const answer = await runRule('comment-by-hand', {
      work_item: `demo/issue/${itemId}`,
      requested_by: 'ops: alice',
      operator: '7400000000000000002',
    });
    await t.engine.idle();
    const trace = await fetch(`${t.url}/api/events/${answer.body.eventId as string}/trace`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const story = (await trace.json()) as {
      event: { event: Record<string, unknown> };
      audit: Array<{ kind: string; ruleId?: string }>;
      runs: Array<{ state: string }>;
    };
    expect(story.event.event).toMatchObject({
      id: answer.body.eventId,
      source: 'manual',
      type: 'manual.run',
      projectKey: 'demo',
      workItem: { id: itemId, typeKey: 'issue' },
      operator: '7400000000000000002',
      payload: { rule_id: 'comment-by-hand', work_item: `demo/issue/${itemId}`, requested_by: 'ops: alice' },
    });
    expect(story.audit.filter((r) => r.kind === 'rule.matched').map((r) => r.ruleId)).toEqual([
      'comment-by-hand',
    ]);
    expect(story.runs.map((r) => r.state)).toEqual(['succeeded']);
    expect(await commentsOn(itemId)).toContain('checked by hand (ops: alice): Login button misaligned');
  });

  it('a retried request with the same request_id is stored and run once', async () => {
    const body = { work_item: `demo/issue/${itemId}`, request_id: '5f0c6a8e-8d2b-4b8e-9a51-3f1f2d3c4b5a' };
    const first = await runRule('also-by-hand', body);
    const again = await runRule('also-by-hand', body);
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      eventId: first.body.eventId,
      runId: first.body.runId,
      duplicate: true,
    });
    expect(first.body.eventId).toBe('manual:5f0c6a8e-8d2b-4b8e-9a51-3f1f2d3c4b5a');
    await t.engine.idle();
    expect((await commentsOn(itemId)).filter((c) => c === 'the other rule')).toHaveLength(1);
  });

  it('a rule with both event and manual fires on its events and by hand', async () => {
    const onCreate = await t.engine.stores.runs.list({ ruleId: 'on-create-or-by-hand' });
    expect(onCreate.map((r) => r.state)).toEqual(['succeeded']);
    const answer = await runRule('on-create-or-by-hand', { work_item: `demo/issue/${itemId}` });
    expect(answer.status).toBe(202);
    await t.engine.idle();
    expect(await commentsOn(itemId)).toEqual(
      expect.arrayContaining([
        'work_item.created: Login button misaligned',
        'manual.run: Login button misaligned',
      ]),
    );
  });

  it.each([
    [
      'no such rule',
      'no-such-rule',
      { work_item: 'demo/issue/1' },
      404,
      'AP_NOT_FOUND',
      /no rule 'no-such-rule'/,
    ],
    [
      'a rule without on.manual',
      'events-only',
      { work_item: 'demo/issue/1' },
      409,
      'AP_MANUAL_REFUSED',
      /rule 'events-only' has no manual trigger: add manual: true to its on/,
    ],
    [
      'a disabled rule',
      'disabled-by-hand',
      { work_item: 'demo/issue/1' },
      409,
      'AP_MANUAL_REFUSED',
      /is disabled/,
    ],
    [
      'a work item type outside the pre-filter',
      'comment-by-hand',
      { work_item: 'demo/story/1' },
      409,
      'AP_MANUAL_REFUSED',
      /runs on issue only \(on.work_item_type\), not on 'story'/,
    ],
    [
      'a space outside the pre-filter',
      'on-create-or-by-hand',
      { work_item: 'other/issue/1' },
      409,
      'AP_MANUAL_REFUSED',
      /runs in demo only \(on.project\), not in 'other'/,
    ],
    ['no work_item', 'comment-by-hand', {}, 400, 'AP_BAD_REQUEST', /work_item is required/],
    [
      'a reference of two parts',
      'comment-by-hand',
      { work_item: 'demo/1' },
      400,
      'AP_BAD_REQUEST',
      /"demo\/1" is not a work item reference: expected <project>\/<type>\/<id>/,
    ],
    [
      'an id that is no work item id',
      'comment-by-hand',
      { work_item: 'demo/issue/abc' },
      400,
      'AP_ID_INVALID',
      /the id in work_item "abc" is not a work item id/,
    ],
    [
      'an unknown field',
      'comment-by-hand',
      { work_item: 'demo/issue/1', ruel: 'x' },
      400,
      'AP_BAD_REQUEST',
      /unknown field 'ruel'/,
    ],
    [
      'a bad request_id',
      'comment-by-hand',
      { work_item: 'demo/issue/1', request_id: 'x' },
      400,
      'AP_BAD_REQUEST',
      /request_id must be a UUID/,
    ],
    ['a body that is a list', 'comment-by-hand', [], 400, 'AP_BAD_REQUEST', /the body must be a JSON object/],
    ['malformed JSON', 'comment-by-hand', '{"work_item": ', 400, 'AP_BAD_REQUEST', /./],
  ])('%s: answered with its code, nothing stored', async (_name, ruleId, body, status, code, message) => {
    const before = await storedEventCount();
    const answer = await runRule(ruleId, body);
    expect(answer.status).toBe(status);
    expect(answer.body.error?.code).toBe(code);
    expect(answer.body.error?.message).toMatch(message);
    expect(await storedEventCount()).toBe(before);
  });

  it('the rule pages name the manual trigger', async () => {
    for (const [ruleId, trigger] of [
      ['comment-by-hand', 'manual'],
      ['on-create-or-by-hand', 'event: work_item.created; manual'],
    ]) {
      const page = await fetch(`${t.url}/api/rules/${ruleId}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(((await page.json()) as { trigger: string }).trigger).toBe(trigger);
    }
  });

  it('needs the admin token', async () => {
    for (const token of [null, 'wrong-token']) {
      const answer = await runRule('comment-by-hand', { work_item: `demo/issue/${itemId}` }, token);
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe('AP_UNAUTHORIZED');
    }
  });
});
