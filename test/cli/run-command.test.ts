/**
 * `autopilot run` spawned as a process against a running engine: the run is stored and carried
 * out by the engine; a wrong command line exits 2, the engine's refusal exits 1 with its code.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/plan/idempotency.ts';
import { cli } from '../audit/support-cli.ts';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from '../serve/support/engine-harness.ts';
import { simClient, type SimClient } from '../serve/support/sim-client.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CWD = fileURLToPath(new URL('../../', import.meta.url));

const BY_HAND = `id: comment-by-hand
on: { manual: true }
do:
  - comment: { text: 'by hand ({{event.payload.requested_by}}): {{work_item.name}}' }
`;
const EVENTS_ONLY = `id: events-only
on: { event: work_item.deleted }
do:
  - comment: { text: never }
`;

let t: TestEngine;
let alice: SimClient;
let itemId: string;

function autopilot(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: CWD,
    env: { PATH: process.env.PATH ?? '', AUTOPILOT_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
}

beforeAll(async () => {
  t = await startTestEngine({
    rules: { 'comment-by-hand.yaml': BY_HAND, 'events-only.yaml': EVENTS_ONLY },
  });
  const sim = t.engine.simulator;
  if (!sim) throw new Error('expected the built-in simulator');
  alice = await simClient(sim.baseUrl, sim.credentials.pluginId, sim.credentials.pluginSecret);
  const created = await alice.call('POST', '/open_api/demo/work_item/create', {
    work_item_type_key: 'issue',
    name: 'Export button does nothing',
  });
  itemId = String(created.data);
  await sim.webhooksIdle();
  await t.engine.idle();
});
afterAll(async () => {
  await t?.close();
});

describe('autopilot run', () => {
  it('asks the engine, prints the event and run ids, and the engine runs the rule', async () => {
    const result = await autopilot([
      'run',
      'comment-by-hand',
      '--work-item',
      `demo/issue/${itemId}`,
      '--url',
      t.url,
      '--json',
    ]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.out) as { eventId: string; runId: string; duplicate: boolean };
    expect(answer.eventId).toMatch(/^manual:[0-9a-f-]{36}$/);
    expect(answer.runId).toBe(runId(answer.eventId, 'comment-by-hand'));
    expect(answer.duplicate).toBe(false);
    await t.engine.idle();
    expect((await t.engine.stores.runs.get(answer.runId))?.state).toBe('succeeded');
    const comments = await alice.call('GET', `/open_api/demo/work_item/issue/${itemId}/comments`);
    expect((comments.data as Array<{ content: string }>).map((c) => c.content)).toContain(
      'by hand (cli): Export button does nothing',
    );
  });

  it('finds the engine from PORT without --url, and prints a line to follow the run', async () => {
    const port = new URL(t.url).port;
    const result = await autopilot(['run', 'comment-by-hand', '--work-item', `demo/issue/${itemId}`], {
      PORT: port,
    });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      new RegExp(
        `^stored: event (manual:[0-9a-f-]{36}), run [0-9a-f-]{36} \\(rule comment-by-hand on demo/issue/${itemId}\\)\\nfollow it with: autopilot trace manual:`,
      ),
    );
  });

  it('exits 1 with the engine code when the engine refuses', async () => {
    const refused = await autopilot(['run', 'events-only', '--work-item', 'demo/issue/1', '--url', t.url]);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      "autopilot run: AP_MANUAL_REFUSED: rule 'events-only' has no manual trigger: add manual: true to its on\n",
    );
    const unknown = await autopilot(['run', 'nope', '--work-item', 'demo/issue/1', '--url', t.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe("autopilot run: AP_NOT_FOUND: no rule 'nope' in the running set\n");
    const badToken = await autopilot(
      ['run', 'comment-by-hand', '--work-item', 'demo/issue/1', '--url', t.url],
      {
        AUTOPILOT_ADMIN_TOKEN: 'x'.repeat(40),
      },
    );
    expect(badToken.code).toBe(1);
    expect(badToken.err).toMatch(/^autopilot run: AP_UNAUTHORIZED: /);
  });
});

describe('autopilot run without an engine (in process)', () => {
  const env = { AUTOPILOT_ADMIN_TOKEN: ADMIN_TOKEN };

  it.each([
    [['run'], /usage: autopilot run <rule-id> --work-item/],
    [['run', 'r'], /usage: autopilot run <rule-id> --work-item/],
    [['run', 'r', 's', '--work-item', 'demo/issue/1'], /usage: autopilot run/],
    [['run', 'r', '--work-item', 'demo/1'], /--work-item "demo\/1" is not a work item reference/],
    [['run', 'r', '--work-item', 'demo/issue/x1'], /the id in --work-item "x1" is not a work item id/],
    [['run', 'r', '--work-item', 'demo/issue/1', '--url', 'not a url'], /--url 'not a url' is not a URL/],
    [['run', 'r', '--work-item', 'demo/issue/1', '--bogus'], /Unknown option '--bogus'/],
    [
      ['run', 'r', '--work-item', 'demo/issue/1', '--request-id', 'again'],
      /--request-id 'again' is not a UUID/,
    ],
  ])('%j exits 2 with AP_CLI_USAGE', async (argv, message) => {
    const result = await cli(argv, CWD, env);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toMatch(/^autopilot run: AP_CLI_USAGE: /);
    expect(result.err).toMatch(message);
  });

  it('exits 1 with AP_CONFIG_INVALID without an admin token', async () => {
    const result = await cli(['run', 'r', '--work-item', 'demo/issue/1'], CWD, {});
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^autopilot run: AP_CONFIG_INVALID: AUTOPILOT_ADMIN_TOKEN is not set/);
  });

  it('exits 1 with AP_ENGINE_UNREACHABLE when nothing listens there', async () => {
    const server = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const result = await cli(
      ['run', 'r', '--work-item', 'demo/issue/1', '--url', `http://127.0.0.1:${port}`],
      CWD,
      env,
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      new RegExp(
        `^autopilot run: AP_ENGINE_UNREACHABLE: could not reach the engine at http://127.0.0.1:${port}`,
      ),
    );
  });

  it('--help prints the usage', async () => {
    const result = await cli(['run', '--help'], CWD, env);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/^usage: autopilot run <rule-id> --work-item <project>\/<type>\/<id>/);
  });
});
