/**
 * The demo's steps for the triggers no webhook brings: a chat command to the Lark bot, a cron
 * schedule firing, and a change only a poll finds. They run after the webhook steps, on the
 * engine's injected clock, which they move forward (six days, to the next weekday 09:00 in
 * Shanghai) so the example rules' "older than N days" conditions and the schedule hold.
 */
import type { RunningEngine } from '../engine/start-engine.ts';
import { SIMULATOR_LARK_VERIFICATION_TOKEN } from '../outbound/outbound-setup.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import { DEMO_CHATS } from '../simulator/model/lark-seed.ts';
import { DEMO, USERS } from '../simulator/model/seed-config.ts';
import { nextTick } from '../triggers/cron-ticks.ts';
import type { ScenarioContext, ScenarioStep } from './scenario.ts';

/** Real time plus an offset the demo moves: time keeps flowing for the executor. */
export interface DemoClock {
  now: () => number;
  set(ms: number): void;
}

export function demoClock(): DemoClock {
  let offset = 0;
  return { now: () => Date.now() + offset, set: (ms) => void (offset = ms - Date.now()) };
}

export interface TriggerContext extends ScenarioContext {
  engine: RunningEngine;
  clock: DemoClock;
}

const DAY = 86_400_000;

export const TRIGGER_SCENARIO: ScenarioStep<TriggerContext>[] = [
  {
    title: 'bob clicks "Take it" on the P0 card in the on-call chat (Lark delivers the click twice)',
    expect: ['take-p0-bug'],
    run: async ({ engine, sim }) => {
      const card = sim
        .larkMessages()
        .find((m) => m.receive_id === DEMO_CHATS.oncall && JSON.stringify(m.content).includes('Take it'));
      if (!card) throw new Error('no P0 card in the on-call chat');
      sim.setCardCallback({
        url: `${engine.url}/chat/cards`,
        verification_token: SIMULATOR_LARK_VERIFICATION_TOKEN,
      });
      const first = await sim.clickCard({
        message_id: card.message_id,
        button: 'take-p0-bug',
        user: USERS.bob,
      });
      if (first.status !== 200) throw new Error(`card callback answered ${first.status}`);
      await engine.idle();
      // Lark delivers the same click again: stored once, nothing applied twice.
      const again = await fetch(`${sim.baseUrl}/_sim/lark/callbacks/${first.id}/redeliver`, {
        method: 'POST',
      });
      const { answer } = (await again.json()) as { answer?: { duplicate?: boolean } };
      if (answer?.duplicate !== true)
        throw new Error('the redelivered click was not recognised as a duplicate');
      const updated = sim.larkMessages().find((m) => m.message_id === card.message_id);
      if (JSON.stringify(updated?.content).includes('Take it'))
        throw new Error('the card still offers "Take it" after it was taken');
    },
  },
  {
    title: 'dana asks the chat bot: "@Autopilot move <Crash on login> to in_progress"',
    expect: ['move-command'],
    run: async ({ engine, sim }) => {
      const bug = findItem(sim, 'Crash on login');
      const answer = await fetch(`${engine.url}/chat/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chatMessage(`@_user_1 move ${bug} to in_progress`)),
      });
      if (answer.status !== 200) throw new Error(`chat route answered ${answer.status}`);
    },
  },
  {
    title: 'six days later, Monday 09:00 in Shanghai: the overdue-bug sweep fires',
    expect: ['overdue-bug-sweep'],
    run: async ({ engine, clock }) => {
      const tick = nextTick({ cron: '0 9 * * 1-5', timezone: 'Asia/Shanghai' }, clock.now() + 6 * DAY);
      clock.set(tick + 30_000);
      // Also the poll's first round since "Checkout redesign" reached Testing: its baseline.
      await engine.triggers.runner.runDue();
    },
  },
  {
    title: 'alice raises "Checkout redesign" to P0 with no webhook for it; the next poll finds it',
    expect: ['nudge-stuck-reviews'],
    run: async ({ engine, sim, as, call, clock, ids }) => {
      const story = ids.checkout ?? findItem(sim, 'Checkout redesign');
      const hooks = sim.webhookTargets();
      for (const hook of hooks) sim.unregisterWebhook(hook.id);
      try {
        await call(
          as('alice'),
          projectCalls.updateWorkItem({ projectKey: DEMO.projectKey, typeKey: 'story', id: story }, [
            { field_key: 'priority', field_value: { value: 'P0' } },
          ]),
        );
      } finally {
        for (const { id: _id, ...hook } of hooks) sim.registerWebhook(hook);
      }
      clock.set(clock.now() + 11 * 60_000);
      await engine.triggers.runner.runDue();
    },
  },
  {
    title: 'carol clicks "Passed" on the QA card of "Checkout redesign": its Testing node completes',
    expect: ['qa-sign-off'],
    run: async ({ engine, sim, ids }) => {
      const story = ids.checkout ?? findItem(sim, 'Checkout redesign');
      const card = sim
        .larkMessages()
        .find((m) => m.receive_id === DEMO_CHATS.team && JSON.stringify(m.content).includes('Ready for QA'));
      if (!card) throw new Error('no QA card in the team chat');
      const click = await sim.clickCard({
        message_id: card.message_id,
        button: 'qa-sign-off',
        user: USERS.carol,
      });
      if (click.status !== 200) throw new Error(`card callback answered ${click.status}`);
      await engine.idle();
      const item = sim.state.work_items.find((w) => String(w.id) === story);
      const testing = item?.nodes.find((n) => n.state_key === 'testing');
      if (testing?.status !== 3) throw new Error('the Testing node of "Checkout redesign" is not completed');
    },
  },
];

function chatMessage(text: string) {
  const id = `om_demo_${Date.now()}`;
  return {
    schema: '2.0',
    header: {
      event_id: `ev_${id}`,
      token: SIMULATOR_LARK_VERIFICATION_TOKEN,
      create_time: String(Date.now()),
      event_type: 'im.message.receive_v1',
      app_id: DEMO.larkAppId,
    },
    event: {
      sender: { sender_id: { open_id: 'ou_dana', user_id: 'dana' }, sender_type: 'user' },
      message: {
        message_id: id,
        chat_id: 'oc_demo_team',
        chat_type: 'group',
        message_type: 'text',
        content: JSON.stringify({ text }),
        mentions: [{ key: '@_user_1', id: { open_id: 'ou_autopilot' }, name: 'Autopilot' }],
      },
    },
  };
}

function findItem(sim: ScenarioContext['sim'], name: string): string {
  const item = sim.state.work_items.find((w) => w.name === name);
  if (!item) throw new Error(`demo tenant has no work item named "${name}"`);
  return String(item.id);
}
