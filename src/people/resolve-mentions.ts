/**
 * A chat command's @mentioned arguments become Feishu Project user keys when the event is
 * processed: the mention's Lark union id is the user's `out_id` in Feishu Project, looked up
 * with one cached `user.query`. At intake there is no time for API calls (Lark waits three
 * seconds), so the stored event keeps the Lark ids and each processing resolves them again.
 */
import type { Event } from '../events/event.ts';
import type { PeopleDirectory, PeopleRead } from './people-directory.ts';

export async function resolveMentions(
  event: Event,
  people: PeopleDirectory,
  read: PeopleRead,
): Promise<Event> {
  const command = event.command;
  if (!command?.mentions) return event;
  const unionIds = Object.values(command.mentions).flatMap((m) => (m.union_id ? [m.union_id] : []));
  const found = unionIds.length > 0 ? await people.find('out_ids', unionIds, read) : new Map();
  const args = { ...command.args };
  const mentions = { ...command.mentions };
  const unresolved: string[] = [];
  for (const [arg, mention] of Object.entries(command.mentions)) {
    const person = mention.union_id === undefined ? undefined : found.get(mention.union_id);
    if (person) {
      args[arg] = person.userKey;
      mentions[arg] = { ...mention, user_key: person.userKey };
    } else {
      args[arg] = `@${mention.name ?? mention.open_id ?? 'unknown'}`;
      unresolved.push(arg);
    }
  }
  return {
    ...event,
    command: { ...command, args, mentions, ...(unresolved.length > 0 ? { unresolved } : {}) },
  };
}
