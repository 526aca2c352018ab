/**
 * Fuzzing: malformed requests generated with fast-check against every route of the running
 * engine, and generated rule files through `autopilot check`. The engine must answer each
 * request with a documented status (never a 5xx, never a dropped connection) and stay up; check
 * must never crash and must point every problem at file:line:column; and nothing may have
 * touched Object.prototype.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { runCli } from '../../src/cli/run-cli.ts';
import { createdWebhook } from './support/feishu-webhook.ts';
import { expectThat, newRow, type Row } from './support/figures.ts';
import { lastError, send, type RawRequest } from './support/raw-http.ts';
import { ADMIN_TOKEN, createWorld, WEBHOOK_TOKEN } from './support/world.ts';

export interface FuzzOptions {
  requestsPerRoute: number;
  ruleFiles: number;
}

const ALLOWED = new Set([400, 401, 404, 413, 415]);
const HOOK_SECRET = 'fuzz-hook-secret';
const RULE = `id: fuzz-rule
on:
  event: work_item.created
do:
  - comment: { text: "fuzz {{event.id}}" }
`;
const HOOK_RULE = `id: fuzz-hook
on:
  event: webhook.orders
do:
  - api: { operation: user.query, body: { user_keys: ["{{event.id}}"] } }
`;

export async function runFuzzRequests(options: FuzzOptions): Promise<Row> {
  const row = newRow('fuzzing: HTTP routes', 'sequential, 16 concurrent', '—');
  const world = await createWorld({
    rules: { 'fuzz-rule.yaml': RULE, 'fuzz-hook.yaml': HOOK_RULE },
    env: { AUTOPILOT_WEBHOOK_SECRET_ORDERS: HOOK_SECRET },
  });
  try {
    const engine = await world.startEngine();
    let crashed = false;
    void engine.exited.then(() => (crashed = true));
    const routes: Array<[string, fc.Arbitrary<RawRequest>]> = [
      ['/webhooks/feishu', feishuRequest()],
      ['/webhooks/:name', genericRequest()],
      ['/api/*', adminRequest()],
    ];
    if ((await send(engine.url, jsonPost('/chat/events', {}))) !== 404)
      routes.push(['/chat/events', chatRequest()]);
    else row.notes.push('/chat/events is not mounted in this build: not fuzzed');
    const tally = new Map<number, number>();
    let total = 0;
    for (const [route, arbitrary] of routes) {
      const samples = fc.sample(arbitrary, { numRuns: options.requestsPerRoute });
      const bad: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < samples.length) {
            const sample = samples[next++] as RawRequest;
            const status = await send(engine.url, sample);
            tally.set(status, (tally.get(status) ?? 0) + 1);
            if (!(status >= 200 && status < 300) && !ALLOWED.has(status)) {
              bad.push(
                `${status} for ${sample.method} ${sample.path} ${JSON.stringify(sample.headers).slice(0, 200)} body ${JSON.stringify(sample.body?.toString('latin1').slice(0, 200))}`,
              );
            }
          }
        }),
      );
      total += samples.length;
      expectThat(
        row,
        bad.length === 0,
        `${route}: ${bad.length} answers outside 2xx/400/401/404/413/415: ${bad.slice(0, 3).join(' | ')}`,
      );
      expectThat(
        row,
        !crashed && (await send(engine.url, { method: 'GET', path: '/healthz', headers: {} })) === 200,
        `${route}: engine down after fuzzing`,
      );
    }
    row.badInputs = `${total} requests (${options.requestsPerRoute} per route × ${routes.length} routes)`;
    row.notes.push(
      `answers: ${[...tally]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s} × ${n}`)
        .join(', ')}`,
    );
    const fiveXx = [...tally].filter(([s]) => s >= 500 || s === 0).reduce((a, [, n]) => a + n, 0);
    row.notes.push(`5xx or dropped: ${fiveXx}; engine crashes: ${crashed ? 1 : 0}`);
    // A fuzzed webhook id sent as a user key is refused by the API (30006) and its run
    // dead-lettered with an error line, as documented; any other error line is a defect.
    const expectedDeadLetter = (line: string) =>
      line.includes('"ruleId":"fuzz-hook"') && line.includes('"errCode":30006');
    const errors = engine
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line) && !expectedDeadLetter(line));
    if (errors.length > 0)
      row.failures.push(`${errors.length} error logs, e.g. ${errors[0]?.slice(0, 1500)}`);
    if (lastError) row.notes.push(`last connection error: ${lastError.message}`);
  } finally {
    await world.close();
  }
  return row;
}

function jsonPost(path: string, body: unknown, headers: Record<string, string> = {}): RawRequest {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/merge-patch+json',
    '',
  ),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
);

const encodedBody = (raw: fc.Arbitrary<Buffer>) =>
  fc
    .tuple(
      raw,
      fc.constantFrom('none', 'none', 'none', 'gzip', 'deflate', 'br-garbage', 'gzip-garbage', 'bogus'),
    )
    .map(([body, encoding]): { body: Buffer; headers: Record<string, string> } => {
      switch (encoding) {
        case 'gzip':
          return { body: gzipSync(body), headers: { 'content-encoding': 'gzip' } };
        case 'deflate':
          return { body: deflateSync(body), headers: { 'content-encoding': 'deflate' } };
        case 'br-garbage':
          return { body, headers: { 'content-encoding': 'br' } };
        case 'gzip-garbage':
          return { body, headers: { 'content-encoding': 'gzip' } };
        case 'bogus':
          return { body, headers: { 'content-encoding': 'x-compress, gzip' } };
        default:
          return { body, headers: {} };
      }
    });

/** JSON-ish values with the keys that prototype pollution tries. */
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'header', 'payload', 'id'),
      tie('value'),
      { maxKeys: 4 },
    ),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
})).value;

/** Feishu-shaped bodies with every part wrong in turn, plus plain garbage. */
const feishuBody = fc.oneof(
  fc
    .record(
      {
        header: fc.record(
          {
            token: fc.oneof(fc.constant(WEBHOOK_TOKEN), fc.string(), fc.integer(), fc.constant(null)),
            uuid: fc.oneof(
              fc.uuid(),
              fc.string(),
              fc.integer(),
              fc.constant(''),
              fc.string({ minLength: 300, maxLength: 2000 }),
            ),
            event_type: fc.oneof(
              fc.constantFrom('WorkitemCreateEvent', 'WorkitemUpdateEvent', 'WorkflowNodeEvent', 'Nope'),
              fc.string(),
            ),
            operator: fc.oneof(fc.string(), fc.integer()),
          },
          { requiredKeys: [] },
        ),
        payload: hostileJson,
      },
      { requiredKeys: [] },
    )
    .map((v) => Buffer.from(JSON.stringify(v))),
  fc
    .constant(null)
    .map(() =>
      Buffer.from(
        JSON.stringify(createdWebhook(`fuzz-valid-${Math.random()}`, { id: 6437110004, type: 'issue' })),
      ),
    ),
  hostileJson.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 500 }).map((s) => Buffer.from(s)),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  fc.constant(
    Buffer.from(
      `{"header":{"token":"${WEBHOOK_TOKEN}","uuid":"x"},"payload":{"id":1e400,"n":123456789012345678901234567890}}`,
    ),
  ),
  fc.integer({ min: 200_000, max: 400_000 }).map((n) => Buffer.from(`{"pad":"${'x'.repeat(n)}"}`)),
);

function feishuRequest(): fc.Arbitrary<RawRequest> {
  return fc
    .tuple(
      fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
      contentType,
      encodedBody(feishuBody),
      fc.boolean(),
    )
    .map(([method, type, { body, headers }, withTokenHeader]) => ({
      method,
      path: '/webhooks/feishu',
      headers: {
        ...(type ? { 'content-type': type } : {}),
        ...headers,
        ...(withTokenHeader ? { 'x-feishu-token': WEBHOOK_TOKEN } : {}),
      },
      body,
    }));
}

function genericRequest(): fc.Arbitrary<RawRequest> {
  const name = fc.oneof(
    fc.constant('orders'),
    fc.constantFrom('unknown', '__proto__', 'constructor', 'toString', '%2e%2e', 'ORDERS'),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  );
  const signature = fc.constantFrom('valid', 'valid', 'stale', 'wrong', 'missing', 'garbage');
  return fc
    .tuple(name, contentType, feishuBody, signature, fc.string({ maxLength: 40 }))
    .map(([hook, type, body, how, id]) => {
      const now = Math.floor(Date.now() / 1000);
      const timestamp = how === 'stale' ? now - 3600 : now;
      const webhookId = id.replace(/[^\x21-\x7e]/g, '') || 'msg';
      const sig = createHmac('sha256', HOOK_SECRET)
        .update(`${webhookId}.${timestamp}.`)
        .update(body)
        .digest('base64');
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      if (how !== 'missing') {
        headers['webhook-id'] = webhookId;
        headers['webhook-timestamp'] = how === 'garbage' ? 'soon' : String(timestamp);
        headers['webhook-signature'] =
          how === 'wrong' ? 'v1,AAAA' : how === 'garbage' ? ',,, v2' : `v1,${sig}`;
      }
      return { method: 'POST', path: `/webhooks/${hook}`, headers, body };
    });
}

function chatRequest(): fc.Arbitrary<RawRequest> {
  return fc.tuple(contentType, encodedBody(feishuBody)).map(([type, { body, headers }]) => ({
    method: 'POST',
    path: '/chat/events',
    headers: { ...(type ? { 'content-type': type } : {}), ...headers },
    body,
  }));
}

function adminRequest(): fc.Arbitrary<RawRequest> {
  const segment = fc.oneof(
    fc.constantFrom(
      'rules',
      'runs',
      'dead-letters',
      'events',
      'breakers',
      'reload',
      'trace',
      'retry',
      '..',
      '%2e%2e',
      '__proto__',
    ),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc.constantFrom(
      '?state=dead',
      '?state=bogus',
      '?limit=-1',
      '?limit=1e9',
      '?limit=abc',
      '?rule=x&state=queued',
      '?state[]=dead',
      '?state=__proto__',
    ),
    fc.string({ maxLength: 30 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
  );
  const auth = fc.constantFrom('none', 'good', 'good', 'good', 'wrong', 'basic', 'lower', 'empty');
  return fc
    .tuple(
      fc.constantFrom('GET', 'GET', 'POST', 'DELETE', 'PUT'),
      fc.array(segment, { minLength: 0, maxLength: 4 }),
      query,
      auth,
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([method, segments, q, how, body]) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (how === 'good') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
      if (how === 'wrong') headers.authorization = `Bearer ${ADMIN_TOKEN}x`;
      if (how === 'basic')
        headers.authorization = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`;
      if (how === 'lower') headers.authorization = `bearer ${ADMIN_TOKEN}`;
      if (how === 'empty') headers.authorization = 'Bearer ';
      const path = `/api/${segments.join('/')}${q}`;
      // Reloads re-read the rules dir; keep them to a fraction so the run stays short.
      const safePath = path === '/api/reload' && Math.random() < 0.9 ? '/api/rules' : path;
      return {
        method,
        path: safePath,
        headers,
        body: method === 'GET' ? undefined : Buffer.from(JSON.stringify(body) ?? ''),
      };
    });
}

/** Generated rule files through `autopilot check --json`, in batches of 100 per directory. */
export async function runFuzzRuleFiles(options: FuzzOptions): Promise<Row> {
  const row = newRow(
    'fuzzing: rule files',
    'autopilot check, in batches of 100',
    '—',
    `${options.ruleFiles} generated rule files`,
  );
  const before = prototypeSnapshot();
  const dir = join(tmpdir(), `autopilot-fuzz-rules-${process.pid}`);
  const samples = fc.sample(ruleText(), { numRuns: options.ruleFiles });
  let crashes = 0;
  let withoutPosition = 0;
  let diagnostics = 0;
  let valid = 0;
  try {
    for (let start = 0; start < samples.length; start += 100) {
      const batch = join(dir, String(start));
      mkdirSync(batch, { recursive: true });
      samples.slice(start, start + 100).forEach((text, i) => writeFileSync(join(batch, `r${i}.yaml`), text));
      const out = new PassThrough();
      const err = new PassThrough();
      const chunks: Buffer[] = [];
      const errChunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      err.on('data', (c: Buffer) => errChunks.push(c));
      const code = await runCli(['check', batch, '--json'], { stdout: out, stderr: err, env: {}, cwd: dir });
      if (code !== 0 && code !== 1) {
        crashes += 1;
        row.failures.push(`check exited ${code}: ${Buffer.concat(errChunks).toString().slice(0, 500)}`);
        continue;
      }
      const report = JSON.parse(Buffer.concat(chunks).toString()) as {
        rules: string[];
        diagnostics: Array<{ file: string; line: number; column: number; message: string }>;
      };
      valid += report.rules.length;
      for (const d of report.diagnostics) {
        diagnostics += 1;
        const positioned =
          d.file.startsWith(batch) &&
          Number.isInteger(d.line) &&
          d.line >= 1 &&
          Number.isInteger(d.column) &&
          d.column >= 1;
        if (!positioned) {
          withoutPosition += 1;
          if (withoutPosition <= 3)
            row.failures.push(`diagnostic without file:line:column: ${JSON.stringify(d).slice(0, 300)}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const after = prototypeSnapshot();
  row.notes.push(
    `${valid} files valid, ${diagnostics} diagnostics, ${withoutPosition} without file:line:column, ${crashes} crashes`,
  );
  expectThat(row, crashes === 0, `${crashes} check crashes`);
  expectThat(row, withoutPosition === 0, `${withoutPosition} diagnostics without a position`);
  expectThat(row, before === after, `Object.prototype changed: ${after}`);
  return row;
}

/** Names and descriptors of Object.prototype, to see that nothing was added or replaced. */
export function prototypeSnapshot(): string {
  const probe = {} as Record<string, unknown>;
  return JSON.stringify([
    Object.getOwnPropertyNames(Object.prototype).sort(),
    Object.getOwnPropertyNames(Object.prototype).map(
      (n) => typeof Object.getOwnPropertyDescriptor(Object.prototype, n)?.value,
    ),
    probe.polluted,
    probe.isAdmin,
  ]);
}

function ruleText(): fc.Arbitrary<string> {
  const key = fc.constantFrom(
    'id',
    'on',
    'when',
    'do',
    'event',
    'all',
    'any',
    'not',
    'fact',
    'path',
    'operator',
    'value',
    'comment',
    'text',
    'transition',
    'to',
    'mode',
    'enabled',
    'poll',
    'schedule',
    'command',
    'every',
    'cron',
    '__proto__',
    'constructor',
    'retry',
    'allow_self',
    'http',
    'url',
  );
  const scalar = fc.oneof(
    fc.constantFrom(
      'work_item.created',
      'equal',
      'matches',
      '(a+)+$',
      '{{event.id}}',
      '{{__proto__.x}}',
      '{{constructor.prototype}}',
      '{{',
      '}}',
      '5m',
      '0 9 * * 1-5',
      'live',
      'shadow',
      'true',
      '~',
      '&a',
      '*a',
      '!!js/function',
      '<<',
    ),
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
  );
  const tree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.dictionary(key, tie('node'), { maxKeys: 5 }),
      fc.array(tie('node'), { maxLength: 4 }),
    ),
  })).node;
  const yamlish = (value: unknown, indent = ''): string => {
    if (Array.isArray(value))
      return value.map((v) => `\n${indent}- ${yamlish(v, `${indent}  `)}`).join('') || '[]';
    if (value && typeof value === 'object') {
      return (
        Object.entries(value)
          .map(([k, v]) => `\n${indent}${k}: ${yamlish(v, `${indent}  `)}`)
          .join('') || '{}'
      );
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  const valid = `id: ok\non:\n  event: work_item.created\ndo:\n  - comment: { text: "hi {{event.id}}" }\n`;
  return fc.oneof(
    tree.map((t) => yamlish(t).trimStart()),
    tree.map((t) => JSON.stringify(t) ?? ''),
    fc
      .tuple(fc.nat(valid.length), fc.nat(valid.length), fc.string({ maxLength: 10 }))
      .map(([a, b, s]) => valid.slice(0, Math.min(a, b)) + s + valid.slice(Math.max(a, b))),
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')),
    fc.constantFrom(
      'a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n',
      `id: x\non: { event: work_item.created }\nwhen: ${'{all: ['.repeat(200)}${']}'.repeat(200)}\ndo: []\n`,
      'id: x\nid: y\n',
      '\uFEFFid: bom\n\ton: tab',
      '--- \n...\n---\nid: two-docs\n',
    ),
  );
}
