/**
 * The admin API under /api through a running engine: the bearer token guards every route, and
 * with it rules, event traces, runs, dead letters (retry, drop), reload and breakers work.
 */
import { COMMENT_ON_DEPLOY, postDeploy } from './support/deploys.ts';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { RunRecord } from '../../src/store/ports.ts';
import { admin } from './support/admin.ts';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const DEPLOY_SECRET = 'deploy-secret-for-admin-tests';
const MISSING_ITEM = '999999';

let t: TestEngine;
let deadEventId: string;
let p0EventId: string;

async function deploy(id: string, payload: unknown): Promise<string> {
  const response = await postDeploy(t.url, DEPLOY_SECRET, id, payload);
  expect(response.status).toBe(202);
  return ((await response.json()) as { eventId: string }).eventId;
}

beforeAll(async () => {
  t = await startTestEngine({
    env: { AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: DEPLOY_SECRET },
    rules: {
      'comment-on-deploy.yaml': COMMENT_ON_DEPLOY,
      'escalate-p0-bugs.yaml': readFileSync(
        new URL('../../rules/escalate-p0-bugs.yaml', import.meta.url),
        'utf8',
      ),
    },
  });
  // One run that dies (the deploy names a work item that does not exist) ...
  deadEventId = await deploy('deploy-1', { version: '1.0', item: MISSING_ITEM });
  // ... and one that succeeds (a P0 bug created by a person in the simulator).
  const sim = t.engine.simulator;
  if (!sim) throw new Error('expected the built-in simulator');
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  await alice.call('POST', '/open_api/demo/work_item/create', {
    work_item_type_key: 'issue',
    name: 'Admin API bug',
    field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P0' } }],
  });
  await sim.webhooksIdle();
  await t.engine.idle();
  const [p0Run] = await t.engine.stores.runs.list({ ruleId: 'escalate-p0-bugs' });
  p0EventId = p0Run?.run.eventId as string;
});
afterAll(async () => {
  await t.close();
});

const ROUTES: Array<[string, string]> = [
  ['GET', '/api/rules'],
  ['POST', '/api/reload'],
  ['GET', '/api/events/some-event/trace'],
  ['GET', '/api/runs'],
  ['GET', '/api/runs?state=dead'],
  ['GET', '/api/dead-letters'],
  ['POST', '/api/dead-letters/some-run/retry'],
  ['DELETE', '/api/dead-letters/some-run'],
  ['GET', '/api/breakers'],
  ['GET', '/api/no-such-route'],
];

describe('admin API authentication', () => {
  it.each(ROUTES)('%s %s answers 401 without the token', async (method, path) => {
    for (const authorization of [
      null,
      '',
      'Bearer',
      'Bearer ',
      'Bearer wrong-token',
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
      ADMIN_TOKEN,
    ]) {
      const answer = await admin(t.url, method, path, authorization);
      expect(answer.status, `${authorization}`).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.body).toMatchObject({ error: { code: 'AP_UNAUTHORIZED' } });
    }
  });

  it('a refused call changes nothing (the dead letter is still there)', async () => {
    const [dead] = (await admin(t.url, 'GET', '/api/dead-letters')).body as RunRecord[];
    await admin(t.url, 'DELETE', `/api/dead-letters/${dead?.run.id}`, 'Bearer nope');
    expect((await admin(t.url, 'GET', '/api/dead-letters')).body).toHaveLength(1);
  });

  it('the admin API is off when no token is configured', async () => {
    const off = await startTestEngine({ noAdmin: true });
    try {
      for (const [method, path] of ROUTES) {
        expect((await admin(off.url, method, path)).status).toBe(404);
      }
      expect((await admin(off.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await off.close();
    }
  });

  it('the configuration refuses an admin token shorter than 32 bytes', () => {
    expect(() => loadConfig({ env: { AUTOPILOT_ADMIN_TOKEN: 'x'.repeat(31) } })).toThrow(
      /AUTOPILOT_ADMIN_TOKEN\) must be at least 32 bytes/,
    );
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    expect(loadConfig({ env: { AUTOPILOT_ADMIN_TOKEN: '密'.repeat(11) } }).adminToken).toBe('密'.repeat(11));
  });
});

describe('admin API with the token', () => {
  it('GET /api/rules lists every rule with its last fire and recent errors', async () => {
    const answer = await admin(t.url, 'GET', '/api/rules');
    expect(answer.status).toBe(200);
    const body = answer.body as {
      rules: Array<{ id: string; lastFiredAt?: number; file: string; recentErrors: unknown[] }>;
      lastReload: { ok: boolean };
    };
    expect(body.lastReload.ok).toBe(true);
    const byId = new Map(body.rules.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(['comment-on-deploy', 'escalate-p0-bugs']);
    expect(byId.get('escalate-p0-bugs')?.lastFiredAt).toEqual(expect.any(Number));
    expect(byId.get('escalate-p0-bugs')?.recentErrors).toEqual([]);
    expect(byId.get('comment-on-deploy')?.recentErrors).toEqual([
      expect.objectContaining({ kind: 'run.dead_lettered', eventId: deadEventId }),
    ]);
    expect(byId.get('comment-on-deploy')?.file).toMatch(/comment-on-deploy\.yaml$/);
  });

  it('GET /api/events/:id/trace tells the story of an event; an unknown id is 404', async () => {
    const answer = await admin(t.url, 'GET', `/api/events/${encodeURIComponent(p0EventId)}/trace`);
    expect(answer.status).toBe(200);
    const story = answer.body as {
      event: { event: { id: string } };
      audit: Array<{ kind: string }>;
      runs: RunRecord[];
    };
    expect(story.event.event.id).toBe(p0EventId);
    const kinds = story.audit.map((r) => r.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['rule.matched', 'run.planned', 'action.attempted', 'run.succeeded']),
    );
    expect(kinds.indexOf('rule.matched')).toBeLessThan(kinds.indexOf('run.succeeded'));
    expect(story.runs.map((r) => r.state)).toEqual(['succeeded']);
    const missing = await admin(t.url, 'GET', '/api/events/no-such-event/trace');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'AP_NOT_FOUND' } } });
  });

  it('GET /api/runs filters by state and rule, and refuses an unknown state', async () => {
    const all = (await admin(t.url, 'GET', '/api/runs')).body as RunRecord[];
    expect(all.map((r) => r.run.ruleId).sort()).toEqual(['comment-on-deploy', 'escalate-p0-bugs']);
    const succeeded = (await admin(t.url, 'GET', '/api/runs?state=succeeded')).body as RunRecord[];
    expect(succeeded.map((r) => r.run.ruleId)).toEqual(['escalate-p0-bugs']);
    const byRule = (await admin(t.url, 'GET', '/api/runs?rule=comment-on-deploy')).body as RunRecord[];
    expect(byRule.map((r) => r.state)).toEqual(['dead']);
    const bad = await admin(t.url, 'GET', '/api/runs?state=exploded');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'AP_BAD_REQUEST' } } });
  });

  it('dead letters: listed, retried (the run goes back to the queue), dropped, then gone', async () => {
    const [dead] = (await admin(t.url, 'GET', '/api/dead-letters')).body as RunRecord[];
    expect(dead?.lastError).toMatchObject({ code: 'AP_API_PERMANENT', errCode: 30005 });
    const runId = dead?.run.id as string;
    const attemptsBefore = t.engine.simulator?.requests({ route: 'comment.create' }).length ?? 0;

    const retried = await admin(t.url, 'POST', `/api/dead-letters/${runId}/retry`);
    expect(retried).toMatchObject({ status: 200, body: { ok: true, requeued: runId } });
    await t.engine.idle();
    // It was really tried again (and died again: the work item still does not exist).
    expect(t.engine.simulator?.requests({ route: 'comment.create' }).length).toBe(attemptsBefore + 1);
    const again = (await admin(t.url, 'GET', '/api/dead-letters')).body as RunRecord[];
    expect(again.map((r) => r.run.id)).toEqual([runId]);

    const dropped = await admin(t.url, 'DELETE', `/api/dead-letters/${runId}`);
    expect(dropped).toMatchObject({ status: 200, body: { ok: true, dropped: runId } });
    expect((await admin(t.url, 'GET', '/api/dead-letters')).body).toEqual([]);
    expect((await admin(t.url, 'DELETE', `/api/dead-letters/${runId}`)).status).toBe(404);
    expect((await admin(t.url, 'POST', `/api/dead-letters/${runId}/retry`)).status).toBe(404);
  });

  it('a run that is not dead cannot be retried or dropped as a dead letter', async () => {
    const [succeeded] = (await admin(t.url, 'GET', '/api/runs?state=succeeded')).body as RunRecord[];
    const id = succeeded?.run.id as string;
    expect((await admin(t.url, 'POST', `/api/dead-letters/${id}/retry`)).status).toBe(404);
    expect((await admin(t.url, 'DELETE', `/api/dead-letters/${id}`)).status).toBe(404);
    const [still] = (await admin(t.url, 'GET', `/api/runs?rule=escalate-p0-bugs`)).body as RunRecord[];
    expect(still?.state).toBe('succeeded');
  });

  it('POST /api/reload reloads the rules; GET /api/breakers lists nothing paused', async () => {
    const reload = await admin(t.url, 'POST', '/api/reload');
    expect(reload).toMatchObject({ status: 200, body: { ok: true, rules: 2, diagnostics: [] } });
    expect(await admin(t.url, 'GET', '/api/breakers')).toMatchObject({ status: 200, body: [] });
  });

  it('an unknown route under /api is a JSON 404', async () => {
    expect(await admin(t.url, 'GET', '/api/nothing-here')).toMatchObject({
      status: 404,
      body: { error: { code: 'AP_NOT_FOUND' } },
    });
  });
});
