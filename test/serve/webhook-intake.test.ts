/**
 * POST /webhooks/feishu and POST /webhooks/:name through a running engine: every bad input gets
 * its documented status (never a 500), and nothing is stored twice.
 */
import { join } from 'node:path';
import { gzipSync, createGzip } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStandardWebhook } from '../../src/ingest/http/standard-webhook.ts';
import { startTestEngine, type TestEngine } from './support/engine-harness.ts';
import { storedEventCount } from './support/event-count.ts';

const SECRET = 'whsec_' + Buffer.from('deploys-secret-0123456789abcdef').toString('base64');
const OLD_SECRET = 'raw-rotated-secret-for-deploys';
const LIMIT = 256 * 1024;

let t: TestEngine;
let token: string;
let seq = 0;

beforeAll(async () => {
  t = await startTestEngine({ env: { AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: `${SECRET},${OLD_SECRET}` } });
  token = t.engine.simulator?.credentials.webhookToken as string;
});
afterAll(async () => {
  await t.close();
});

const dataDir = () => join(t.dir, 'data');

function feishuBody(overrides: { uuid?: string; token?: string | null } = {}) {
  seq += 1;
  const header: Record<string, unknown> = {
    event_type: 'WorkitemCreateEvent',
    uuid: overrides.uuid ?? `intake-${seq}-${Date.now()}`,
    operator: '7400000000000000002',
  };
  if (overrides.token !== null) header.token = overrides.token ?? token;
  return {
    header,
    payload: {
      id: 6437110004,
      name: 'Intake test',
      project_key: '66a1b2c3d4e5f60718293a4b',
      project_simple_name: 'demo',
      work_item_type_key: 'issue',
    },
  };
}

interface Answer {
  status: number;
  body: { ok?: boolean; eventId?: string; duplicate?: boolean; error?: { code: string; message: string } };
}

async function post(
  path: string,
  body: string | Buffer | ReadableStream,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  const response = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const postJson = (path: string, value: unknown, headers: Record<string, string> = {}) =>
  post(path, JSON.stringify(value), { 'content-type': 'application/json', ...headers });

function signed(body: string, options: { id?: string; at?: number; secret?: string } = {}) {
  const id = options.id ?? `msg_${(seq += 1)}`;
  const at = options.at ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(at),
    'webhook-signature': signStandardWebhook(id, at, body, options.secret ?? SECRET),
  };
}

describe('POST /webhooks/feishu', () => {
  it('stores a new delivery (202) and answers its redelivery 200 duplicate, stored once', async () => {
    const body = feishuBody();
    const first = await postJson('/webhooks/feishu', body);
    expect(first).toMatchObject({ status: 202, body: { ok: true, duplicate: false } });
    const again = await postJson('/webhooks/feishu', body);
    expect(again).toMatchObject({ status: 200, body: { ok: true, duplicate: true } });
    const id = first.body.eventId as string;
    expect(again.body.eventId).toBe(id);
    expect(storedEventCount(dataDir(), id)).toBe(1);
  });

  it('stores concurrent redeliveries of one event once', async () => {
    const body = feishuBody();
    const answers = await Promise.all(Array.from({ length: 12 }, () => postJson('/webhooks/feishu', body)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.duplicate)).toHaveLength(11);
    expect(storedEventCount(dataDir(), answers[0]?.body.eventId)).toBe(1);
  });

  it.each([
    ['a wrong token', { token: 'not-the-token' }],
    ['an empty token', { token: '' }],
    ['no token', { token: null }],
  ])('answers 401 to %s and stores nothing', async (_name, overrides) => {
    const before = storedEventCount(dataDir());
    const answer = await postJson('/webhooks/feishu', feishuBody(overrides as { token: string | null }));
    expect(answer).toMatchObject({ status: 401, body: { error: { code: 'AP_UNAUTHORIZED' } } });
    expect(storedEventCount(dataDir())).toBe(before);
  });

  it('takes the legacy format with its token in the X-Plug-In-Token header; a wrong or absent header is 401', async () => {
    seq += 1;
    const legacy = {
      eventType: 'EventCreate-issue',
      id: 6437110004,
      name: `legacy ${seq}`,
      project_key: '66a1b2c3d4e5f60718293a4b',
      operator: '7400000000000000002',
      updated_at: Date.now() + seq,
    };
    expect((await postJson('/webhooks/feishu', legacy, { 'x-plug-in-token': token })).status).toBe(202);
    expect((await postJson('/webhooks/feishu', legacy, { 'x-plug-in-token': token })).status).toBe(200);
    expect((await postJson('/webhooks/feishu', legacy, { 'x-plug-in-token': 'wrong' })).status).toBe(401);
    expect((await postJson('/webhooks/feishu', legacy)).status).toBe(401);
    // A token in the body wins over the header, so a wrong one there is refused even with a right header.
    const both = { ...legacy, updated_at: legacy.updated_at + 1, header: { token: 'wrong' } };
    expect((await postJson('/webhooks/feishu', both, { 'x-plug-in-token': token })).status).toBe(401);
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', 'hello'],
    ['a number', 42],
    ['a header that is not an object', { header: 'x' }],
    ['a token that is a number', { header: { token: 12345, event_type: 'WorkitemCreateEvent' } }],
  ])('answers 401, never 500, to a body that is %s', async (_name, body) => {
    const answer = await postJson('/webhooks/feishu', body);
    expect(answer.status).toBe(401);
  });

  it('answers 400 to JSON with the right token but without the needed fields', async () => {
    for (const body of [
      { header: { token } },
      { header: { token, event_type: 'NoSuchEvent' }, payload: {} },
    ]) {
      const answer = await postJson('/webhooks/feishu', body);
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'AP_EVENT_INVALID' } } });
    }
  });

  it('answers 400 to malformed or empty JSON', async () => {
    for (const text of ['{"header": {', '', '   ', '{"a":1}}']) {
      const answer = await post('/webhooks/feishu', text);
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'AP_BAD_REQUEST' } } });
    }
  });

  it('answers 415 to a body that is not declared JSON', async () => {
    const text = JSON.stringify(feishuBody());
    const refused: Record<string, string>[] = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      {},
    ];
    for (const headers of refused) {
      const answer = await post('/webhooks/feishu', text, headers);
      expect(answer).toMatchObject({ status: 415, body: { error: { code: 'AP_UNSUPPORTED_MEDIA_TYPE' } } });
    }
    const ok = await post('/webhooks/feishu', text, { 'content-type': 'application/json; charset=utf-8' });
    expect(ok.status).toBe(202);
  });

  it('answers 413 to a body over 256 KiB, whether its length is declared or streamed', async () => {
    const big = JSON.stringify({ ...feishuBody(), padding: 'x'.repeat(LIMIT) });
    expect((await post('/webhooks/feishu', big)).status).toBe(413);
    const chunks = [big.slice(0, 100_000), big.slice(100_000)];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await post('/webhooks/feishu', stream);
    expect(streamed).toMatchObject({ status: 413, body: { error: { code: 'AP_PAYLOAD_TOO_LARGE' } } });
  });

  it('accepts a gzip-compressed delivery and counts the limit after decompression', async () => {
    const body = feishuBody();
    const small = await post('/webhooks/feishu', gzipSync(JSON.stringify(body)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(small.status).toBe(202);
    // 300 KiB of JSON compresses to a few KB, well under the limit before decompression.
    const padded = gzipSync(JSON.stringify({ ...feishuBody(), padding: ' '.repeat(300 * 1024) }));
    expect(padded.length).toBeLessThan(8 * 1024);
    const answer = await post('/webhooks/feishu', padded, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(answer.status).toBe(413);
  });

  it('refuses a gzip bomb with 413 without inflating it in memory', async () => {
    const bomb = await gzipOfZeros(128 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(LIMIT);
    const before = process.memoryUsage();
    const answer = await post('/webhooks/feishu', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    const after = process.memoryUsage();
    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'AP_PAYLOAD_TOO_LARGE' } } });
    const grown = after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers 415 to an unsupported content-encoding and 400 to a corrupt gzip stream', async () => {
    const text = JSON.stringify(feishuBody());
    const unsupported = await post('/webhooks/feishu', text, {
      'content-type': 'application/json',
      'content-encoding': 'compress',
    });
    expect(unsupported).toMatchObject({
      status: 415,
      body: { error: { code: 'AP_UNSUPPORTED_MEDIA_TYPE' } },
    });
    const corrupt = await post('/webhooks/feishu', Buffer.from('definitely not gzip'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(corrupt.status).toBe(400);
  });

  it('never answers 5xx to arbitrary JSON, with or without the right token', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            header: fc.record({ token: fc.constant(token), event_type: fc.string() }),
            payload: fc.jsonValue(),
          }),
          fc.dictionary(fc.string(), fc.jsonValue()).map((header) => ({ header: { ...header, token } })),
        ),
        async (body) => {
          const answer = await postJson('/webhooks/feishu', body);
          expect([200, 202, 400, 401]).toContain(answer.status);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('POST /webhooks/:name (Standard Webhooks)', () => {
  it('stores a signed delivery as webhook.<name> (202) and a replay of it once (200)', async () => {
    const body = JSON.stringify({ deploy: 'api', version: '1.2.3' });
    const headers = signed(body);
    const first = await post('/webhooks/deploys', body, headers);
    expect(first).toMatchObject({
      status: 202,
      body: { eventId: `webhook:deploys:${headers['webhook-id']}` },
    });
    const replay = await post('/webhooks/deploys', body, headers);
    expect(replay).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(storedEventCount(dataDir(), first.body.eventId)).toBe(1);
    const stored = await t.engine.stores.events.get(first.body.eventId as string);
    expect(stored?.event).toMatchObject({
      type: 'webhook.deploys',
      source: 'webhook',
      payload: { deploy: 'api' },
    });
  });

  it('accepts every configured secret (rotation)', async () => {
    const body = JSON.stringify({ deploy: 'web' });
    expect((await post('/webhooks/deploys', body, signed(body, { secret: OLD_SECRET }))).status).toBe(202);
  });

  it('answers 404 to a webhook name that is not configured', async () => {
    const body = JSON.stringify({ a: 1 });
    for (const name of ['nope', '__proto__', 'constructor', 'hasOwnProperty']) {
      const answer = await post(`/webhooks/${name}`, body, signed(body));
      expect(answer).toMatchObject({ status: 404, body: { error: { code: 'AP_NOT_FOUND' } } });
    }
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'answers 401 when %s is missing',
    async (missing) => {
      const body = JSON.stringify({ a: 1 });
      const headers: Record<string, string> = signed(body);
      delete headers[missing];
      const answer = await post('/webhooks/deploys', body, headers);
      expect(answer).toMatchObject({ status: 401, body: { error: { code: 'AP_UNAUTHORIZED' } } });
      expect(answer.body.error?.message).toMatch(/headers are required/);
    },
  );

  it('answers 401 to a timestamp more than 5 minutes old or ahead, even when correctly signed', async () => {
    const body = JSON.stringify({ a: 1 });
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const at of [nowSeconds - 6 * 60, nowSeconds + 6 * 60]) {
      const answer = await post('/webhooks/deploys', body, signed(body, { at }));
      expect(answer.status).toBe(401);
      expect(answer.body.error?.message).toMatch(/outside the allowed window/);
    }
    expect((await post('/webhooks/deploys', body, signed(body, { at: nowSeconds - 4 * 60 }))).status).toBe(
      202,
    );
  });

  it('answers 401 to a bad signature: another secret, a changed body, garbage', async () => {
    const body = JSON.stringify({ a: 1 });
    const before = storedEventCount(dataDir());
    const wrongSecret = signed(body, { secret: 'whsec_' + Buffer.from('other').toString('base64') });
    const tampered = signed(JSON.stringify({ a: 2 }));
    const garbage = { ...signed(body), 'webhook-signature': 'v1,!!!!, v2,abc' };
    for (const headers of [wrongSecret, tampered, garbage]) {
      const answer = await post('/webhooks/deploys', body, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error?.message).toMatch(/signature does not match/);
    }
    expect(storedEventCount(dataDir())).toBe(before);
  });

  it('answers 415 to a non-JSON body and 400 to malformed JSON that is correctly signed', async () => {
    const text = 'a=1';
    const form = { ...signed(text), 'content-type': 'application/x-www-form-urlencoded' };
    expect((await post('/webhooks/deploys', text, form)).status).toBe(415);
    const broken = '{"a":';
    const answer = await post('/webhooks/deploys', broken, signed(broken));
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 'AP_BAD_REQUEST' } } });
  });

  it('answers 413 to an oversized signed body and to a gzip bomb', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(LIMIT) });
    expect((await post('/webhooks/deploys', big, signed(big))).status).toBe(413);
    const bomb = await gzipOfZeros(32 * 1024 * 1024);
    const answer = await post('/webhooks/deploys', bomb, { ...signed('{}'), 'content-encoding': 'gzip' });
    expect(answer.status).toBe(413);
  });
});

describe('spellings of the webhook paths (hot path and express answer alike)', () => {
  it('stores a delivery sent with a query string, another case or a trailing slash, and dedupes across them', async () => {
    const body = feishuBody();
    const plain = await postJson('/webhooks/feishu?source=automation', body);
    expect(plain).toMatchObject({ status: 202, body: { ok: true, duplicate: false } });
    for (const path of ['/WEBHOOKS/Feishu', '/webhooks/feishu/', '/Webhooks/feishu?x=1']) {
      const again = await postJson(path, body);
      expect(again, path).toMatchObject({
        status: 200,
        body: { eventId: plain.body.eventId, duplicate: true },
      });
    }
    const other = feishuBody();
    expect(await postJson('/Webhooks/FEISHU/', other)).toMatchObject({
      status: 202,
      body: { duplicate: false },
    });
    expect(storedEventCount(dataDir(), plain.body.eventId)).toBe(1);
  });

  it('answers a generic webhook alike under an escaped name and refuses the same bad input alike', async () => {
    const text = JSON.stringify({ release: 'v9' });
    const headers = signed(text);
    const plain = await post('/webhooks/deploys', text, headers);
    expect(plain).toMatchObject({ status: 202, body: { duplicate: false } });
    const escaped = await post('/webhooks/%64eploys', text, headers);
    expect(escaped).toMatchObject({ status: 200, body: { eventId: plain.body.eventId, duplicate: true } });
    for (const path of ['/webhooks/deploys', '/webhooks/deploys/']) {
      const unsigned = await post(path, text);
      expect(unsigned, path).toMatchObject({ status: 401, body: { error: { code: 'AP_UNAUTHORIZED' } } });
    }
    for (const path of ['/webhooks/nobody', '/webhooks/nob%6Fdy']) {
      const unknown = await post(path, text, signed(text));
      expect(unknown, path).toMatchObject({ status: 404, body: { error: { code: 'AP_NOT_FOUND' } } });
    }
  });

  it('answers the documented JSON 404 to another method on a webhook path', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(`${t.url}/webhooks/feishu`, { method });
      expect(response.status, method).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'AP_NOT_FOUND' } });
    }
  });
});

async function gzipOfZeros(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < bytes; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}
