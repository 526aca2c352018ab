/**
 * /healthz, /readyz and /metrics of a running engine after real traffic: events by source and
 * type, matches by rule, runs by state, attempts by operation and err_code, queue depth, limiter
 * waits and API latency.
 */
import { COMMENT_ON_DEPLOY, postDeploy } from './support/deploys.ts';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import { admin } from './support/admin.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const DEPLOY_SECRET = 'deploy-secret-for-metrics';
const ISSUE = 6437110004;
// Events without a work item share one breaker lane per rule, which trips past 20 runs a minute:
// 19 good deploys and 1 bad one stay within it.
const DEPLOYS = 19;

let t: TestEngine;

async function deploy(id: string, payload: unknown): Promise<void> {
  const response = await postDeploy(t.url, DEPLOY_SECRET, id, payload);
  expect(response.status).toBe(202);
}

/** The value of the one sample whose line starts with `prefix` (name and labels). */
function sample(metrics: string, prefix: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
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
  const sim = t.engine.simulator as RunningSimulator;
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  await alice.call('POST', '/open_api/demo/work_item/create', {
    work_item_type_key: 'issue',
    name: 'Metrics bug',
    field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P0' } }],
  });
  // A burst of comments on one work item, more than comment.create's rate limit allows at once ...
  await Promise.all(
    Array.from({ length: DEPLOYS }, (_, i) => deploy(`ok-${i}`, { version: `1.${i}`, item: String(ISSUE) })),
  );
  // ... and one that dies (30005: no such work item).
  await deploy('dead-1', { version: '9.9', item: '999999' });
  await sim.webhooksIdle();
  await t.engine.idle();
}, 60_000);
afterAll(async () => {
  await t.close();
});

describe('health and readiness', () => {
  it('/healthz answers 200 while the process runs', async () => {
    expect(await admin(t.url, 'GET', '/healthz', null)).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('/readyz checks the store, the queue and the token', async () => {
    const ready = await admin(t.url, 'GET', '/readyz', null);
    expect(ready).toMatchObject({
      status: 200,
      body: {
        ok: true,
        checks: [
          { name: 'store', ok: true },
          { name: 'queue', ok: true },
          { name: 'token', ok: true },
        ],
      },
    });
  });

  it('/readyz answers 503 naming the token check when the plugin secret is refused, /healthz stays 200', async () => {
    const sim = await startSimulator();
    const wrong = await startTestEngine({
      env: {
        FEISHU_BASE_URL: sim.baseUrl,
        FEISHU_PLUGIN_ID: sim.credentials.pluginId,
        FEISHU_PLUGIN_SECRET: 'not-the-plugin-secret-canary',
        FEISHU_USER_KEY: sim.credentials.userKey,
        FEISHU_WEBHOOK_TOKEN: 'some-webhook-token',
      },
    });
    try {
      const ready = await admin(wrong.url, 'GET', '/readyz', null);
      expect(ready.status).toBe(503);
      const checks = (ready.body as { checks: Array<{ name: string; ok: boolean; error?: string }> }).checks;
      expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['token']);
      expect(ready.text).not.toContain('not-the-plugin-secret-canary');
      expect((await admin(wrong.url, 'GET', '/healthz', null)).status).toBe(200);
    } finally {
      await wrong.close();
      await sim.close();
    }
  });
});

describe('/metrics after traffic', () => {
  let metrics: string;
  beforeAll(async () => {
    const answer = await admin(t.url, 'GET', '/metrics', null);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    metrics = answer.text;
  });

  it('counts events by source and type', () => {
    expect(
      sample(metrics, 'autopilot_events_total{source="webhook",type="webhook.deploys",duplicate="false"}'),
    ).toBe(DEPLOYS + 1);
    expect(
      sample(metrics, 'autopilot_events_total{source="feishu",type="work_item.created",duplicate="false"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts matches by rule and runs by state', () => {
    expect(sample(metrics, 'autopilot_rule_matches_total{rule="comment-on-deploy"}')).toBe(DEPLOYS + 1);
    expect(sample(metrics, 'autopilot_rule_matches_total{rule="escalate-p0-bugs"}')).toBe(1);
    expect(sample(metrics, 'autopilot_runs_total{state="planned"}')).toBe(DEPLOYS + 2);
    expect(sample(metrics, 'autopilot_runs_total{state="succeeded"}')).toBe(DEPLOYS + 1);
    expect(sample(metrics, 'autopilot_runs_total{state="dead"}')).toBe(1);
  });

  it('counts attempts by operation and err_code, with their latency', () => {
    expect(
      sample(metrics, 'autopilot_api_attempts_total{operation="comment.create",outcome="ok",err_code="0"}'),
    ).toBe(DEPLOYS + 1);
    const permanent = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('autopilot_api_attempts_total{operation="comment.create"') &&
          l.includes('err_code="30005"'),
      );
    expect(permanent).toMatch(/ 1$/);
    expect(sample(metrics, 'autopilot_api_latency_seconds_count{operation="comment.create"}')).toBe(
      DEPLOYS + 2,
    );
    expect(sample(metrics, 'autopilot_api_latency_seconds_count{operation="workflow.stateChange"}')).toBe(1);
  });

  it('shows the queue (empty now) and the dead letter', () => {
    expect(sample(metrics, 'autopilot_queue_depth ')).toBe(0);
    expect(sample(metrics, 'autopilot_queue_oldest_age_seconds ')).toBe(0);
    expect(sample(metrics, 'autopilot_dead_letters ')).toBe(1);
    expect(sample(metrics, 'autopilot_events_pending ')).toBe(0);
  });

  it('counts the rate limiter holding back the burst, so the simulator never answered 10429', () => {
    const waits = metrics
      .split('\n')
      .filter((l) => l.startsWith('autopilot_limiter_waits_total{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(waits).toBeGreaterThan(0);
    expect(t.engine.simulator?.requests({ err_code: 10429 })).toEqual([]);
  });

  it('counts rule reloads and loaded rules', () => {
    expect(sample(metrics, 'autopilot_rule_reloads_total{result="ok"}')).toBe(1);
    expect(sample(metrics, 'autopilot_rules_loaded ')).toBe(2);
  });
});
