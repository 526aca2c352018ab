/**
 * The `message` action through the front door: the engine on its built-in simulator, a person
 * creating a bug in the simulator, the webhook it pushes, the rule's messages read back from
 * the simulator's Lark side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import type { LarkMessage } from '../../src/simulator/lark/lark-state.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { simUser } from '../fixtures/chat/sim-user.ts';

let t: TriggerTestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const rule = (id: string, message: string) => `
id: ${id}
on: { event: work_item.created, work_item_type: [issue] }
do:
  - message:
${message}
`;

async function bugFiled(
  rules: Record<string, string>,
  name = 'Login crash',
  files: Record<string, string> = {},
) {
  // The drift watch off: the message action is the subject here. Its own user/query would count
  // with the message's, and the rules naming user keys the tenant lacks would run in shadow mode.
  t = await startTriggerEngine({ rules: { ...rules, ...files }, configYaml: 'drift:\n  enabled: false\n' });
  const sim = t.engine.simulator!;
  const alice = simUser(sim);
  await alice.createIssue(name);
  await alice.close();
  await sim.webhooksIdle();
  await t.engine.idle();
  return sim;
}

/** The parts of a Lark card the tests read. */
interface CardJson {
  config: unknown;
  header: { title: { content: string } };
  elements: Array<{
    content?: string;
    text: { content: string };
    fields: Array<{ text: { content: string } }>;
    actions: Array<{ value: unknown; url?: string }>;
  }>;
}

const textOf = (m: LarkMessage) => (m.content as { text: string }).text;

describe('message action', () => {
  it('sends one message to each chat, person and e-mail, with real @mentions', async () => {
    const sim = await bugFiled({
      'page.yaml': rule(
        'page',
        `      to: [${DEMO_CHATS.oncall}, '7400000000000000003', carol@example.com, '7400000000000000003']
      text: 'New bug {{work_item.name}} from {{event.operator | mention}} ({{event.operator | name}})'`,
      ),
    });
    const sent = sim.larkMessages();
    expect(sent.map((m) => [m.receive_id_type, m.receive_id])).toEqual([
      ['chat_id', DEMO_CHATS.oncall],
      ['email', 'carol@example.com'],
      ['union_id', 'on_7400000000000000003'],
    ]);
    expect(textOf(sent[0]!)).toBe(
      'New bug Login crash from <at user_id="on_7400000000000000002">alice</at> (alice)',
    );
    expect(new Set(sent.map((m) => m.uuid)).size).toBe(3);
    // One user/query for the recipient and the mentioned person together.
    expect(sim.requests({ route: 'user.query' })).toHaveLength(1);
  });

  it('sends the built-in card with fields, callback buttons and a link to the work item', async () => {
    const sim = await bugFiled({
      'card.yaml': rule(
        'card',
        `      to: ${DEMO_CHATS.team}
      card:
        title: 'P0: {{work_item.name}}'
        color: red
        text: 'Reported by {{event.operator | mention}}'
        fields: { Priority: P0, Id: '{{work_item.id}}' }
        buttons: [{ text: Take it, action: take-bug, style: primary }]`,
      ),
    });
    const [card] = sim.larkMessages();
    expect(card?.msg_type).toBe('interactive');
    const content = card?.content as CardJson;
    expect(content.config).toEqual({ wide_screen_mode: true, update_multi: true });
    expect(content.header).toEqual({
      title: { tag: 'plain_text', content: 'P0: Login crash' },
      template: 'red',
    });
    expect(content.elements[0]!.text.content).toBe('Reported by <at email=alice@example.com></at>');
    const id = String(sim.state.work_items.find((w) => w.name === 'Login crash')?.id);
    expect(content.elements[1]!.fields[1]!.text.content).toBe(`**Id**\n${id}`);
    const [take, open] = content.elements[2]!.actions;
    expect(take).toMatchObject({ text: { content: 'Take it' }, type: 'primary' });
    const project = sim.credentials.projectKey;
    expect(take?.value).toEqual({
      autopilot: 1,
      action: 'take-bug',
      work_item: { project, type: 'issue', id },
    });
    expect(open?.url).toBe(`${sim.baseUrl}/${project}/issue/detail/${id}`);
  });

  it('renders a card file next to the rules, its buttons made card actions', async () => {
    const cardFile = JSON.stringify({
      config: { update_multi: true },
      header: { title: { tag: 'plain_text', content: 'Bug {{work_item.name}}' }, template: 'orange' },
      elements: [
        { tag: 'markdown', content: 'QA please: {{event.operator | mention}}' },
        {
          tag: 'action',
          actions: [
            {
              tag: 'button',
              text: { tag: 'plain_text', content: 'Ack' },
              value: { action: 'ack', why: 'x' },
            },
          ],
        },
      ],
    });
    const sim = await bugFiled(
      { 'filed.yaml': rule('filed', `      to: ${DEMO_CHATS.team}\n      card_file: cards/bug.json`) },
      'Typo',
      { 'cards/bug.json': cardFile },
    );
    const content = sim.larkMessages()[0]?.content as CardJson;
    expect(content.header.title.content).toBe('Bug Typo');
    expect(content.elements[0]!.content).toBe('QA please: <at email=alice@example.com></at>');
    expect(content.elements[1]!.actions[0]!.value).toMatchObject({
      autopilot: 1,
      action: 'ack',
      value: { why: 'x' },
    });
  });
});

describe('message action: bad input', () => {
  async function deadLetter(message: string, files: Record<string, string> = {}) {
    const sim = await bugFiled({ 'bad.yaml': rule('bad', message) }, 'Login crash', files);
    const dead = await t!.engine.stores.runs.list({ state: 'dead' });
    expect(dead).toHaveLength(1);
    return { error: dead[0]!.lastError!, sent: sim.larkMessages() };
  }

  it('dead-letters a message to someone with no Lark identity, sending nothing', async () => {
    const { error, sent } = await deadLetter(
      `      to: [${DEMO_CHATS.team}, '7400000000000000005']\n      text: hi`,
    );
    expect(error.code).toBe('AP_LARK_RECIPIENT');
    expect(error.message).toMatch(/dave \(7400000000000000005\) has no Lark identity/);
    expect(sent).toEqual([]);
  });

  it('refuses to plan a name or mention of something that is not a user key', async () => {
    await bugFiled({
      'bad.yaml': rule('bad', `      to: ${DEMO_CHATS.team}\n      text: "{{rule.id | mention}}"`),
    });
    const [record] = await t!.engine.stores.audit.query({ kind: 'rule.error' });
    expect(record?.detail).toMatchObject({ stage: 'plan', code: 'AP_TEMPLATE_INVALID' });
    expect(String(record?.detail?.message)).toMatch(
      /mention: expected a user key \(or a list of them\), got "bad"/,
    );
  });

  it('dead-letters a message to a user key Feishu Project does not know', async () => {
    const { error, sent } = await deadLetter(
      `      to: ['7400000000000000002', '7499999999999999999']\n      text: hi`,
    );
    expect(error.code).toBe('AP_USER_NOT_FOUND');
    expect(error.message).toMatch(/no Feishu Project user 7499999999999999999/);
    expect(sent).toEqual([]);
  });

  it("dead-letters a send Lark refuses, keeping Lark's code, message and log id", async () => {
    const { error } = await deadLetter(`      to: [${DEMO_CHATS.outside}]\n      text: hi`);
    expect(error).toMatchObject({ code: 'AP_API_PERMANENT', errCode: 230002, httpStatus: 400 });
    expect(error.errMsg).toBe('The bot can not be outside the group.');
    expect(error.logId).toMatch(/^\d+/);
    const unknown = await deadLetterAgain(`      to: [oc_nope]\n      text: hi`);
    expect(unknown).toMatchObject({ code: 'AP_API_PERMANENT', errCode: 230001 });
  });

  it('dead-letters a card whose templates render something Lark cannot take', async () => {
    const card = JSON.stringify({
      config: { update_multi: true },
      elements: [{ tag: 'markdown', content: '{{event.workItem}}' }],
    });
    const { error, sent } = await deadLetter(`      to: ${DEMO_CHATS.team}\n      card_file: cards/qa.json`, {
      'cards/qa.json': card,
    });
    expect(error.code).toBe('AP_LARK_CARD_INVALID');
    expect(error.message).toMatch(/elements\.0\.content: markdown content must be a string/);
    expect(sent).toEqual([]);
  });
});

/** A second engine in the same test: the first one is closed first. */
async function deadLetterAgain(message: string) {
  await t?.close();
  t = undefined;
  await bugFiled({ 'bad.yaml': rule('bad', message) });
  const dead = await t!.engine.stores.runs.list({ state: 'dead' });
  return dead[0]!.lastError!;
}
