/**
 * Canary secrets in the configuration never show up in the log (at trace level) nor in any
 * answer of the engine: admin API, traces of stored events, health and metrics.
 */
import { COMMENT_ON_DEPLOY, postDeploy } from './support/deploys.ts';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTenant, startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import type { RunRecord } from '../../src/store/ports.ts';
import { configSecrets } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { admin } from './support/admin.ts';
import { captureLogs, startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { simClient } from './support/sim-client.ts';

const CANARY = {
  pluginSecret: 'canary-plugin-secret-7f3a9c',
  webhookToken: 'canary-webhook-token-2b8e41',
  adminToken: 'canary-admin-token-0123456789abcdef-5d1c',
  deploySecret: 'canary-deploy-secret-9e4f07',
};

let sim: RunningSimulator;
let t: TestEngine;
const answers: string[] = [];

beforeAll(async () => {
  const tenant = demoTenant(Date.now());
  tenant.plugin.plugin_secret = CANARY.pluginSecret;
  sim = await startSimulator({ tenant, webhookToken: CANARY.webhookToken, webhookRetryDelayMs: 1 });
  t = await startTestEngine({
    noAdmin: true,
    rules: {
      'comment-on-deploy.yaml': COMMENT_ON_DEPLOY,
      'escalate-p0-bugs.yaml': readFileSync(
        new URL('../../rules/escalate-p0-bugs.yaml', import.meta.url),
        'utf8',
      ),
    },
    env: {
      LOG_LEVEL: 'trace',
      FEISHU_BASE_URL: sim.baseUrl,
      FEISHU_PLUGIN_ID: sim.credentials.pluginId,
      FEISHU_PLUGIN_SECRET: CANARY.pluginSecret,
      FEISHU_USER_KEY: sim.credentials.userKey,
      FEISHU_WEBHOOK_TOKEN: CANARY.webhookToken,
      AUTOPILOT_ADMIN_TOKEN: CANARY.adminToken,
      AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: CANARY.deploySecret,
    },
  });
  sim.registerWebhook({ url: `${t.url}/webhooks/feishu` });
  const alice = await simClient(sim.baseUrl, sim.credentials.pluginId, CANARY.pluginSecret);
  await alice.call('POST', '/open_api/demo/work_item/create', {
    work_item_type_key: 'issue',
    name: 'Secret bug',
    field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P0' } }],
  });
  await postDeploy(t.url, CANARY.deploySecret, 'deploy-1', { version: '1.0', item: '999999' });
  // Refused requests that carry (parts of) the secrets.
  await fetch(`${t.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ header: { token: `${CANARY.webhookToken}x`, event_type: 'WorkitemCreateEvent' } }),
  });
  await admin(t.url, 'GET', '/api/rules', `Bearer ${CANARY.adminToken.slice(0, -1)}`);
  await sim.webhooksIdle();
  await t.engine.idle();
}, 60_000);

afterAll(async () => {
  await t?.close();
  await sim?.close();
});

async function collect(path: string, method = 'GET'): Promise<unknown> {
  const answer = await admin(t.url, method, path, `Bearer ${CANARY.adminToken}`);
  answers.push(answer.text);
  return answer.body;
}

function expectNoCanary(texts: string[]): void {
  for (const [name, secret] of Object.entries(CANARY)) {
    const leaks = texts.filter((text) => text.includes(secret));
    expect(leaks, `${name} leaked`).toEqual([]);
  }
}

describe('secrets stay secret', () => {
  it('the scenario really ran (so there was something to leak)', async () => {
    const runs = (await collect('/api/runs')) as RunRecord[];
    expect(runs.map((r) => `${r.run.ruleId}:${r.state}`).sort()).toEqual([
      'comment-on-deploy:dead',
      'escalate-p0-bugs:succeeded',
    ]);
    expect(t.logs.map((l) => l.msg)).toContain('rules loaded');
  });

  it('no canary in any admin answer, event trace, health or metrics answer', async () => {
    const runs = (await collect('/api/runs')) as RunRecord[];
    for (const eventId of new Set(runs.map((r) => r.run.eventId))) {
      await collect(`/api/events/${encodeURIComponent(eventId)}/trace`);
    }
    await collect('/api/rules');
    await collect('/api/dead-letters');
    await collect('/api/breakers');
    await collect('/api/reload', 'POST');
    for (const path of ['/healthz', '/readyz', '/healthz/api', '/metrics'])
      answers.push((await admin(t.url, 'GET', path, null)).text);
    expect(answers.length).toBeGreaterThan(8);
    expectNoCanary(answers);
  });

  it('no canary in the log at trace level', () => {
    expectNoCanary(t.rawLogs);
  });

  it('the serve logger scrubs every configured secret wherever it appears in a line', () => {
    const config = t.engine.config;
    const { stream, raw } = captureLogs();
    const log = createLogger({ level: 'trace', secrets: configSecrets(config), destination: stream });
    log.info({ config }, 'the whole configuration');
    log.error(
      { err: new Error(`token ${CANARY.webhookToken} refused`) },
      `secret ${CANARY.deploySecret} in a message`,
    );
    log.warn({ nested: { deep: [CANARY.adminToken, `Bearer ${CANARY.pluginSecret}`] } }, 'nested');
    expect(raw).toHaveLength(3);
    expectNoCanary(raw);
    expect(raw.join('\n')).toContain('[redacted]');
  });

  it('no canary in the stored events (the Feishu token is not kept)', async () => {
    const stored = (await collect('/api/runs')) as RunRecord[];
    for (const run of stored) {
      const event = await t.engine.stores.events.get(run.run.eventId);
      expect(event).toBeDefined();
      expectNoCanary([JSON.stringify(event)]);
    }
  });
});
