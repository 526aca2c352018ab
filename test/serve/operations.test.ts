/**
 * /healthz, /readyz and /metrics of a running engine after real traffic: events by source and
 * type, matches by rule, runs by state, attempts by operation and err_code, queue depth, limiter
 * waits and API latency.
 */
import { COMMENT_ON_DEPLOY, postDeploy } from './support/deploys.ts';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import { admin } from './support/admin.ts';
import { ADMIN_TOKEN, eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';
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
  // A burst of comments on one work item, more than comment.create's rate limit allows at once:
  // all planned before the executor takes any, so they reach the limiter together however slowly
  // the machine delivers them ...
  await t.engine.executor.stop();
  await Promise.all(
    Array.from({ length: DEPLOYS }, (_, i) => deploy(`ok-${i}`, { version: `1.${i}`, item: String(ISSUE) })),
  );
  await t.engine.processor.idle();
  t.engine.executor.start();
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

  it('/readyz checks what accepting and storing needs: the store and the queue', async () => {
    const ready = await admin(t.url, 'GET', '/readyz', null);
    expect(ready).toMatchObject({
      status: 200,
      body: {
        ok: true,
        checks: [
          { name: 'store', ok: true },
          { name: 'queue', ok: true },
        ],
      },
    });
    expect((ready.body as { checks: unknown[] }).checks).toHaveLength(2);
  });

  it('/healthz/api reports the Open API token apart', async () => {
    expect(await admin(t.url, 'GET', '/healthz/api', null)).toMatchObject({
      status: 200,
      body: { ok: true, checks: [{ name: 'token', ok: true }] },
    });
  });

  it('a refused plugin secret makes /healthz/api 503 while /readyz and /healthz stay 200, and webhooks are still stored', async () => {
    const sim = await startSimulator();
    const wrong = await startTestEngine({
      env: {
        FEISHU_BASE_URL: sim.baseUrl,
        FEISHU_PLUGIN_ID: sim.credentials.pluginId,
        FEISHU_PLUGIN_SECRET: 'not-the-plugin-secret-canary',
        FEISHU_USER_KEY: sim.credentials.userKey,
        FEISHU_WEBHOOK_TOKEN: 'some-webhook-token',
        AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: DEPLOY_SECRET,
      },
    });
    try {
      const api = await admin(wrong.url, 'GET', '/healthz/api', null);
      expect(api.status).toBe(503);
      const checks = (api.body as { checks: Array<{ name: string; ok: boolean; error?: string }> }).checks;
      expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['token']);
      expect(api.text).not.toContain('not-the-plugin-secret-canary');
      expect((await admin(wrong.url, 'GET', '/readyz', null)).status).toBe(200);
      expect((await admin(wrong.url, 'GET', '/healthz', null)).status).toBe(200);
      expect((await postDeploy(wrong.url, DEPLOY_SECRET, 'during-outage', { version: '1' })).status).toBe(
        202,
      );
      expect(await wrong.engine.stores.events.get('webhook:deploys:during-outage')).toBeDefined();
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

describe('/metrics conventions', () => {
  let metrics: string;
  beforeAll(async () => {
    metrics = (await admin(t.url, 'GET', '/metrics', null)).text;
  });

  it('exports the default Node metrics under their standard names', () => {
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(metrics, name).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(metrics).not.toContain('autopilot_process_');
  });

  it('says which version runs on which Node, in which profile', () => {
    const version = (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
    expect(
      sample(
        metrics,
        `autopilot_build_info{version="${version}",node_version="${process.versions.node}",profile="embedded"}`,
      ),
    ).toBe(1);
  });

  it('times HTTP requests by route template, method and status', () => {
    expect(
      sample(
        metrics,
        'autopilot_http_request_duration_seconds_count{route="/webhooks/:name",method="POST",status="202"}',
      ),
    ).toBe(DEPLOYS + 1);
    expect(
      sample(
        metrics,
        'autopilot_http_request_duration_seconds_count{route="/healthz",method="GET",status="200"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('unknown URLs', () => {
  it('answer the documented JSON error, not an HTML page', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/webhooks'],
      ['GET', '/webhooks/feishu'],
      ['DELETE', '/healthz'],
    ] as const) {
      const answer = await admin(t.url, method, path, null);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.body).toEqual({ error: { code: 'AP_NOT_FOUND', message: `no route ${method} ${path}` } });
    }
  });
});

describe('logs', () => {
  it('carry the pid and the host on every line', () => {
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(line).toMatchObject({ pid: process.pid, hostname: hostname() });
  });

  it('write one error line per dead-lettered run, with its error', () => {
    const dead = t.logs.filter((l) => l.msg?.startsWith('run dead-lettered'));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      level: 50,
      ruleId: 'comment-on-deploy',
      eventId: 'webhook:deploys:dead-1',
      error: { code: 'AP_API_PERMANENT', errCode: 30005 },
    });
    expect(dead[0]?.runId).toEqual(expect.any(String));
  });

  it('have an access log line at info per request: no body, no header values, tokens in the URL redacted', async () => {
    const before = t.logs.length;
    const answer = await admin(t.url, 'GET', '/api/runs?limit=1&token=url-token-canary', undefined);
    expect(answer.status).toBe(200);
    await postDeploy(t.url, DEPLOY_SECRET, 'logged-1', { version: 'body-canary' });
    // The line is written when the server closes the response, which the client may see first.
    const requestLine = (route: string) =>
      eventually(() => t.logs.slice(before).find((l) => l.msg === 'request' && l.route === route), route);
    const runs = await requestLine('/api/runs');
    expect(runs).toMatchObject({
      level: 30,
      req: { method: 'GET', url: '/api/runs?limit=1&token=[redacted]' },
      res: { statusCode: 200 },
    });
    expect(runs?.durationMs).toEqual(expect.any(Number));
    expect(await requestLine('/webhooks/:name')).toMatchObject({
      level: 30,
      req: { method: 'POST', url: '/webhooks/deploys' },
      res: { statusCode: 202 },
    });
    const raw = t.rawLogs.slice(before).join('\n');
    for (const canary of ['url-token-canary', 'body-canary', ADMIN_TOKEN, DEPLOY_SECRET]) {
      expect(raw).not.toContain(canary);
    }
  });

  it('log probes and scrapes at debug only', async () => {
    const before = t.logs.length;
    await admin(t.url, 'GET', '/healthz', null);
    await admin(t.url, 'GET', '/nope', null);
    // The 404 after the probe is logged; the probe before it is not.
    await eventually(() => t.logs.slice(before).find((l) => l.route === 'unmatched'), 'the 404 line');
    expect(t.logs.slice(before).filter((l) => l.route === '/healthz')).toEqual([]);
  });
});
