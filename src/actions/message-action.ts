/**
 * The `message` action: a Lark message to chats and people, as text (with real @mentions) or
 * as an interactive card (the built-in layout, or a card file's JSON). Its calls are decided
 * at execution time: people are looked up then (user/query, cached), with the mentions the
 * templates made, in one batch. One Lark send per recipient, each with its own `uuid` derived
 * from the action's idempotency key and the recipient, so a retry after a lost answer never
 * posts twice and a recipient list that changed order between attempts changes nothing.
 */
import { v5 as uuidv5 } from 'uuid';
import { AutopilotError } from '../errors.ts';
import type { ApiCall } from '../plan/run.ts';
import { larkReceiverOf, type LarkReceiver, type Person } from '../people/person.ts';
import { renderPeople, renderPeopleInCard, unknownUser } from '../people/person-markup.ts';
import { markedKeysIn } from '../templates/person-markers.ts';
import {
  ruleError,
  type ActionContext,
  type BuildResult,
  type Params,
  type ReadApi,
} from './action-context.ts';
import { cardIssues, cardSizeIssue } from './card-shape.ts';
import { digestWindowMs } from './digest.ts';
import { builtInCard, CARD_BUTTON_MARK, buttonValue, type WorkItemLink } from './lark-card.ts';
import { readRecipients, recipientError } from './message-recipients.ts';

export const DEFAULT_PROJECT_URL = 'https://project.feishu.cn';

type Body = { kind: 'text'; text: string } | { kind: 'card'; card: Record<string, unknown> };

export function message(params: Params): BuildResult {
  bodyOf(params, undefined);
  if (params.to === undefined) throw ruleError('message', "'to' is required: chat ids, user keys or e-mails");
  if (params.digest !== undefined) return { deferred: digestPlan(params) };
  return { deferred: 'recipients and @mentions are looked up at execution time (user/query)' };
}

/** What a digest message does instead of sending, as `autopilot test` says it. */
function digestPlan(params: Params): string {
  const window = String(params.digest);
  digestWindowMs(window);
  if (params.text === undefined) throw ruleError('message', 'digest: collects text messages only: give text');
  return (
    `collected into a ${window} digest for each recipient (one message listing every item, ` +
    `sent at the window's end; windows are aligned to multiples of ${window} in UTC); ` +
    'recipients and @mentions are looked up at execution time (user/query)'
  );
}

/** The message's params without `digest`: what it would send right away. */
export function withoutDigest(params: Params): Params {
  const { digest: _digest, ...rest } = params;
  return rest;
}

export async function resolveMessage(params: Params, ctx: ActionContext, read: ReadApi): Promise<ApiCall[]> {
  const recipients = readRecipients(params.to);
  const body = bodyOf(params, linkOf(ctx));
  const keys = new Set([...recipients.userKeys, ...markedKeysIn(body)]);
  const people = await lookUp([...keys], ctx, read);
  const receivers = [...recipients.direct];
  for (const key of recipients.userKeys) receivers.push(receiverOf(people, key));
  const content = finalContent(body, people);
  const key = ctx.idempotencyKey;
  const pending = unique(receivers).filter((r) => !(key && ctx.sent?.has(recipientUuid(key, r))));
  return pending.map((r) => larkSendCall(r, content, key ? recipientUuid(key, r) : undefined));
}

function bodyOf(params: Params, link: WorkItemLink | undefined): Body {
  if (params.card_file !== undefined && params.card_template === undefined) {
    throw ruleError('message', `card file ${String(params.card_file)} was not loaded with the rules`);
  }
  const given = ['text', 'card', 'card_template'].filter((k) => params[k] !== undefined);
  if (given.length !== 1) throw ruleError('message', 'give exactly one of text, card or card_file');
  if (typeof params.text === 'string') return { kind: 'text', text: params.text };
  if (params.text !== undefined) throw ruleError('message', "'text' must be a string");
  if (params.card !== undefined) return { kind: 'card', card: builtInCard(params.card as Params, link) };
  return { kind: 'card', card: decorateButtons(params.card_template, link) };
}

/** Buttons of a card file with `value.action` are card actions: the engine marks them as its own. */
function decorateButtons(card: unknown, link: WorkItemLink | undefined): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const v = obj.value as Record<string, unknown> | undefined;
    if (obj.tag === 'button' && typeof v?.action === 'string' && v[CARD_BUTTON_MARK] === undefined) {
      const { action, ...rest } = v;
      return { ...obj, value: buttonValue(action, link, Object.keys(rest).length > 0 ? rest : undefined) };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, child]) => [k, walk(child)]));
  };
  return walk(card) as Record<string, unknown>;
}

function linkOf(ctx: ActionContext): WorkItemLink | undefined {
  const project = ctx.event.projectKey ?? ctx.workItem?.project;
  const type = ctx.event.workItem?.typeKey ?? ctx.workItem?.type;
  const id = ctx.event.workItem?.id ?? ctx.workItem?.id;
  if (!project || !type || !id) return undefined;
  const base = (ctx.projectUrl ?? DEFAULT_PROJECT_URL).replace(/\/+$/, '');
  const url = `${base}/${encodeURIComponent(project)}/${encodeURIComponent(type)}/detail/${encodeURIComponent(id)}`;
  return { project, type, id, url };
}

async function lookUp(keys: string[], ctx: ActionContext, read: ReadApi): Promise<Map<string, Person>> {
  if (keys.length === 0) return new Map();
  if (!ctx.people)
    throw new AutopilotError('AP_INTERNAL', 'message: no people directory to look user keys up in');
  const people = await ctx.people.find('user_keys', keys, read);
  for (const key of keys) if (!people.has(key)) throw unknownUser(key);
  return people;
}

function receiverOf(people: ReadonlyMap<string, Person>, key: string): LarkReceiver {
  const person = people.get(key) as Person;
  const receiver = larkReceiverOf(person);
  if (!receiver) {
    throw recipientError(
      `${person.name} (${key}) has no Lark identity: Feishu Project has neither an out_id nor an e-mail for them`,
      {
        userKey: key,
      },
    );
  }
  return receiver;
}

export interface Content {
  msgType: 'text' | 'interactive';
  content: string;
}

function finalContent(body: Body, people: ReadonlyMap<string, Person>): Content {
  if (body.kind === 'text')
    return { msgType: 'text', content: JSON.stringify({ text: renderPeople(body.text, people, 'text') }) };
  const card = renderPeopleInCard(body.card, people);
  const issues = cardIssues(card);
  const size = cardSizeIssue(card);
  if (size) issues.push(size);
  if (issues.length > 0) {
    const first = issues[0] as { path: (string | number)[]; message: string };
    const where = first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    throw new AutopilotError(
      'AP_LARK_CARD_INVALID',
      `message: the rendered card is not valid${where}: ${first.message}`,
      {
        issues,
      },
    );
  }
  return { msgType: 'interactive', content: JSON.stringify(card) };
}

function unique(receivers: LarkReceiver[]): LarkReceiver[] {
  const seen = new Map<string, LarkReceiver>();
  for (const r of receivers) seen.set(`${r.type}:${r.id}`, r);
  return [...seen.values()];
}

/** Lark's uuid: at most 50 characters, the same for this action and recipient on every attempt. */
export function recipientUuid(idempotencyKey: string, receiver: LarkReceiver): string {
  return uuidv5(`lark-message\n${receiver.type}\n${receiver.id}`, idempotencyKey);
}

/** One Lark send; `uuid` makes Lark post it once however often it is sent. */
export function larkSendCall(receiver: LarkReceiver, content: Content, uuid: string | undefined): ApiCall {
  return {
    operation: 'lark.message.create',
    method: 'POST',
    path: '/open-apis/im/v1/messages',
    query: { receive_id_type: receiver.type },
    body: {
      receive_id: receiver.id,
      msg_type: content.msgType,
      content: content.content,
      ...(uuid ? { uuid } : {}),
    },
    write: true,
  };
}
