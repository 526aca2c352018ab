/**
 * The server's connection limits (config `server.*`), through a running engine, with limits small
 * enough that the test observes what happens (a 408, a closed socket, a refused connection) and
 * never how long it took: a silent socket and a socket with half its headers are answered 408 and
 * closed, a trickled body is cut off and nothing is stored, an idle kept-alive connection is
 * closed, and connections past the cap are closed on arrival while those open keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_REQUEST as HEALTH, openSocket as probe, trickle as drip } from '../support/raw-socket.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';

describe('connection timeouts', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({
      configYaml: 'server: { headersTimeoutMs: 200, requestTimeoutMs: 400, idleTimeoutMs: 100 }\n',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 408 and closes a connection that sends nothing, or only part of its headers', async () => {
    const silent = await probe(t.url);
    const partial = await probe(t.url);
    partial.socket.write('POST /webhooks/feishu HTTP/1.1\r\nHost: engine\r\n');
    expect(await silent.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(await partial.closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('cuts off a trickled body and stores nothing from it', async () => {
    const slow = await probe(t.url);
    slow.socket.write(
      'POST /webhooks/feishu HTTP/1.1\r\nHost: engine\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"header":',
    );
    drip(slow); // one byte at a time, for as long as the server keeps listening
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(await t.engine.stores.events.pendingCount()).toBe(0);
  });
});

describe('idle connections', () => {
  let t: TestEngine;
  beforeAll(async () => {
    // Header and request timeouts far beyond the test: a busy machine that stalls the engine
    // between accepting the request and reading it must not turn its answer into a 408.
    t = await startTestEngine({
      configYaml: 'server: { headersTimeoutMs: 600000, requestTimeoutMs: 600000, idleTimeoutMs: 100 }\n',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('closes a kept-alive connection left idle after its answer', async () => {
    const client = await probe(t.url);
    client.socket.write(HEALTH);
    await client.received(/\r\n\r\n/);
    expect(await client.closed).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('connection cap', () => {
  let t: TestEngine;
  beforeAll(async () => {
    // timeouts far beyond the test, so only the cap closes a connection here
    t = await startTestEngine({
      configYaml:
        'server: { maxConnections: 2, headersTimeoutMs: 600000, requestTimeoutMs: 600000, idleTimeoutMs: 600000 }\n',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('closes connections past the cap as they arrive, counts them, and serves those open', async () => {
    const first = await probe(t.url);
    const second = await probe(t.url);
    // both are served, so the server holds both
    for (const open of [first, second]) {
      open.socket.write(HEALTH);
      await open.received(/^HTTP\/1\.1 200 /);
    }
    const third = await probe(t.url);
    third.socket.write(HEALTH);
    expect(await third.closed).toBe('');
    // the two still work
    second.socket.write(HEALTH);
    await second.received(/HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 200/);
    // once one closes, a new connection is served again (as soon as the server has seen it go)
    first.socket.end();
    await first.closed;
    let metrics = '';
    while (metrics === '') {
      const next = await probe(t.url);
      next.socket.write('GET /metrics HTTP/1.1\r\nHost: engine\r\n\r\n');
      metrics = await next.received(/autopilot_connections_dropped_total \d+/).catch(() => '');
      next.socket.destroy();
    }
    expect(metrics).toMatch(/^HTTP\/1\.1 200 /);
    expect(metrics).toMatch(/^autopilot_connections_dropped_total [1-9]/m);
    second.socket.destroy();
  });
});
