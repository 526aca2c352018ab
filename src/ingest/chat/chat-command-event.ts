/**
 * A matched chat message → the canonical `chat.command` event. The id is the Lark message id,
 * so a redelivered message is deduplicated by the event log. The work item is filled in when
 * an argument names one (`id`, or `work_item_id`) and the space is known: an argument
 * `project`, else the only space the rules name; its type from an argument `type`, else the
 * command rules' one type.
 */
import type { Event, MentionedPerson, WorkItemRef } from '../../events/event.ts';
import { eventIds } from '../../events/event-ids.ts';
import { requireWorkItemId } from '../ids.ts';
import { literalType, type CommandCatalog, type CommandEntry } from './command-catalog.ts';
import type { ChatMessage } from './lark-delivery.ts';

const ID_ARGS = ['id', 'work_item_id', 'work_item'];

export function chatCommandEvent(
  message: ChatMessage,
  command: { name: string; args: Record<string, string>; entries: CommandEntry[] },
  catalog: CommandCatalog,
  receivedAt: number,
): Event {
  const event: Event = {
    id: eventIds.chat(message.messageId),
    source: 'chat',
    type: 'chat.command',
    occurredAt: message.sentAt ?? receivedAt,
    operator: message.sender,
    command: {
      name: command.name,
      args: command.args,
      chatId: message.chatId,
      messageId: message.messageId,
      sender: message.sender,
    },
    payload: { text: message.text, chat_type: message.chatType, lark_event_id: message.eventId },
  };
  const mentions = mentionedArgs(command.args, message);
  if (mentions && event.command) event.command.mentions = mentions;
  const projectKey = command.args.project ?? single(catalog.projects);
  if (projectKey !== undefined) event.projectKey = projectKey;
  const workItem = workItemOf(command.args, command.entries);
  if (projectKey !== undefined && workItem !== undefined) event.workItem = workItem;
  return event;
}

/**
 * The first id argument made of digits names the work item; digits the API cannot take as an id
 * (20 of them, a leading zero) are the sender's typo, refused here rather than stored. A word
 * that is not a number is left to the rule (its `target` decides what it means).
 */
function workItemOf(args: Record<string, string>, entries: CommandEntry[]): WorkItemRef | undefined {
  const name = ID_ARGS.find((arg) => args[arg] !== undefined && /^\d+$/.test(args[arg] as string));
  const id =
    name === undefined ? undefined : requireWorkItemId(args[name] as string, `the argument {${name}}`);
  const typeKey = args.type ?? literalType(entries);
  return id === undefined || typeKey === undefined ? undefined : { id, typeKey };
}

/** The arguments that are one of the message's @mention keys, with that person's Lark ids. */
function mentionedArgs(
  args: Record<string, string>,
  message: ChatMessage,
): Record<string, MentionedPerson> | undefined {
  const out: Record<string, MentionedPerson> = {};
  for (const [name, value] of Object.entries(args)) {
    const mention = message.mentions?.find((m) => m.key === value);
    if (!mention) continue;
    out[name] = {
      ...(mention.name ? { name: mention.name } : {}),
      ...(mention.openId ? { open_id: mention.openId } : {}),
      ...(mention.unionId ? { union_id: mention.unionId } : {}),
      ...(mention.userId ? { user_id: mention.userId } : {}),
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function single(values: ReadonlySet<string>): string | undefined {
  return values.size === 1 ? [...values][0] : undefined;
}
