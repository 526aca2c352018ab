import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApiCall } from '../../src/openapi/catalogue.ts';
import { OpenApiClient, type OpenApiClientOptions } from '../../src/openapi/client.ts';
import { TOKEN_1, rawServer, tokenAnswer } from './support.ts';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

const open: Array<{ close: () => Promise<void> }> = [];
const clients: OpenApiClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A real server that answers the token endpoint and hands every other request to `answer`. */
async function serve(answer: Answer, options: Partial<OpenApiClientOptions> = {}) {
  const server = await rawServer((req, res) => {
    if (req.url === '/open_api/authen/plugin_token') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(tokenAnswer(TOKEN_1)));
      return;
    }
    answer(req, res);
  });
  open.push(server);
  const client = new OpenApiClient({
    baseUrl: server.url,
    pluginId: 'MII_TEST',
    pluginSecret: 'secret-value',
    userKey: 'engine-user',
    ...options,
  });
  clients.push(client);
  return client;
}

const call = () => buildApiCall('config.allTypes', { path: { project_key: 'space1' } });

describe('OpenApiClient against a local server', () => {
  it('parses a normal answer through its own pool', async () => {
    const client = await serve((_req, res) => {
      res.setHeader('x-tt-logid', 'log-9');
      res.end('{"err":{},"err_code":0,"err_msg":"","data":[{"type_key":"story","name":"需求"}]}');
    });
    expect(await client.call(call())).toMatchObject({
      class: 'ok',
      logId: 'log-9',
      data: [{ type_key: 'story', name: '需求' }],
    });
  });

  it('classifies a connection reset before any answer as transient', async () => {
    const client = await serve((req) => req.socket.destroy());
    expect(await client.call(call())).toMatchObject({ class: 'transient', networkError: 'UND_ERR_SOCKET' });
  });

  it('classifies a body cut short as transient, keeping the status', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"err_code":0,"err_msg":"","data":{"na');
      setImmediate(() => res.socket?.destroy());
    });
    const outcome = await client.call(call());
    expect(outcome).toMatchObject({ class: 'transient', httpStatus: 200 });
    expect(outcome.networkError).toBeDefined();
  });

  it('classifies an HTML error page from a gateway as transient', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    expect(await client.call(call())).toMatchObject({
      class: 'transient',
      httpStatus: 502,
      errMsg: 'HTML response instead of JSON',
    });
  });

  it('classifies an empty 200 as transient', async () => {
    const client = await serve((_req, res) => res.end());
    expect(await client.call(call())).toMatchObject({ class: 'transient', errMsg: 'empty response body' });
  });

  it('times out slow headers', async () => {
    const client = await serve(() => undefined, { headersTimeoutMs: 50 });
    expect(await client.call(call())).toMatchObject({
      class: 'transient',
      networkError: 'UND_ERR_HEADERS_TIMEOUT',
    });
  });

  it('times out a stalled body', async () => {
    const client = await serve(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"err_code":0,');
      },
      { bodyTimeoutMs: 50 },
    );
    expect(await client.call(call())).toMatchObject({
      class: 'transient',
      httpStatus: 200,
      networkError: 'UND_ERR_BODY_TIMEOUT',
    });
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const client = await serve(() => controller.abort());
    expect(await client.call(call(), { signal: controller.signal })).toMatchObject({
      class: 'transient',
      networkError: 'AbortError',
    });
  });

  it('classifies a refused connection as transient', async () => {
    const server = await rawServer((_req, res) => res.end());
    await server.close();
    const client = new OpenApiClient({ baseUrl: server.url, pluginId: 'p', pluginSecret: 's', userKey: 'u' });
    clients.push(client);
    expect(await client.call(call())).toMatchObject({ class: 'transient', networkError: 'ECONNREFUSED' });
  });
});
