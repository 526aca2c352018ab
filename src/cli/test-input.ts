/**
 * Turning the files given to `autopilot test` into what the matcher takes: an Event (from a
 * raw Feishu webhook body or an already canonical event) and, optionally, a normalized work
 * item (from a raw Open API WorkItemInfo, a `workItem.query` answer, or an already normalized one).
 */
import type { LinkedProvider } from '../match/facts.ts';
import { AutopilotError } from '../errors.ts';
import type { Event, EventSource } from '../events/event.ts';
import { commandCatalogOf, readChatMessage } from '../ingest/chat/command-catalog.ts';
import { chatCommandEvent } from '../ingest/chat/chat-command-event.ts';
import { readLarkDelivery } from '../ingest/chat/lark-delivery.ts';
import { looksLikeFeishuWebhook, normalizeFeishuWebhook } from '../ingest/feishu/index.ts';
import type { Rule } from '../rules/rule.ts';
import { emptyVars, VAR_SCOPES, type VarScope, type VarsFact } from '../match/vars-fact.ts';
import { emptyWorkItem, idString, normalizeWorkItem, type NormalizedWorkItem } from '../match/work-item.ts';

const SOURCES: readonly EventSource[] = [
  'feishu',
  'op_record',
  'webhook',
  'chat',
  'poll',
  'schedule',
  'manual',
  'replay',
];

export type EventInputKind = 'feishu-webhook' | 'lark-message' | 'canonical';

export function toEvent(
  body: unknown,
  receivedAt: number,
  rules: readonly Rule[] = [],
): { event: Event; kind: EventInputKind } {
  if (looksLikeLarkDelivery(body))
    return { event: larkCommandEvent(body, receivedAt, rules), kind: 'lark-message' };
  if (looksLikeFeishuWebhook(body))
    return { event: normalizeFeishuWebhook(body, { receivedAt }), kind: 'feishu-webhook' };
  return { event: canonicalEvent(body, receivedAt), kind: 'canonical' };
}

/** A Lark event subscription body: `im.*` / `card.*` event types, or Lark's encrypted envelope. */
export function looksLikeLarkDelivery(body: unknown): boolean {
  const root = record(body);
  if (!root) return false;
  if (typeof root.encrypt === 'string' && Object.keys(root).length === 1) return true;
  const eventType = record(root.header)?.event_type;
  return typeof eventType === 'string' && /^(im|card)\./.test(eventType);
}

/**
 * A raw Lark `im.message.receive_v1` body read as the chat route reads it, against the rules'
 * command grammars, into the `chat.command` event the engine would store. A person given as an
 * @mention becomes a user key only when the engine runs (user/query): offline the argument says
 * whose key it will be.
 */
function larkCommandEvent(body: unknown, receivedAt: number, rules: readonly Rule[]): Event {
  if (typeof record(body)?.encrypt === 'string')
    throw invalidLarkEvent(
      'an encrypted Lark body: save the decrypted event (the `encrypt` field decrypted with LARK_ENCRYPT_KEY)',
    );
  const delivery = readLarkDelivery(body);
  if (delivery.kind !== 'message')
    throw invalidLarkEvent(
      `a Lark body the engine does not run rules for (${delivery.kind === 'challenge' ? 'url_verification' : delivery.why})`,
    );
  const catalog = commandCatalogOf(rules);
  const message = delivery.message;
  const reading = readChatMessage(catalog, message);
  if (reading.kind === 'unknown')
    throw invalidLarkEvent(
      `no command rule reads the message "${message.text}" (the engine would answer with its help)`,
    );
  if (reading.kind === 'denied')
    throw invalidLarkEvent(
      `the engine would refuse "${reading.name}": this ${reading.why === 'chat' ? `chat (${message.chatId})` : `sender (${message.sender})`} is not on the rules' list`,
    );
  const event = chatCommandEvent(message, reading, catalog, receivedAt);
  const command = event.command;
  for (const [arg, person] of Object.entries(command?.mentions ?? {}))
    if (command) command.args[arg] = offlineUserKey(person.name ?? person.union_id ?? person.open_id ?? arg);
  return event;
}

/** Offline, a mentioned person's argument stands for the user key the engine looks up. */
function offlineUserKey(name: string): string {
  return `<user key of @${name}>`;
}

/** Whether a value is the stand-in `offlineUserKey` gives. */
export function isOfflineUserKey(value: unknown): value is string {
  return typeof value === 'string' && /^<user key of @.+>$/.test(value);
}

function invalidLarkEvent(problem: string): AutopilotError {
  return new AutopilotError('AP_EVENT_INVALID', `the Lark message: ${problem}`);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function invalidEvent(problem: string): AutopilotError {
  return new AutopilotError(
    'AP_EVENT_INVALID',
    `${problem}; expected a Feishu webhook body (header.event_type or eventType) or a canonical event ({id, type, source, occurredAt, payload})`,
  );
}

/** A hand-written canonical event: id and type are required, the rest has defaults. */
function canonicalEvent(body: unknown, receivedAt: number): Event {
  const input = record(body);
  if (!input) throw invalidEvent('the event is not a JSON object');
  const id = idString(input.id);
  if (id === '') throw invalidEvent('the event has no id');
  if (typeof input.type !== 'string' || input.type === '') throw invalidEvent('the event has no type');
  const source = input.source ?? 'replay';
  if (!SOURCES.includes(source as EventSource)) {
    throw invalidEvent(`the event's source '${String(source)}' is not one of ${SOURCES.join(', ')}`);
  }
  const occurredAt = input.occurredAt ?? receivedAt;
  if (typeof occurredAt !== 'number' || !Number.isFinite(occurredAt))
    throw invalidEvent('occurredAt is not a number (epoch ms)');
  const event: Event = {
    ...(input as Partial<Event>),
    id,
    type: input.type,
    source: source as EventSource,
    occurredAt,
    payload: input.payload ?? {},
  };
  const workItem = record(input.workItem);
  if (input.workItem !== undefined) {
    if (!workItem || idString(workItem.id) === '' || typeof workItem.typeKey !== 'string') {
      throw invalidEvent('workItem must be {id, typeKey}');
    }
    event.workItem = { id: idString(workItem.id), typeKey: workItem.typeKey };
  }
  return event;
}

/**
 * A work item given on the command line. Accepted: `{data: [WorkItemInfo]}` (the answer of
 * workItem.query), `[WorkItemInfo]`, a WorkItemInfo, or an already normalized work item
 * (`fields` as an object, `type` instead of `work_item_type_key`).
 */
export function toWorkItem(body: unknown): NormalizedWorkItem {
  const envelope = record(body);
  const unwrapped =
    envelope && Array.isArray(envelope.data) ? envelope.data[0] : Array.isArray(body) ? body[0] : body;
  const item = record(unwrapped);
  if (!item)
    throw new AutopilotError(
      'AP_INPUT_FILE',
      'the work item is not a JSON object (nor a list or query answer holding one)',
    );
  if (isNormalized(item)) return normalizedWithDefaults(item);
  if (idString(item.id) === '') throw new AutopilotError('AP_INPUT_FILE', 'the work item has no id');
  return normalizeWorkItem(item);
}

function isNormalized(item: Record<string, unknown>): boolean {
  return (
    typeof item.type === 'string' && !Array.isArray(item.fields) && item.work_item_type_key === undefined
  );
}

function normalizedWithDefaults(item: Record<string, unknown>): NormalizedWorkItem {
  const id = idString(item.id);
  if (id === '') throw new AutopilotError('AP_INPUT_FILE', 'the work item has no id');
  return {
    ...emptyWorkItem({ id, type: item.type as string }),
    ...(item as Partial<NormalizedWorkItem>),
    id,
    type: item.type as string,
  };
}

/**
 * The variables a dry run assumes (`--vars`): `{work_item, rule, space}`, each an object of
 * name → value; a scope left out has no variable set.
 */
export function toVars(body: unknown): VarsFact {
  const given = record(body);
  if (!given) throw new AutopilotError('AP_INPUT_FILE', 'the variables are not a JSON object');
  const vars = emptyVars();
  for (const [scope, names] of Object.entries(given)) {
    if (!(VAR_SCOPES as readonly string[]).includes(scope))
      throw new AutopilotError(
        'AP_INPUT_FILE',
        `the variables: unknown scope '${scope}' (scopes: ${VAR_SCOPES.join(', ')})`,
      );
    const values = record(names);
    if (!values)
      throw new AutopilotError('AP_INPUT_FILE', `the variables: ${scope} is not an object of name → value`);
    vars[scope as VarScope] = { ...values };
  }
  return vars;
}

/**
 * The linked work items a `--work-item` file may carry beside the item: `related` (relation
 * rule → list of work items) and `parent` (a work item), each in any shape `toWorkItem` takes.
 * Without either key, conditions on them say they need live data.
 */
export function toLinked(body: unknown): LinkedProvider | undefined {
  const root = record(body);
  if (!root || (root.related === undefined && root.parent === undefined)) return undefined;
  const related: Record<string, unknown[]> = Object.create(null);
  const given = record(root.related) ?? {};
  for (const [rule, items] of Object.entries(given)) {
    if (!Array.isArray(items))
      throw new AutopilotError('AP_INPUT_FILE', `related.${rule} must be a list of work items`);
    related[rule] = items.map((item) => withoutRawFields(toWorkItem(item)));
  }
  const parent =
    root.parent === undefined || root.parent === null ? undefined : withoutRawFields(toWorkItem(root.parent));
  return {
    related: async (rules) => Object.fromEntries(rules.map((rule) => [rule, related[rule] ?? []])),
    parent: async () => parent,
  };
}

function withoutRawFields(item: NormalizedWorkItem): Omit<NormalizedWorkItem, 'raw_fields'> {
  const { raw_fields: _raw, ...rest } = item;
  return rest;
}
