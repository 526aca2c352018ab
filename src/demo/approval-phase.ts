/**
 * The demo's last act: an approval that survives a kill -9. The engine runs in a process of its
 * own (as an operator runs it, `node src/cli/main.ts serve`) against a simulator in the demo's
 * process, so killing the engine keeps the tenant. A P0 bug asks the on-call chat for a hotfix
 * approval; the engine is killed with SIGKILL while the run is parked on it and started again;
 * alice approves on the card, and the run resumes exactly once.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenApiClient } from '../openapi/client.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import { startSimulator, USERS, type RunningSimulator } from '../simulator/index.ts';
import { DEMO_CHATS } from '../simulator/model/lark-seed.ts';
import { freePort, startEngineProcess, type EngineProcess } from './engine-process.ts';

const WEBHOOK_TOKEN = 'demo-webhook-token';
const LARK_TOKEN = 'demo-lark-verification-token';

const RULE = `id: approve-hotfix
description: A P0 bug's hotfix waits for alice's approval in the on-call chat.
on: { event: work_item.created, work_item_type: [issue] }
when:
  all:
    - { fact: work_item, path: fields.priority, operator: equal, value: P0 }
do:
  - name: signoff
    approve:
      to: ${DEMO_CHATS.oncall}
      title: 'Hotfix for {{work_item.name}}?'
      text: 'Raised by {{event.operator | name}}'
      approvers: ['${USERS.alice}']
      timeout: 24h
      timezone: Asia/Shanghai
  - comment: { text: 'Hotfix approved by {{steps.signoff.approver | name}}: go ahead.' }
`;

export interface ApprovalOutcome {
  ok: boolean;
  lines: string[];
}

export async function runApprovalPhase(): Promise<ApprovalOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-demo-approval-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'approve-hotfix.yaml'), RULE);
  const sim = await startSimulator();
  const port = await freePort();
  const env = {
    AUTOPILOT_RULES: join(dir, 'rules'),
    AUTOPILOT_DATA: join(dir, 'data'),
    FEISHU_BASE_URL: sim.baseUrl,
    FEISHU_PLUGIN_ID: sim.credentials.pluginId,
    FEISHU_PLUGIN_SECRET: sim.credentials.pluginSecret,
    FEISHU_USER_KEY: sim.credentials.userKey,
    FEISHU_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    LARK_BASE_URL: sim.baseUrl,
    LARK_APP_ID: sim.credentials.larkAppId,
    LARK_APP_SECRET: sim.credentials.larkAppSecret,
    LARK_VERIFICATION_TOKEN: LARK_TOKEN,
    LOG_LEVEL: 'warn',
  };
  const alice = client(sim, USERS.alice);
  const lines: string[] = [];
  let engine: EngineProcess | undefined;
  try {
    engine = await startEngineProcess(env, port);
    sim.registerWebhook({ url: `${engine.url}/webhooks/feishu`, token: WEBHOOK_TOKEN });
    sim.setCardCallback({ url: `${engine.url}/chat/cards`, verification_token: LARK_TOKEN });
    const created = await alice.call(
      projectCalls.createWorkItem(sim.credentials.simpleName, {
        work_item_type_key: 'issue',
        name: 'Refunds fail for orders over ¥10,000',
        field_value_pairs: [{ field_key: 'priority', field_value: { value: 'P0' } }],
      }),
      { idempotencyKey: randomUUID() },
    );
    if (created.class !== 'ok') throw new Error(`create failed: ${created.errCode} ${created.errMsg}`);
    const bug = Number(created.data);
    const card = await until(
      () => sim.larkMessages().find((m) => m.chat_id === DEMO_CHATS.oncall && m.msg_type === 'interactive'),
      'the approval card in the on-call chat',
    );
    await until(async () => (await parkedRuns(engine as EngineProcess)) === 1 || undefined, 'the parked run');
    lines.push(`✓ alice reports a P0 bug: an Approve / Reject card in the on-call chat, the run parked`);

    await engine.kill9();
    engine = await startEngineProcess(env, port);
    lines.push('✓ the engine is killed with SIGKILL while the run waits, and started again');

    await sim.clickCard({ message_id: card.message_id, button: 'Approve', user: USERS.alice });
    const comments = () =>
      sim.state.comments.filter((c) => Number(c.work_item_id) === bug).map((c) => c.content);
    await until(() => comments().length > 0 || undefined, "the run's comment after the approval");
    const updated = JSON.stringify(sim.larkMessages().find((m) => m.message_id === card.message_id)?.content);
    const approvedOnce = comments().length === 1 && comments()[0] === 'Hotfix approved by alice: go ahead.';
    const cardSays =
      updated.includes('**Approved** by alice at') &&
      updated.includes('Raised by alice') &&
      !updated.includes('Approve"');
    lines.push(
      `${approvedOnce ? '✓' : '✗'} alice approves on the card: the restarted engine resumes the run once (${JSON.stringify(comments())})`,
      `${cardSays ? '✓' : '✗'} the card is updated in place: ${cardSays ? '"Approved by alice at …", raised by alice, no buttons left' : updated}`,
    );
    return { ok: approvedOnce && cardSays, lines };
  } catch (error) {
    lines.push(`✗ the approval phase failed: ${(error as Error).message}`);
    return { ok: false, lines };
  } finally {
    await alice.close();
    await engine?.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function client(sim: RunningSimulator, userKey: string): OpenApiClient {
  const { pluginId, pluginSecret } = sim.credentials;
  return new OpenApiClient({ baseUrl: sim.baseUrl, pluginId, pluginSecret, userKey });
}

async function parkedRuns(engine: EngineProcess): Promise<number> {
  const answer = await fetch(`${engine.url}/healthz`);
  if (!answer.ok) return -1;
  const metrics = await (await fetch(`${engine.url}/metrics`)).text();
  return Number(/^autopilot_runs_parked\s+(\d+)/m.exec(metrics)?.[1] ?? -1);
}

/** Polls until `probe` gives a value; a minute is generous on a loaded machine. */
async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
