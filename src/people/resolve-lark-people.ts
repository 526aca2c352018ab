/**
 * The people of a Lark delivery become Feishu Project users when the event is processed: a chat
 * command's @mentioned arguments, and the person who clicked a card button. A Lark union id is
 * the user's `out_id` in Feishu Project, looked up with one cached `user.query`. At intake there
 * is no time for API calls (Lark waits three seconds), so the stored event keeps the Lark ids and
 * each processing resolves them again.
 */
import type { Event } from '../events/event.ts';
import type { PeopleDirectory, PeopleRead } from './people-directory.ts';
import type { Person } from './person.ts';

export async function resolveLarkPeople(
  event: Event,
  people: PeopleDirectory,
  read: PeopleRead,
): Promise<Event> {
  const unionIds = [
    ...Object.values(event.command?.mentions ?? {}).map((m) => m.union_id),
    event.card?.operator.union_id,
  ].filter((id): id is string => id !== undefined);
  if (unionIds.length === 0) return event;
  const found = await people.find('out_ids', unionIds, read);
  return withClicker(withMentions(event, found), found);
}

/** Mentioned arguments → user keys; someone unknown stays `@Name`, listed in `unresolved`. */
function withMentions(event: Event, found: ReadonlyMap<string, Person>): Event {
  const command = event.command;
  if (!command?.mentions) return event;
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

/** The clicker of a card button, when Feishu Project knows them, is the event's operator. */
function withClicker(event: Event, found: ReadonlyMap<string, Person>): Event {
  const card = event.card;
  const unionId = card?.operator.union_id;
  const person = unionId === undefined ? undefined : found.get(unionId);
  if (!card || !person) return event;
  return {
    ...event,
    operator: person.userKey,
    card: { ...card, operator: { ...card.operator, user_key: person.userKey } },
  };
}
