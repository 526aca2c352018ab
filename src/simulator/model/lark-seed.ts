/**
 * The Lark side of the demo tenant: the people of the demo space as Lark knows them (their
 * `union_id` is the `out_id` Feishu Project answers for them) and three group chats: the
 * on-call chat and the team chat, which the app's bot is in, and one it is not in.
 */
import type { LarkChat, LarkUser } from './types.ts';

const PEOPLE = [
  { key: '7400000000000000002', name: 'alice' },
  { key: '7400000000000000003', name: 'bob' },
  { key: '7400000000000000004', name: 'carol' },
] as const;

export const DEMO_CHATS = {
  oncall: 'oc_sim_oncall',
  team: 'oc_sim_team',
  /** A chat the bot was never added to: sending there is refused (230002). */
  outside: 'oc_sim_outside',
} as const;

/** The open_id Lark gives a demo person in this app. */
export function demoOpenId(name: string): string {
  return `ou_sim_${name}`;
}

export function demoLarkUsers(): LarkUser[] {
  return PEOPLE.map(({ key, name }) => ({
    open_id: demoOpenId(name),
    union_id: `on_${key}`,
    user_id: name,
    name,
    email: `${name}@example.com`,
  }));
}

export function demoLarkChats(): LarkChat[] {
  const everyone = PEOPLE.map((p) => demoOpenId(p.name));
  return [
    { chat_id: DEMO_CHATS.oncall, name: 'On-call', members: everyone.slice(0, 2), bot_member: true },
    { chat_id: DEMO_CHATS.team, name: 'Team', members: everyone, bot_member: true },
    { chat_id: DEMO_CHATS.outside, name: 'Random', members: everyone, bot_member: false },
  ];
}

export function demoLarkDirectory(): { users: LarkUser[]; chats: LarkChat[] } {
  return { users: demoLarkUsers(), chats: demoLarkChats() };
}
