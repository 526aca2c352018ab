/**
 * With an OTLP endpoint configured, one event's story is exported as linked spans
 * (event.stored → event.matched → run → one span per API attempt) to a local OTLP/HTTP receiver,
 * and the log lines about the event carry its trace id. Without one, nothing is traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceIdOf } from '../../src/ops/trace-ids.ts';
import { COMMENT_ON_DEPLOY, postDeploy } from './support/deploys.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

const SECRET = 'deploy-secret-for-tracing';
const ISSUE = '6437110004';
const OK_EVENT = 'webhook:deploys:traced-ok';
const DEAD_EVENT = 'webhook:deploys:traced-dead';
const COLLECTOR_KEY = 'collector-key-canary-41';

let receiver: OtlpReceiver;
let t: TestEngine;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  t = await startTestEngine({
    env: {
      AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: SECRET,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${COLLECTOR_KEY}`,
      OTEL_SERVICE_NAME: 'autopilot-under-test',
    },
    rules: { 'comment-on-deploy.yaml': COMMENT_ON_DEPLOY },
  });
  expect((await postDeploy(t.url, SECRET, 'traced-ok', { version: '1.0', item: ISSUE })).status).toBe(202);
  // A redelivery adds no second stored span.
  expect((await postDeploy(t.url, SECRET, 'traced-ok', { version: '1.0', item: ISSUE })).status).toBe(200);
  expect((await postDeploy(t.url, SECRET, 'traced-dead', { version: '2.0', item: '999999' })).status).toBe(
    202,
  );
  await t.engine.idle();
  // Stopping flushes what the batch processor holds: no waiting on its schedule.
  await t.close();
});
afterAll(async () => {
  await receiver.close();
});

const of = (eventId: string) => receiver.spans.filter((s) => s.traceId === traceIdOf(eventId));
const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('traces', () => {
  it('export one trace per event, linked stored → matched → run → each API attempt', () => {
    const spans = of(OK_EVENT);
    const [stored, ...moreStored] = named(spans, 'event.stored');
    const [matched] = named(spans, 'event.matched');
    const [run] = named(spans, 'run');
    const attempts = named(spans, 'api comment.create');
    expect(moreStored).toEqual([]);
    expect(stored?.parentSpanId ?? '').toBe('');
    expect(matched?.parentSpanId).toBe(stored?.spanId);
    expect(run?.parentSpanId).toBe(matched?.spanId);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    for (const attempt of attempts) expect(attempt.parentSpanId).toBe(run?.spanId);
    expect(stored?.attributes).toMatchObject({
      'autopilot.event.id': OK_EVENT,
      'autopilot.event.source': 'webhook',
      'autopilot.event.type': 'webhook.deploys',
    });
    expect(matched?.attributes).toMatchObject({
      'autopilot.runs': 1,
      'autopilot.rule.ids': ['comment-on-deploy'],
    });
    expect(run?.attributes).toMatchObject({
      'autopilot.rule.id': 'comment-on-deploy',
      'autopilot.run.state': 'succeeded',
    });
    expect(attempts.at(-1)?.attributes).toMatchObject({
      'autopilot.operation': 'comment.create',
      'autopilot.outcome': 'ok',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    // Times nest: the run starts when it is planned and ends after its last attempt.
    const ns = (value: string | undefined) => BigInt(value ?? '0');
    expect(ns(run?.startTimeUnixNano)).toBeLessThanOrEqual(ns(attempts[0]?.startTimeUnixNano));
    expect(ns(run?.endTimeUnixNano)).toBeGreaterThanOrEqual(ns(attempts.at(-1)?.endTimeUnixNano));
  });

  it('mark a dead-lettered run and its refused attempt as errors', () => {
    const spans = of(DEAD_EVENT);
    const [run] = named(spans, 'run');
    const [attempt] = named(spans, 'api comment.create');
    expect(run?.attributes).toMatchObject({
      'autopilot.run.state': 'dead',
      'autopilot.error.code': 'AP_API_PERMANENT',
    });
    expect(run?.status?.code).toBe(2);
    expect(attempt?.status?.code).toBe(2);
    expect(attempt?.attributes).toMatchObject({
      'autopilot.outcome': 'permanent',
      'autopilot.err_code': 30005,
    });
  });

  it('name the service and send the configured headers', () => {
    expect(receiver.spans[0]?.resource).toMatchObject({ 'service.name': 'autopilot-under-test' });
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) {
      expect(request.path).toBe('/v1/traces');
      expect(request.headers['x-api-key']).toBe(COLLECTOR_KEY);
    }
  });

  it('put the trace id on the log lines about an event, and keep the collector key out of the log', () => {
    const dead = t.logs.find((l) => l.msg?.startsWith('run dead-lettered'));
    expect(dead).toMatchObject({ eventId: DEAD_EVENT, trace_id: traceIdOf(DEAD_EVENT) });
    expect(t.rawLogs.join('\n')).not.toContain(COLLECTOR_KEY);
  });
});

describe('without an OTLP endpoint', () => {
  let plain: TestEngine;
  beforeAll(async () => {
    plain = await startTestEngine({
      env: { AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: SECRET },
      rules: { 'comment-on-deploy.yaml': COMMENT_ON_DEPLOY },
    });
  });
  afterAll(async () => {
    await plain.close();
  });

  it('traces nothing and logs no trace ids', async () => {
    expect(plain.engine.config.tracing).toEqual({ headers: [], serviceName: 'fp-autopilot' });
    await postDeploy(plain.url, SECRET, 'untraced', { version: '3.0', item: '999999' });
    await plain.engine.idle();
    const dead = plain.logs.find((l) => l.msg?.startsWith('run dead-lettered'));
    expect(dead?.eventId).toBe('webhook:deploys:untraced');
    expect(dead).not.toHaveProperty('trace_id');
  });
});
