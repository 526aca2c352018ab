/**
 * The security corpus's slow and greedy clients, against the real engine process with small
 * connection limits (config `server.*`): a connection that sends nothing, one that stops halfway
 * through its headers, a trickled body, an idle kept-alive connection, and more connections than
 * the cap. Each is judged by what the server did (a 408, a close, a refused connection), never by
 * how long it took.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEALTH_REQUEST, openSocket, trickle } from '../support/raw-socket.ts';
import { expectThat, type Row } from './support/figures.ts';
import { createWorld } from './support/world.ts';

const TIMEOUTS = 'server: { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 200 }\n';
const CAP = 3;
const CAPPED = `server: { maxConnections: ${CAP}, headersTimeoutMs: 600000, requestTimeoutMs: 600000, idleTimeoutMs: 600000 }\n`;

export async function connectionLimits(row: Row): Promise<string> {
  const world = await createWorld({ rules: {} });
  const configFile = join(world.dir, 'autopilot.yaml');
  world.env.AUTOPILOT_CONFIG = configFile;
  const cases: string[] = [];
  try {
    writeFileSync(configFile, TIMEOUTS);
    const engine = await world.startEngine();
    const silent = await openSocket(engine.url);
    const halfHeaders = await openSocket(engine.url);
    halfHeaders.socket.write('POST /webhooks/feishu HTTP/1.1\r\nHost: engine\r\n');
    const slowBody = await openSocket(engine.url);
    slowBody.socket.write(
      'POST /webhooks/feishu HTTP/1.1\r\nHost: engine\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    trickle(slowBody);
    const idle = await openSocket(engine.url);
    idle.socket.write(HEALTH_REQUEST);
    for (const [name, probe, answer] of [
      ['silent connection', silent, /^HTTP\/1\.1 408 /],
      ['headers cut halfway', halfHeaders, /^HTTP\/1\.1 408 /],
      ['trickled body', slowBody, /^HTTP\/1\.1 408 /],
      ['idle kept-alive connection', idle, /^HTTP\/1\.1 200 /],
    ] as const) {
      const sent = await probe.closed;
      expectThat(row, answer.test(sent), `${name}: closed after ${JSON.stringify(sent.slice(0, 40))}`);
      cases.push(name);
    }
    await engine.stop();

    writeFileSync(configFile, CAPPED);
    const capped = await world.startEngine();
    // Connections are opened one by one until one is refused: the health checks that saw the
    // engine start may still hold one of the slots.
    const held = [];
    let refused: string | undefined;
    while (refused === undefined && held.length <= CAP) {
      const probe = await openSocket(capped.url);
      probe.socket.write(HEALTH_REQUEST);
      const answer = await probe.received(/^HTTP\/1\.1 200 /).catch(() => undefined);
      if (answer === undefined) refused = await probe.closed;
      else held.push(probe);
    }
    expectThat(row, refused === '', `no connection refused past a cap of ${CAP} (${held.length} served)`);
    expectThat(
      row,
      held.length >= 1 && held.length <= CAP,
      `${held.length} connections served under a cap of ${CAP}`,
    );
    const still = held[0];
    if (still) {
      still.socket.write(HEALTH_REQUEST);
      await still.received(/HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 200/);
    }
    for (const probe of held) probe.socket.destroy();
    cases.push(`connection past a cap of ${CAP}`);
  } finally {
    await world.close();
  }
  row.notes.push(`connections: ${cases.length} slow or surplus clients cut off (${cases.join(', ')})`);
  return `${cases.length} slow or surplus connections`;
}
