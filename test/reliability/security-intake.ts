/**
 * The security corpus's hardening cases (issue #17), against the real engine process: each one
 * a delivery a by-hand probe used to crash, confuse or get past the engine. Every case says
 * what it sent and what came back; the engine must still be up and healthy at the end.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptLarkPayload, larkSignature } from '../../src/ingest/chat/lark-crypto.ts';
import { signStandardWebhook } from '../../src/ingest/http/standard-webhook.ts';
import { createHttpActionCaller } from '../../src/outbound/http-action.ts';
import { DEMO } from '../../src/simulator/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import type { Event } from '../../src/events/event.ts';
import { freePort, rssKb, startEngineProcess } from './support/engine-process.ts';
import { createdWebhook, deliver } from './support/feishu-webhook.ts';
import { expectThat, runsOf, waitUntil, type Row } from './support/figures.ts';
import { createWorld, FIRST_EXTRA_ISSUE, WEBHOOK_TOKEN, type World } from './support/world.ts';

const LARK_TOKEN = 'hardening-lark-verification-token';
const LARK_KEY = 'hardening-lark-encrypt-key';
const HOOK_SECRET = 'hardening-deploys-secret';

const RULES = {
  'needs-item.yaml': `id: needs-item
on:
  event: work_item.created
  work_item_type: [issue]
when:
  all:
    - { fact: work_item, path: fields.priority, operator: equal, value: P0 }
do:
  - comment: { text: 'needs-item {{work_item.name}}' }
`,
  'assigns.yaml': `id: assigns
on:
  event: work_item.created
  work_item_type: [story]
do:
  - assign: { role: operator, users: ['7400000000000000004'], mode: add }
`,
  'echo-comment.yaml': `id: echo-comment
on:
  event: work_item.commented
  work_item_type: [story]
do:
  - comment: { text: 'echo {{change.text}}' }
`,
  'move-command.yaml': `id: move-command
on:
  command: 'move {id} to {state}'
do:
  - transition: { to: '{{command.args.state}}', target: { project: demo, type: issue, id: '{{command.args.id}}' } }
`,
};

/** Work item ids, as JSON text, that no Open API call can carry. */
const BAD_IDS = ['"abc"', '1e21', '1.5', '12345678901234567890123', '"12345678901234567890"', '-5', '0'];

/** Runs every hardening case in one world; returns the counts for the row's "bad inputs". */
export async function runIntakeHardening(row: Row): Promise<string[]> {
  const world = await createWorld({
    rules: RULES,
    extraIssues: 2,
    env: {
      LARK_VERIFICATION_TOKEN: LARK_TOKEN,
      LARK_ENCRYPT_KEY: LARK_KEY,
      AUTOPILOT_WEBHOOK_SECRET_DEPLOYS: HOOK_SECRET,
    },
  });
  const counts: string[] = [];
  try {
    const poisons = await storePoisonEvents(world);
    await world.startEngine();
    counts.push(await poisonEvents(world, row, poisons));
    counts.push(await badWorkItemIds(world, row));
    counts.push(await badChatIds(world, row));
    counts.push(await idsTakenAhead(world, row));
    counts.push(await longIds(world, row));
    counts.push(await bigTemplateValues(world, row));
    counts.push(await larkReplays(world, row));
    await stillHealthy(world, row);
  } finally {
    await world.close();
  }
  counts.push(await simulatorToken(row));
  counts.push(await httpRetryClasses(row));
  return counts;
}

/**
 * `http` action attempts no retry can fix: a header value the client refuses, an `expect` header,
 * a host name that does not resolve. Permanent at once (they were retried ten times), with
 * nothing sent; a temporary DNS failure stays transient.
 */
async function httpRetryClasses(row: Row): Promise<string> {
  const sent: string[] = [];
  const dns =
    (answers: Record<string, string>) =>
    (
      host: string,
      _o: unknown,
      cb: (e: NodeJS.ErrnoException | null, a: Array<{ address: string; family: number }>) => void,
    ) =>
      answers[host]
        ? cb(null, [{ address: answers[host] as string, family: 4 }])
        : cb(
            Object.assign(new Error(host), { code: host.startsWith('flaky') ? 'EAI_AGAIN' : 'ENOTFOUND' }),
            [],
          );
  const caller = createHttpActionCaller({
    allowedHosts: ['hooks.example.com', 'nowhere.example.com', 'flaky.example.com'],
    trustedAddresses: ['127.0.0.1'],
    lookup: dns({ 'hooks.example.com': '127.0.0.1' }),
  });
  const cases: Array<[string, string, Record<string, string>, 'permanent' | 'transient']> = [
    ['header value with CR LF', 'hooks.example.com', { 'x-note': 'a\r\nInjected: yes' }, 'permanent'],
    ['expect header', 'hooks.example.com', { expect: '100-continue' }, 'permanent'],
    ['unresolvable host', 'nowhere.example.com', {}, 'permanent'],
    ['temporary DNS failure', 'flaky.example.com', {}, 'transient'],
  ];
  const wrong: string[] = [];
  try {
    for (const [what, host, headers, expected] of cases) {
      const outcome = await caller.call({
        operation: 'http.request',
        method: 'POST',
        path: `http://${host}:9/hook`,
        headers,
        write: true,
      });
      sent.push(`${what}: ${outcome.class}`);
      if (outcome.class !== expected)
        wrong.push(`${what} → ${outcome.class} (${outcome.errMsg ?? outcome.networkError})`);
    }
  } finally {
    await caller.close();
  }
  row.notes.push(`http action retry classes: ${sent.join(', ')}`);
  expectThat(row, wrong.length === 0, `http retry classes: ${wrong.join('; ')}`);
  return `${cases.length} http retry classes`;
}

/**
 * No Feishu credentials (the built-in simulator) but FEISHU_WEBHOOK_TOKEN set: the simulator's
 * public token is refused, the configured one taken.
 */
async function simulatorToken(row: Row): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-simtoken-'));
  mkdirSync(join(dir, 'rules'));
  const configured = 'hardening-configured-webhook-token';
  const engine = await startEngineProcess(
    {
      AUTOPILOT_RULES: join(dir, 'rules'),
      AUTOPILOT_DATA: join(dir, 'data'),
      FEISHU_WEBHOOK_TOKEN: configured,
    },
    await freePort(),
  );
  try {
    const item = { id: FIRST_EXTRA_ISSUE, type: 'issue' };
    const publicToken = await deliver(
      engine.url,
      createdWebhook('sim-token-public', item, 'sim-webhook-token'),
    );
    const ours = await deliver(engine.url, createdWebhook('sim-token-configured', item, configured));
    row.notes.push(
      `built-in simulator with FEISHU_WEBHOOK_TOKEN set: the public sim-webhook-token answered ${publicToken.status}, the configured token ${ours.status}`,
    );
    expectThat(
      row,
      publicToken.status === 401,
      `the simulator's public token answered ${publicToken.status}`,
    );
    expectThat(row, ours.status === 202, `the configured token answered ${ours.status}`);
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return '2 simulator tokens';
}

/** Events an older version stored without checking their ids, written before the engine starts. */
async function storePoisonEvents(world: World): Promise<Event[]> {
  mkdirSync(world.env.AUTOPILOT_DATA as string, { recursive: true });
  const stores = await openSqliteStores({ path: join(world.env.AUTOPILOT_DATA as string, 'autopilot.db') });
  const events = ['abc', '99999999999999999999', '1.5'].flatMap((id, i): Event[] =>
    ['issue', 'story'].map((typeKey) => ({
      id: `old-poison-${i}-${typeKey}`,
      source: 'feishu',
      type: 'work_item.created',
      occurredAt: Date.now(),
      projectKey: DEMO.projectKey,
      workItem: { id, typeKey },
      payload: { id, work_item_type_key: typeKey },
    })),
  );
  try {
    for (const event of events) await stores.events.append(event, Date.now());
  } finally {
    await stores.close();
  }
  return events;
}

async function poisonEvents(world: World, row: Row, events: Event[]): Promise<string> {
  const processed = await waitUntil(async () => {
    for (const event of events) {
      const trace = await world.admin(`/api/events/${encodeURIComponent(event.id)}/trace`);
      const body = (await trace.json()) as { event?: { processedAt?: number } };
      if (body.event?.processedAt === undefined) return false;
    }
    return true;
  }, 30_000);
  const settled = await waitUntil(
    async () => (await runsOf(world, 'assigns')).filter((r) => r.state === 'dead').length >= 3,
    30_000,
  );
  const dead = await runsOf(world, 'assigns', 'dead');
  row.notes.push(
    `poison events stored by an older version: ${events.length} processed ${processed ? 'all' : 'NOT all'}, ${dead.length} runs dead-lettered (${[...new Set(dead.map((r) => r.lastError?.code))].join(', ')}), engine ${(await alive(world)) ? 'up' : 'DOWN'}`,
  );
  expectThat(row, processed, 'stored poison events were not all processed');
  expectThat(row, settled, 'runs planned from poison events did not dead-letter');
  expectThat(row, await alive(world), 'a stored poison event took the engine down');
  return `${events.length} stored poison events`;
}

async function badWorkItemIds(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  const wrong: string[] = [];
  for (const [i, idJson] of BAD_IDS.entries()) {
    const body = JSON.stringify(
      createdWebhook(`bad-id-${i}`, { id: 1, type: 'issue' }, WEBHOOK_TOKEN),
    ).replace('"id":1,', `"id":${idJson},`);
    const answer = await fetch(`${engine.url}/webhooks/feishu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const code = ((await answer.json()) as { error?: { code?: string } }).error?.code;
    if (answer.status !== 400 || code !== 'AP_ID_INVALID') wrong.push(`${idJson} → ${answer.status} ${code}`);
  }
  // A good event after them is still stored and processed.
  const good = await deliver(
    engine.url,
    createdWebhook('after-bad-ids', { id: FIRST_EXTRA_ISSUE, type: 'issue' }, WEBHOOK_TOKEN),
  );
  row.notes.push(
    `bad work item ids: ${BAD_IDS.length} sent (${BAD_IDS.join(' ')}), ${BAD_IDS.length - wrong.length} answered 400 AP_ID_INVALID; a good event after them ${good.status}`,
  );
  expectThat(row, wrong.length === 0, `bad work item ids not refused: ${wrong.join(', ')}`);
  expectThat(row, good.status === 202, `a good event after the bad ids answered ${good.status}`);
  expectThat(row, await alive(world), 'a bad work item id took the engine down');
  return `${BAD_IDS.length} bad work item ids`;
}

async function badChatIds(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  const ids = ['99999999999999999999', '9223372036854775808', '00042'];
  const wrong: string[] = [];
  for (const [i, id] of ids.entries()) {
    const answer = await postLark(engine.url, chatMessage(`om_bad_${i}`, `move ${id} to resolved`));
    const code = answer.body.error?.code;
    if (answer.status !== 400 || code !== 'AP_ID_INVALID') wrong.push(`${id} → ${answer.status} ${code}`);
  }
  row.notes.push(
    `chat command ids: ${ids.length} sent, ${ids.length - wrong.length} answered 400 AP_ID_INVALID`,
  );
  expectThat(row, wrong.length === 0, `bad chat command ids not refused: ${wrong.join(', ')}`);
  expectThat(row, await alive(world), 'a chat command id took the engine down');
  return `${ids.length} bad chat command ids`;
}

/** Feishu uuids shaped like other sources' ids, posted before those deliveries arrive. */
async function idsTakenAhead(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  const wrong: string[] = [];
  const ahead = ['chat:om_ahead', 'webhook:deploys:msg_ahead', 'poll:ahead', 'schedule:ahead'];
  for (const uuid of ahead) {
    const answer = await postJson(
      engine.url,
      '/webhooks/feishu',
      createdWebhook(uuid, { id: FIRST_EXTRA_ISSUE + 1, type: 'story' }),
    );
    if (answer.body.eventId !== `feishu:${uuid}`) wrong.push(`${uuid} stored as ${answer.body.eventId}`);
  }
  const chat = await postLark(engine.url, chatMessage('om_ahead', 'move 6437110004 to open'));
  if (chat.body.eventId !== 'chat:om_ahead' || chat.body.duplicate)
    wrong.push(`chat → ${JSON.stringify(chat.body)}`);
  const hook = await signedDeploy(engine.url, 'msg_ahead');
  if (hook.body.eventId !== 'webhook:deploys:msg_ahead' || hook.body.duplicate !== false)
    wrong.push(`webhook → ${JSON.stringify(hook.body)}`);
  const again = await postJson(
    engine.url,
    '/webhooks/feishu',
    createdWebhook('chat:om_ahead', { id: FIRST_EXTRA_ISSUE + 1, type: 'story' }),
  );
  if (again.body.duplicate !== true) wrong.push('a Feishu redelivery was not a duplicate');
  row.notes.push(
    `ids taken ahead: ${ahead.length} Feishu uuids shaped like chat, webhook, poll and schedule ids; the later chat message and webhook ${wrong.length === 0 ? 'stored as new' : 'SUPPRESSED'}; the Feishu redelivery a duplicate`,
  );
  expectThat(row, wrong.length === 0, `ids taken ahead: ${wrong.join('; ')}`);
  return `${ahead.length + 3} ids taken ahead`;
}

/**
 * Delivery ids of 150 KB ending in a template (they grew the heap by ~4.8 MB each), and ids just
 * over the cap on every route: all 400 AP_ID_INVALID, the engine's memory flat.
 */
async function longIds(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  const rssBefore = rssKb(engine.pid);
  const wrong: string[] = [];
  const huge = 20;
  for (let i = 0; i < huge; i += 1) {
    const uuid = `${String(i).padStart(4, '0')}${'x'.repeat(150 * 1024)}{{rule.id}}`;
    const body = createdWebhook(uuid, { id: FIRST_EXTRA_ISSUE, type: 'issue' });
    body.payload.name = 'long id';
    const answer = await postJson(engine.url, '/webhooks/feishu', body);
    if (answer.status !== 400 || answer.body.error?.code !== 'AP_ID_INVALID')
      wrong.push(`150 KB uuid → ${answer.status}`);
  }
  const over = 'y'.repeat(257);
  const feishu = await postJson(
    engine.url,
    '/webhooks/feishu',
    createdWebhook(over, { id: FIRST_EXTRA_ISSUE, type: 'issue' }),
  );
  const hook = await signedDeploy(engine.url, over);
  const chat = await postLark(engine.url, chatMessage(over, 'move 6437110004 to open'));
  for (const [what, answer] of [
    ['uuid', feishu],
    ['webhook-id', hook],
    ['message_id', chat],
  ] as const) {
    if (answer.status !== 400 || answer.body.error?.code !== 'AP_ID_INVALID')
      wrong.push(`257-char ${what} → ${answer.status}`);
  }
  const rssAfter = rssKb(engine.pid);
  row.notes.push(
    `long ids: ${huge} uuids of 150 KB ending in {{rule.id}} and a 257-character uuid, webhook-id and message_id: ${huge + 3 - wrong.length} answered 400 AP_ID_INVALID; engine RSS ${rssBefore} → ${rssAfter} KiB`,
  );
  expectThat(row, wrong.length === 0, `long ids: ${wrong.join('; ')}`);
  expectThat(
    row,
    rssAfter - rssBefore < 64 * 1024,
    `long ids grew the engine's RSS by ${rssAfter - rssBefore} KiB`,
  );
  return `${huge + 3} over-long ids`;
}

/**
 * Comments of 150 KB ending in `{{rule.id}}`, echoed by a rule: every run renders the value, and
 * the parse cache must not keep it (the cache it replaced held ~4.8 MB per value).
 */
async function bigTemplateValues(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  const count = 20;
  const rssBefore = rssKb(engine.pid);
  for (let i = 0; i < count; i += 1) {
    const body = createdWebhook(`big-value-${i}`, { id: FIRST_EXTRA_ISSUE + 1, type: 'story' });
    body.header.event_type = 'WorkitemCommentEvent';
    Object.assign(body.payload, {
      name: 'big value',
      comment: { id: 9000 + i, content: `${i}${'v'.repeat(150 * 1024)}{{rule.id}}` },
    });
    const answer = await postJson(engine.url, '/webhooks/feishu', body);
    expectThat(row, answer.status === 202, `a 150 KB comment answered ${answer.status}`);
  }
  const settled = await waitUntil(async () => {
    const runs = await runsOf(world, 'echo-comment');
    return runs.length === count && runs.every((r) => r.state === 'succeeded' || r.state === 'dead');
  }, 60_000);
  const rssAfter = rssKb(engine.pid);
  row.notes.push(
    `big values as templates: ${count} comments of 150 KB ending in {{rule.id}} echoed by a rule, runs ${settled ? 'finished' : 'NOT finished'}; engine RSS ${rssBefore} → ${rssAfter} KiB`,
  );
  expectThat(row, settled, 'the runs echoing 150 KB comments did not finish');
  expectThat(
    row,
    rssAfter - rssBefore < 100 * 1024,
    `150 KB values grew the engine's RSS by ${rssAfter - rssBefore} KiB`,
  );
  return `${count} big template values`;
}

interface JsonAnswer {
  status: number;
  body: { eventId?: string; duplicate?: boolean; error?: { code?: string } };
}

async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const answer = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: answer.status, body: (await answer.json()) as JsonAnswer['body'] };
}

function signedDeploy(baseUrl: string, id: string): Promise<JsonAnswer> {
  const body = JSON.stringify({ version: '1.0' });
  const at = Math.floor(Date.now() / 1000);
  return postJson(baseUrl, '/webhooks/deploys', body, {
    'webhook-id': id,
    'webhook-timestamp': String(at),
    'webhook-signature': signStandardWebhook(id, at, body, HOOK_SECRET),
  });
}

/** What Lark sends with an encrypt key: encrypted, signed at `at` (seconds), unless told otherwise. */
function postLark(
  baseUrl: string,
  message: unknown,
  options: { encrypt?: boolean; sign?: false | { at: number; key?: string } } = {},
): Promise<JsonAnswer> {
  const text = JSON.stringify(
    options.encrypt === false ? message : { encrypt: encryptLarkPayload(JSON.stringify(message), LARK_KEY) },
  );
  const sign = options.sign ?? { at: Math.floor(Date.now() / 1000) };
  const headers: Record<string, string> = {};
  if (sign) {
    const timestamp = String(sign.at);
    headers['x-lark-request-timestamp'] = timestamp;
    headers['x-lark-request-nonce'] = 'n-1';
    headers['x-lark-signature'] = larkSignature(
      { timestamp, nonce: 'n-1', body: Buffer.from(text) },
      sign.key ?? LARK_KEY,
    );
  }
  return postJson(baseUrl, '/chat/events', text, headers);
}

/**
 * With LARK_ENCRYPT_KEY set: a plaintext body, no signature, a wrong one, a stale timestamp, and
 * the stale delivery sent again without its headers are all 401 and store nothing; a fresh,
 * signed, encrypted delivery is stored.
 */
async function larkReplays(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, string, Parameters<typeof postLark>[2]]> = [
    ['plaintext, signed', 'om_replay_1', { encrypt: false }],
    ['plaintext, unsigned', 'om_replay_2', { encrypt: false, sign: false }],
    ['encrypted, unsigned', 'om_replay_3', { sign: false }],
    ['encrypted, wrong signature', 'om_replay_4', { sign: { at: now, key: 'not-the-key' } }],
    ['encrypted, 10 minutes old', 'om_replay_5', { sign: { at: now - 600 } }],
    ['the same again without headers', 'om_replay_5', { sign: false }],
    ['encrypted, 10 minutes ahead', 'om_replay_6', { sign: { at: now + 600 } }],
  ];
  const wrong: string[] = [];
  for (const [what, messageId, options] of cases) {
    const answer = await postLark(engine.url, chatMessage(messageId, 'move 6437110004 to open'), options);
    if (answer.status !== 401) wrong.push(`${what} → ${answer.status}`);
  }
  for (const id of new Set(cases.map(([, messageId]) => messageId))) {
    const trace = await world.admin(`/api/events/chat:${id}/trace`);
    if (trace.status !== 404) wrong.push(`chat:${id} was stored`);
  }
  const good = await postLark(engine.url, chatMessage('om_replay_ok', 'move 6437110004 to open'));
  if (good.status !== 200 || good.body.eventId !== 'chat:om_replay_ok')
    wrong.push(`a fresh signed delivery → ${good.status}`);
  row.notes.push(
    `Lark with an encrypt key: ${cases.length} plaintext, unsigned, mis-signed, stale or replayed deliveries, ${cases.length - wrong.filter((w) => w.includes('→')).length} answered 401, none stored; a fresh signed one ${good.status}`,
  );
  expectThat(row, wrong.length === 0, `Lark deliveries: ${wrong.join('; ')}`);
  return `${cases.length} Lark replays`;
}

function chatMessage(messageId: string, text: string): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: `ev_${messageId}`, token: LARK_TOKEN, event_type: 'im.message.receive_v1' },
    event: {
      sender: { sender_id: { user_id: 'alice' }, sender_type: 'user' },
      message: {
        message_id: messageId,
        chat_id: 'oc_team',
        chat_type: 'group',
        message_type: 'text',
        content: JSON.stringify({ text }),
      },
    },
  };
}

async function alive(world: World): Promise<boolean> {
  const engine = world.engine;
  if (!engine) return false;
  const gone = await Promise.race([engine.exited, Promise.resolve(undefined)]);
  if (gone !== undefined) return false;
  try {
    return (await fetch(`${engine.url}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** After every case the process is the one that started, and ready. */
async function stillHealthy(world: World, row: Row): Promise<void> {
  const engine = world.engine as NonNullable<World['engine']>;
  const ready = await fetch(`${engine.url}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  row.notes.push(
    `after the hardening cases: engine pid ${engine.pid} ${(await alive(world)) ? 'up' : 'DOWN'}, /readyz ${ready}`,
  );
  expectThat(row, ready === 200, `/readyz answered ${ready} after the hardening cases`);
}
