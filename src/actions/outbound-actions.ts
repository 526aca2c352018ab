/**
 * Calls that are not work-item writes: the chat reply, outbound http, and `api` (any
 * catalogued operation). Executing http and checking its allow-list happen elsewhere.
 */
import { findOperation, buildApiCall } from '../openapi/catalogue.ts';
import type { ApiCall, HttpMethod } from '../plan/run.ts';
import {
  optionalMap,
  requiredString,
  ruleError,
  type ActionContext,
  type BuildResult,
  type Params,
} from './action-context.ts';

/** The Lark IM reply to the message that carried a chat command. */
export function reply(params: Params, ctx: ActionContext): BuildResult {
  const text = requiredString('reply', params, 'text');
  const messageId = ctx.event.command?.messageId;
  if (!messageId) throw ruleError('reply', 'only chat commands can be replied to (the event has no message)');
  const call: ApiCall = {
    operation: 'lark.reply',
    method: 'POST',
    path: `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/reply`,
    body: { msg_type: 'text', content: JSON.stringify({ text }) },
    write: true,
  };
  return { calls: [call] };
}

/**
 * The card a click came from, replaced in place (Lark PATCH, the card was sent shared): a card
 * with the rule's `title` and `text` and no buttons, so the card cannot be clicked again. A
 * PATCH to the same content is idempotent: a retried step changes nothing twice.
 */
export function updateCard(params: Params, ctx: ActionContext): BuildResult {
  const text = requiredString('update_card', params, 'text');
  const messageId = ctx.event.card?.message;
  if (!messageId) {
    throw ruleError('update_card', 'only card clicks have a card to update (the event has no card)');
  }
  const card: Record<string, unknown> = {
    config: { wide_screen_mode: true, update_multi: true },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: text } }],
  };
  if (typeof params.title === 'string' && params.title !== '') {
    card.header = { title: { tag: 'plain_text', content: params.title }, template: 'grey' };
  }
  const call: ApiCall = {
    operation: 'lark.message.update',
    method: 'PATCH',
    path: `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}`,
    body: { content: JSON.stringify(card) },
    write: true,
  };
  return { calls: [call] };
}

const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** An outbound request description; `path` holds the absolute URL. */
export function http(params: Params): BuildResult {
  const url = requiredString('http', params, 'url');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw ruleError('http', `'url' must be an absolute http(s) URL`, { url });
  }
  const method = String(params.method ?? 'POST').toUpperCase() as HttpMethod;
  if (!HTTP_METHODS.includes(method)) throw ruleError('http', `unsupported method ${method}`, { method });
  const call: ApiCall = { operation: 'http.request', method, path: url, write: method !== 'GET' };
  const headers = optionalMap('http', params, 'headers');
  if (headers !== undefined)
    call.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
  if (params.body !== undefined) call.body = params.body;
  return { calls: [call] };
}

/** Path parameters default to the event's space, type and work item. */
export function api(params: Params, ctx: ActionContext): BuildResult {
  const operation = requiredString('api', params, 'operation');
  if (findOperation(operation) === undefined)
    throw ruleError('api', `unknown operation '${operation}'`, { operation });
  const defaults: Record<string, string> = {};
  if (ctx.event.projectKey !== undefined) defaults.project_key = ctx.event.projectKey;
  if (ctx.event.workItem !== undefined) {
    defaults.work_item_type_key = ctx.event.workItem.typeKey;
    defaults.work_item_id = ctx.event.workItem.id;
  }
  const path = { ...defaults, ...stringMap(optionalMap('api', params, 'path') ?? {}) };
  const query = optionalMap('api', params, 'query');
  const call = buildApiCall(operation, {
    path,
    ...(query === undefined ? {} : { query: stringMap(query) }),
    ...(params.body === undefined ? {} : { body: params.body }),
  });
  if (typeof params.write === 'boolean') call.write = params.write;
  return { calls: [call] };
}

function stringMap(map: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)]));
}
