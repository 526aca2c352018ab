/** Fakes for the Open API client tests: a MockAgent tenant and a raw local HTTP server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent } from 'undici';
import { OpenApiClient, type OpenApiClientOptions } from '../../src/openapi/client.ts';

export const ORIGIN = 'https://project.test';
export const PLUGIN_SECRET = 'D01B5F1A191C8620D133CDC371C0ABCD';
export const TOKEN_1 = 'p-49257489-f7d7-4cd6-b34f-98c6b81d0001';
export const TOKEN_2 = 'p-49257489-f7d7-4cd6-b34f-98c6b81d0002';

export const ok = (data?: unknown, extra: Record<string, unknown> = {}) => ({
  err_code: 0,
  err_msg: '',
  err: {},
  ...(data === undefined ? {} : { data }),
  ...extra,
});

export const fail = (code: number, msg: string, inner = '') => ({
  err_code: code,
  err_msg: msg,
  err: { code, msg: inner, log_id: 'log-1' },
});

export function tokenAnswer(token: string, expireTime = 7200) {
  return { data: { expire_time: expireTime, token }, error: { code: 0, msg: 'success' } };
}

export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A MockAgent answering the token endpoint with TOKEN_1 and recording every request. */
export function mockTenant(options: Partial<OpenApiClientOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const seen: Seen[] = [];
  const record = (opts: { method: string; path: string; headers?: unknown; body?: unknown }) => {
    seen.push({
      method: opts.method,
      path: opts.path,
      headers: lowerHeaders(opts.headers),
      body: typeof opts.body === 'string' ? opts.body : '',
    });
  };
  const client = new OpenApiClient({
    baseUrl: ORIGIN,
    pluginId: 'MII_TEST',
    pluginSecret: PLUGIN_SECRET,
    userKey: 'engine-user',
    dispatcher: agent,
    ...options,
  });
  return { agent, pool, seen, record, client };
}

function lowerHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
  } else if (headers !== null && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = String(v);
  }
  return out;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on 127.0.0.1:0 whose answers are up to each test. */
export async function rawServer(
  handler: Handler,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
