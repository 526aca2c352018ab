import type { IncomingHttpHeaders } from 'node:http';
import { Router, type Request, type Response } from 'express';
import { AutopilotError, isAutopilotError } from '../../errors.ts';
import { eventIds } from '../../events/event-ids.ts';
import type { Event } from '../../events/event.ts';
import { requireDeliveryId } from '../ids.ts';
import type { EventLog } from '../../store/ports.ts';
import { batchedAppend, type Append } from './batched-append.ts';
import { sendError, wrapStoreError } from './http-errors.ts';
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

/**
 * POST /webhooks/feishu and POST /webhooks/:name. An event is answered 2xx only once it is
 * durably in the event log; nothing else happens inline.
 */
export function webhookRoutes(deps: IntakeDeps): Router {
  const router = Router();
  const append = batchedAppend(deps.eventLog);
  router.post('/webhooks/feishu', (req, res) =>
    handle(deps, append, 'feishu', req, res, () => feishuEvent(deps, req)),
  );
  router.post('/webhooks/:name', (req, res) =>
    handle(deps, append, 'generic', req, res, () => genericEvent(deps, req)),
  );
  return router;
}

async function handle(
  deps: IntakeDeps,
  append: Append,
  route: string,
  req: Request,
  res: Response,
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
    res.status(inserted ? 202 : 200).json({ ok: true, eventId: event.id, duplicate: !inserted });
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

async function feishuEvent(deps: IntakeDeps, req: Request): Promise<Event> {
  requireJson(req);
  const body = parseJsonBody(await readBody(req, deps.bodyLimitBytes));
  if (!tokenMatches(deps.extractFeishuToken(body, req.headers), deps.feishuTokens())) {
    throw new AutopilotError('AP_UNAUTHORIZED', 'webhook token is missing or wrong');
  }
  return deps.normalizeFeishu(body, deps.now());
}

async function genericEvent(deps: IntakeDeps, req: Request): Promise<Event> {
  const name = String(req.params.name);
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

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
