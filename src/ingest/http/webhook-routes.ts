import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import { AutopilotError, isAutopilotError } from '../../errors.ts';
import { eventIds } from '../../events/event-ids.ts';
import type { Event } from '../../events/event.ts';
import { requireDeliveryId } from '../ids.ts';
import type { EventLog } from '../../store/ports.ts';
import { batchedAppend, type Append } from './batched-append.ts';
import { sendError, wrapStoreError, writeJson } from './http-errors.ts';
import { parseJsonBody } from './parse-json.ts';
import { readBody, requireJson } from './read-body.ts';
import { verifyStandardWebhook } from './standard-webhook.ts';
import { tokenMatches } from './token-match.ts';

export interface IntakeDeps {
  eventLog: EventLog;
  now: () => number;
  bodyLimitBytes: number;
  timestampToleranceMs: number;
  /** Tokens accepted from Feishu Project (rotation: several). */
  feishuTokens: () => readonly string[];
  /** Secrets of generic webhooks by name. */
  webhookSecrets: (name: string) => readonly string[] | undefined;
  normalizeFeishu: (body: unknown, receivedAt: number) => Event;
  extractFeishuToken: (body: unknown, headers: IncomingHttpHeaders) => string | undefined;
  /** Called after an event is durably stored (wakes the processor, counts metrics). */
  onStored?: (event: Event, inserted: boolean) => void;
  onRejected?: (route: string, code: string) => void;
}

export interface WebhookIntake {
  /**
   * The hot path beside express: answers a POST to `/webhooks/feishu` or `/webhooks/<name>` in
   * its plain spelling and returns true; any other request (and any other spelling of these
   * paths: other case, a trailing slash, percent-escapes) returns false for `router` to take, so
   * both answer the same. Express's request and response setup, routing and `res.json` (an
   * ETag hash of every answer) cost CPU on every delivery: this path, with the plain body read,
   * took the engine's CPU per delivery from 396 to 300 µs (bench/intake.bench.ts).
   */
  serve: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The same routes for express. */
  router: Router;
}

/**
 * POST /webhooks/feishu and POST /webhooks/:name. An event is answered 2xx only once it is
 * durably in the event log; nothing else happens inline. Both paths share one group commit.
 */
export function webhookIntake(deps: IntakeDeps): WebhookIntake {
  const append = batchedAppend(deps.eventLog);
  const feishu = (req: IncomingMessage, res: ServerResponse) =>
    handle(deps, append, 'feishu', req, res, () => feishuEvent(deps, req));
  const generic = (req: IncomingMessage, res: ServerResponse, name: string) =>
    handle(deps, append, 'generic', req, res, () => genericEvent(deps, req, name));
  const router = Router();
  router.post('/webhooks/feishu', (req, res) => feishu(req, res));
  router.post('/webhooks/:name', (req, res) => generic(req, res, String(req.params.name)));
  return {
    router,
    serve: (req, res) => {
      if (req.method !== 'POST') return false;
      const name = plainWebhookName(req.url ?? '');
      if (name === undefined) return false;
      const answered = name === 'feishu' ? feishu(req, res) : generic(req, res, name);
      // `handle` answers every error itself; one thrown while answering leaves nothing to say.
      answered.catch(() => res.destroy());
      return true;
    },
  };
}

export function webhookRoutes(deps: IntakeDeps): Router {
  return webhookIntake(deps).router;
}

const PLAIN_WEBHOOK_PATH = /^\/webhooks\/([A-Za-z0-9_.~-]+)(?:\?|$)/;

/**
 * The `<name>` of `/webhooks/<name>[?query]` when express would route it to the same handler
 * with the same name: unreserved characters only (nothing to decode), no trailing slash, and
 * any other case of `feishu` left to express, whose paths ignore case.
 */
function plainWebhookName(url: string): string | undefined {
  const name = PLAIN_WEBHOOK_PATH.exec(url)?.[1];
  if (name === undefined) return undefined;
  return name !== 'feishu' && name.toLowerCase() === 'feishu' ? undefined : name;
}

async function handle(
  deps: IntakeDeps,
  append: Append,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
  makeEvent: () => Promise<Event>,
): Promise<void> {
  try {
    const event = await makeEvent();
    let inserted: boolean;
    try {
      ({ inserted } = await append(event, deps.now()));
    } catch (error) {
      throw wrapStoreError(error);
    }
    deps.onStored?.(event, inserted);
    writeJson(res, inserted ? 202 : 200, { ok: true, eventId: event.id, duplicate: !inserted });
  } catch (error) {
    const coded = isAutopilotError(error)
      ? error
      : new AutopilotError('AP_BAD_REQUEST', 'request could not be processed', undefined, { cause: error });
    deps.onRejected?.(route, coded.code);
    // Drain what is left of the body so the connection can be reused or closed cleanly.
    req.resume();
    sendError(res, coded);
  }
}

async function feishuEvent(deps: IntakeDeps, req: IncomingMessage): Promise<Event> {
  requireJson(req);
  const body = parseJsonBody(await readBody(req, deps.bodyLimitBytes));
  if (!tokenMatches(deps.extractFeishuToken(body, req.headers), deps.feishuTokens())) {
    throw new AutopilotError('AP_UNAUTHORIZED', 'webhook token is missing or wrong');
  }
  return deps.normalizeFeishu(body, deps.now());
}

async function genericEvent(deps: IntakeDeps, req: IncomingMessage, name: string): Promise<Event> {
  const secrets = deps.webhookSecrets(name);
  if (!secrets || secrets.length === 0)
    throw new AutopilotError('AP_NOT_FOUND', `no webhook named '${name}'`);
  requireJson(req);
  const raw = await readBody(req, deps.bodyLimitBytes);
  const now = deps.now();
  const check = verifyStandardWebhook(
    {
      id: header(req, 'webhook-id'),
      timestamp: header(req, 'webhook-timestamp'),
      signature: header(req, 'webhook-signature'),
    },
    raw,
    secrets,
    now,
    deps.timestampToleranceMs,
  );
  if (!check.ok) {
    const why = {
      missing_headers: 'webhook-id, webhook-timestamp and webhook-signature headers are required',
      stale_timestamp: 'webhook-timestamp is outside the allowed window',
      bad_signature: 'webhook signature does not match',
    }[check.reason];
    throw new AutopilotError('AP_UNAUTHORIZED', why, { reason: check.reason });
  }
  const payload = parseJsonBody(raw);
  return {
    id: eventIds.webhook(name, requireDeliveryId(check.id, 'webhook-id')),
    source: 'webhook',
    type: `webhook.${name}`,
    occurredAt: check.timestamp * 1000,
    payload,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
