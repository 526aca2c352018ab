/**
 * #12.8 / #17.10 through the front door: `{{secrets.NAME}}` from AUTOPILOT_SECRET_<NAME> reaches
 * the http target, and nothing the engine keeps or shows holds the value: the SQLite file, the
 * admin API (runs, dead letters, traces), the audit and the log. A server that echoes the header
 * back, in a step result or in the error of a dead letter, is shown as `***`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpActionCaller, type HttpActionCaller } from '../../src/outbound/http-action.ts';
import type { RunRecord } from '../../src/store/ports.ts';
import { autopilot } from '../examples/run-autopilot.ts';
import { admin } from './support/admin.ts';
import { postDeploy } from './support/deploys.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';

const CANARY = 'canary-value-4f8a2d1c';
const DEPLOY_SECRET = 'deploy-webhook-secret-for-tests';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers `/ok` with the Authorization header it got, `/reject` with a 400 that quotes it. */
function echoingTarget(): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const auth = req.headers.authorization ?? '';
      if (req.url === '/ok') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ received: auth }));
      } else {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`refused credentials ${auth}`);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, seen }),
    ),
  );
}

function notifyRule(id: string, path: string, kind: string, port: number, secret = 'X'): string {
  return `id: ${id}
on:
  event: webhook.deploys
when:
  all:
    - { fact: event, path: payload.kind, operator: equal, value: ${kind} }
do:
  - http:
      url: 'http://127.0.0.1:${port}${path}'
      method: POST
      headers: { Authorization: 'Bearer {{secrets.${secret}}}' }
      body: { version: '{{event.payload.version}}', key: '{{secrets.${secret.toLowerCase()}}}' }
`;
}

let target: Awaited<ReturnType<typeof echoingTarget>>;
let http: HttpActionCaller;
let t: TestEngine;

beforeAll(async () => {
  target = await echoingTarget();
  http = createHttpActionCaller({ allowedHosts: ['127.0.0.1'], trustedAddresses: ['127.0.0.1'] });
  t = await startTestEngine({
    rules: {
      'notify-ok.yaml': notifyRule('notify-ok', '/ok', 'ok', target.port),
      'notify-reject.yaml': notifyRule('notify-reject', '/reject', 'reject', target.port),
      'notify-unset.yaml': notifyRule('notify-unset', '/unset', 'unset', target.port, 'NOT_SET'),
    },
    env: {
      LOG_LEVEL: 'trace',
      AUTOPILOT_SECRET_X: CANARY,
      AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: DEPLOY_SECRET,
    },
    httpCaller: http,
  });
  expect((await postDeploy(t.url, DEPLOY_SECRET, 'deploy-ok', { kind: 'ok', version: '1.0' })).status).toBe(
    202,
  );
  await postDeploy(t.url, DEPLOY_SECRET, 'deploy-reject', { kind: 'reject', version: '1.1' });
  await postDeploy(t.url, DEPLOY_SECRET, 'deploy-unset', { kind: 'unset', version: '1.2' });
  await eventually(async () => {
    const runs = await t.engine.stores.runs.list({ limit: 10 });
    return runs.length === 3 && runs.every((r) => r.state === 'succeeded' || r.state === 'dead');
  }, 'both runs to end');
  await t.engine.idle();
}, 60_000);

afterAll(async () => {
  await t?.close();
  await http?.close();
  await new Promise((done) => target?.server.close(done));
});

async function runs(): Promise<RunRecord[]> {
  return (await admin(t.url, 'GET', '/api/runs')).body as RunRecord[];
}

describe('secrets in rules', () => {
  it('the target receives the real value, in the header and the body', () => {
    const ok = target.seen.find((s) => s.url === '/ok');
    expect(ok?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(JSON.parse(ok?.body ?? '{}')).toEqual({ version: '1.0', key: CANARY });
    expect(target.seen.find((s) => s.url === '/reject')?.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it('/api/runs keeps the template, the echoed step result and the dead letter show ***', async () => {
    const all = await runs();
    const ok = all.find((r) => r.run.ruleId === 'notify-ok');
    const rejected = all.find((r) => r.run.ruleId === 'notify-reject');
    expect(ok?.state).toBe('succeeded');
    expect(ok?.run.actions[0]?.params).toMatchObject({ headers: { Authorization: 'Bearer {{secrets.X}}' } });
    expect(ok?.results[0]?.data).toEqual({ received: 'Bearer ***' });
    expect(rejected?.state).toBe('dead');
    expect(rejected?.lastError).toMatchObject({ httpStatus: 400, errMsg: 'refused credentials Bearer ***' });
    const dead = await admin(t.url, 'GET', '/api/dead-letters');
    expect(dead.text).toContain('refused credentials Bearer ***');
    expect(dead.text).not.toContain(CANARY);
  });

  it('no canary in the SQLite file, the admin API, the audit or the log', async () => {
    const texts: string[] = [];
    for (const path of ['/api/runs', '/api/dead-letters', '/api/rules']) {
      texts.push((await admin(t.url, 'GET', path)).text);
    }
    for (const record of await runs()) {
      texts.push(
        (await admin(t.url, 'GET', `/api/events/${encodeURIComponent(record.run.eventId)}/trace`)).text,
      );
    }
    const audit = await t.engine.stores.audit.query({ limit: 1000 });
    expect(audit.some((r) => r.kind === 'action.attempted')).toBe(true);
    texts.push(JSON.stringify(audit));
    texts.push(...t.rawLogs);
    const db = join(t.dir, 'data', 'autopilot.db');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      if (existsSync(file)) texts.push(readFileSync(file).toString('latin1'));
    }
    expect(texts.filter((text) => text.includes(CANARY))).toEqual([]);
    // The file was really read: the runs table holds the template.
    const sqlite = new DatabaseSync(db, { readOnly: true });
    const rows = sqlite.prepare('SELECT * FROM runs').all();
    sqlite.close();
    expect(JSON.stringify(rows)).toContain('{{secrets.X}}');
  });
});

describe('a secret that is not set', () => {
  it('is logged with its place when the rules load, and the rule still loads beside the others', () => {
    const line = t.logs.find((l) => l.code === 'AP_SECRET_UNKNOWN');
    expect(line?.level).toBe(40);
    expect(line?.diagnostics).toEqual([
      expect.stringMatching(
        /notify-unset\.yaml:11:41: \{\{secrets\.NOT_SET\}\}: no secret 'NOT_SET' is set \(set AUTOPILOT_SECRET_NOT_SET or AUTOPILOT_SECRET_NOT_SET_FILE\)$/,
      ),
      expect.stringMatching(/notify-unset\.yaml:12:59: /),
    ]);
    expect(t.engine.rules.current.rules.map((r) => r.id).sort()).toEqual([
      'notify-ok',
      'notify-reject',
      'notify-unset',
    ]);
  });

  it('dead-letters the step with AP_SECRET_UNKNOWN before anything is sent', async () => {
    const unset = (await runs()).find((r) => r.run.ruleId === 'notify-unset');
    expect(unset?.state).toBe('dead');
    expect(unset?.lastError).toEqual({
      code: 'AP_SECRET_UNKNOWN',
      message: "no secret 'NOT_SET' is set (set AUTOPILOT_SECRET_NOT_SET or AUTOPILOT_SECRET_NOT_SET_FILE)",
    });
    expect(target.seen.map((s) => s.url)).not.toContain('/unset');
  });
});

describe('secrets before they are used', () => {
  it('autopilot test shows *** where a secret goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-secrets-'));
    try {
      writeFileSync(join(dir, 'notify-ok.yaml'), notifyRule('notify-ok', '/ok', 'ok', 9));
      const event = {
        id: 'e1',
        source: 'webhook',
        type: 'webhook.deploys',
        occurredAt: 0,
        payload: { kind: 'ok', version: '2' },
      };
      writeFileSync(join(dir, 'event.json'), JSON.stringify(event));
      const { code, stdout } = await autopilot(
        ['test', '--event', 'event.json', '--rules', '.', '--json'],
        dir,
      );
      expect(code).toBe(0);
      expect(stdout).toContain('Bearer ***');
      expect(stdout).not.toContain(CANARY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a secret in a comment is refused at file:line:column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-secrets-'));
    try {
      writeFileSync(
        join(dir, 'leaky.yaml'),
        'id: leaky\non: { event: work_item.created }\ndo:\n  - comment: { text: "key {{secrets.X}}" }\n',
      );
      const { code, stderr } = await autopilot(['check', 'leaky.yaml'], dir);
      expect(code).toBe(1);
      expect(stderr).toContain(
        'leaky.yaml:4:27: invalid template: {{secrets.X}}: secrets may be read only in http headers and body and in api body',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check --secrets reports a secret the environment does not set, with its code and place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-secrets-'));
    try {
      writeFileSync(join(dir, 'notify-ok.yaml'), notifyRule('notify-ok', '/ok', 'ok', 9));
      const { code, stdout } = await autopilot(['check', '.', '--secrets', '--json'], dir);
      expect(code).toBe(1);
      const result = JSON.parse(stdout) as {
        diagnostics: { code: string; line: number; column: number; message: string }[];
      };
      expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual([
        '11:41 AP_SECRET_UNKNOWN',
        '12:59 AP_SECRET_UNKNOWN',
      ]);
      expect(result.diagnostics[0]?.message).toBe(
        "{{secrets.X}}: no secret 'X' is set (set AUTOPILOT_SECRET_X or AUTOPILOT_SECRET_X_FILE)",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
