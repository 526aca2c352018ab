/**
 * The project's simulator on 127.0.0.1:0 pushing its webhooks to a local receiver, so tests
 * can normalize exactly what the simulator (standing in for Feishu Project) delivers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';

export interface Received {
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface Harness {
  sim: RunningSimulator;
  received: Received[];
  /** An Open API call as the given user (default: the demo's alice). */
  call(
    method: string,
    path: string,
    body?: unknown,
    userKey?: string,
  ): Promise<{ err_code: number; data?: unknown }>;
  /** Waits until every pushed webhook has been delivered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const ALICE = '7400000000000000002';
export const T0 = 1_763_600_000_000;

async function receiver(received: Received[]) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function startHarness(): Promise<Harness> {
  const received: Received[] = [];
  const hook = await receiver(received);
  const sim = await startSimulator({
    clock: () => T0,
    webhookToken: 'harness-token',
    webhooks: [{ url: hook.url }],
    webhookRetryDelayMs: 1,
  });
  const tokenAnswer = await fetch(`${sim.baseUrl}/open_api/authen/plugin_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      plugin_id: sim.credentials.pluginId,
      plugin_secret: sim.credentials.pluginSecret,
    }),
  });
  const token = ((await tokenAnswer.json()) as { data: { token: string } }).data.token;
  return {
    sim,
    received,
    call: async (method, path, body, userKey = ALICE) => {
      const response = await fetch(`${sim.baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-plugin-token': token, 'x-user-key': userKey },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as { err_code: number; data?: unknown };
    },
    idle: () => sim.webhooksIdle(),
    close: async () => {
      await sim.close();
      await hook.close();
    },
  };
}
