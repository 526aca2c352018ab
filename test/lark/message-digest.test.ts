/**
 * `message` with `digest:` through the front door: the engine on its built-in simulator with a
 * clock the test moves, bugs created by a person in the simulator, the digests read back from the
 * simulator's Lark side; the engine restarted in the middle of a window and after its send.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_CHATS } from '../../src/simulator/model/lark-seed.ts';
import type { LarkMessage } from '../../src/simulator/lark/lark-state.ts';
import { shiftedClock, startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import { simUser } from '../fixtures/chat/sim-user.ts';

const HOUR = 3_600_000;
const BOB = '7400000000000000003';

let t: TriggerTestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const RULE = `
id: bug-digest
on: { event: work_item.created, work_item_type: [issue] }
do:
  - name: collected
    message:
      to: [${DEMO_CHATS.oncall}, '${BOB}']
      text: 'New bug {{work_item.name}} from {{event.operator | mention}}'
      digest: 1h
  - comment: { text: 'In the next digest' }
`;

/** The engine with its clock at `at`; the drift watch off (the message is the subject here). */
async function engineAt(at: number): Promise<TriggerTestEngine> {
  const clock = shiftedClock(at);
  return startTriggerEngine({
    rules: { 'bug-digest.yaml': RULE },
    clock,
    configYaml: 'drift:\n  enabled: false\n',
  });
}

async function bugFiled(engine: TriggerTestEngine, name: string): Promise<void> {
  const sim = engine.engine.simulator!;
  const alice = simUser(sim);
  await alice.createIssue(name);
  await alice.close();
  await sim.webhooksIdle();
  await engine.engine.idle();
}

/** Moves the clock to `at` and waits for the executor to have woken what fell due. */
async function timeIs(engine: TriggerTestEngine, at: number, sent: number): Promise<LarkMessage[]> {
  engine.clock.set(at);
  const sim = engine.engine.simulator!;
  await vi.waitFor(
    async () => {
      engine.engine.executor.notify();
      await engine.engine.idle();
      expect(sim.larkMessages()).toHaveLength(sent);
    },
    { timeout: 15_000, interval: 100 },
  );
  return sim.larkMessages();
}

const textOf = (m: LarkMessage) => (m.content as { text: string }).text;

/** An hour boundary a while ahead, so the windows of the test are its own. */
function nextHour(): number {
  return Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
}

describe('message digest', () => {
  it('collects the window into one message per recipient, across a restart, sent once', async () => {
    const start = nextHour();
    t = await engineAt(start + 10 * 60_000);
    await bugFiled(t, 'Login crash');
    // Collected, not sent; the rest of the run went on.
    expect(t.engine.simulator!.larkMessages()).toEqual([]);
    expect(t.engine.simulator!.state.comments.map((c) => c.content)).toContain('In the next digest');

    await t.stop();
    t = await t.restart();
    t.clock.set(start + 40 * 60_000);
    await bugFiled(t, 'Typo on the login page');
    expect(t.engine.simulator!.larkMessages()).toEqual([]);

    // A minute before the end nothing goes out; at the end one digest to each recipient.
    await timeIs(t, start + HOUR - 60_000, 0);
    const sent = await timeIs(t, start + HOUR + 1_000, 2);
    expect(sent.map((m) => [m.receive_id_type, m.receive_id])).toEqual(
      expect.arrayContaining([
        ['chat_id', DEMO_CHATS.oncall],
        ['union_id', `on_${BOB}`],
      ]),
    );
    const day = new Date(start).toISOString().slice(0, 10);
    const hour = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    for (const message of sent) {
      expect(message.msg_type).toBe('text');
      expect(textOf(message)).toBe(
        [
          `Digest: 2 messages, ${day} ${hour(start)}–${hour(start + HOUR)} UTC`,
          '1. New bug Login crash from <at user_id="on_7400000000000000002">alice</at>',
          '2. New bug Typo on the login page from <at user_id="on_7400000000000000002">alice</at>',
        ].join('\n'),
      );
    }
    expect(new Set(sent.map((m) => m.uuid)).size).toBe(2);

    // A bug after the window goes to the next one; the window sent is not sent again.
    await bugFiled(t, 'Slow search');
    await t.stop();
    t = await t.restart();
    const next = await timeIs(t, start + 2 * HOUR + 1_000, 2);
    expect(next.map(textOf)).toEqual([
      expect.stringMatching(/^Digest: 1 message, .*\n1\. New bug Slow search from /),
      expect.stringMatching(/^Digest: 1 message, .*\n1\. New bug Slow search from /),
    ]);
    const flushes = await t.engine.stores.runs.list({ ruleId: 'bug-digest', state: 'succeeded' });
    expect(flushes.filter((r) => r.run.eventId.startsWith('digest:'))).toHaveLength(4);
  });

  it('recovers a collection interrupted between its item and its checkpoint without a second item', async () => {
    const start = nextHour();
    t = await engineAt(start + 5 * 60_000);
    await bugFiled(t, 'Login crash');
    const [run] = await t.engine.stores.runs.list({ ruleId: 'bug-digest', state: 'succeeded' });
    // As if the process died after collecting and before its checkpoint: the run is retried.
    const item = run!.run.actions[0]!;
    await t.engine.stores.runs.enqueue(
      [{ ...run!.run, id: `${run!.run.id}-again`, actions: [item] }],
      t.clock.now(),
    );
    t.engine.executor.notify();
    await t.engine.idle();
    const sent = await timeIs(t, start + HOUR + 1_000, 2);
    for (const message of sent) expect(textOf(message)).toMatch(/^Digest: 1 message, /);
  });
});
