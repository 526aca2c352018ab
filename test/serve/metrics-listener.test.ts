/**
 * /metrics can move off the webhook port (METRICS_PORT, METRICS_HOST) and be guarded by a
 * bearer token (AUTOPILOT_METRICS_TOKEN), together or apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from './support/admin.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123';

describe('a metrics port of its own, with a token', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({
      env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', AUTOPILOT_METRICS_TOKEN: METRICS_TOKEN },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves /metrics there, with the token only', async () => {
    expect(t.engine.metricsUrl).not.toBe(t.url);
    const ok = await admin(t.engine.metricsUrl, 'GET', '/metrics', `Bearer ${METRICS_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('autopilot_build_info{');
    const none = await admin(t.engine.metricsUrl, 'GET', '/metrics', null);
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'AP_UNAUTHORIZED' } } });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await admin(t.engine.metricsUrl, 'GET', '/metrics', 'Bearer not-the-metrics-token');
    expect(wrong.status).toBe(401);
  });

  it('answers nothing else there, and /metrics no longer on the webhook port', async () => {
    for (const path of ['/healthz', '/webhooks/feishu', '/metrics/x']) {
      const answer = await admin(t.engine.metricsUrl, 'GET', path, `Bearer ${METRICS_TOKEN}`);
      expect(answer, path).toMatchObject({ status: 404, body: { error: { code: 'AP_NOT_FOUND' } } });
    }
    const main = await admin(t.url, 'GET', '/metrics', `Bearer ${METRICS_TOKEN}`);
    expect(main).toMatchObject({ status: 404, body: { error: { code: 'AP_NOT_FOUND' } } });
    expect((await admin(t.url, 'GET', '/healthz', null)).status).toBe(200);
  });

  it('never logs the token', () => {
    expect(t.rawLogs.join('\n')).not.toContain(METRICS_TOKEN);
  });
});

describe('a token on the webhook port', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ env: { AUTOPILOT_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('guards /metrics and leaves the probes open', async () => {
    expect(t.engine.metricsUrl).toBe(t.url);
    expect((await admin(t.url, 'GET', '/metrics', null)).status).toBe(401);
    expect((await admin(t.url, 'GET', '/metrics', `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    expect((await admin(t.url, 'GET', '/readyz', null)).status).toBe(200);
  });
});
