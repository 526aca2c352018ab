/**
 * `POST /chat/events`: the Lark/Feishu bot's event subscription. Verifies the delivery
 * (verify-lark-delivery.ts: signature, encryption and verification token; 401 otherwise),
 * answers the url_verification challenge, and turns a text message into a `chat.command` event stored in the event log
 * before answering 200. `POST /chat/cards`: card button callbacks, verified the same way,
 * stored as `card.action` events before answering 200. An unknown command gets the help text, a refused chat or sender a
 * refusal, both as replies in the thread, sent after the answer; neither is stored, so
 * neither can run anything.
 */
import express, { type Request, type Response, type Router } from 'express';
import { AutopilotError, isAutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import type { ChatReplier } from '../../outbound/chat-replier.ts';
import type { EventLog } from '../../store/ports.ts';
import { sendError, wrapStoreError } from '../http/http-errors.ts';
import { readBody, requireJson } from '../http/read-body.ts';
import { readCardDelivery } from './card-action-event.ts';
import { chatCommandEvent } from './chat-command-event.ts';
import { deniedText, helpText, readChatMessage, type CommandCatalog } from './command-catalog.ts';
import { readLarkDelivery, type ChatMessage } from './lark-delivery.ts';
import { verifyLarkDelivery } from './verify-lark-delivery.ts';

export interface ChatRouteOptions {
  eventLog: EventLog;
  now: () => number;
  bodyLimitBytes: number;
  /** How far a signed request's timestamp may be from now. */
  timestampToleranceMs: number;
  /** LARK_VERIFICATION_TOKEN; without one every delivery is refused. */
  verificationToken?: string;
  /** LARK_ENCRYPT_KEY: deliveries must then be encrypted and carry a fresh X-Lark-Signature. */
  encryptKey?: string;
  /** The commands of the rules running now. */
  catalog: () => CommandCatalog;
  /** Sends help and refusals; without it (no Lark app) they are only in the HTTP answer. */
  replier?: ChatReplier;
  onStored: (event: Event, inserted: boolean) => void;
  onRejected?: (code: string) => void;
}

export function chatRoutes(options: ChatRouteOptions): Router {
  const router = express.Router();
  router.post('/chat/events', async (req, res) => {
    try {
      await handle(options, req, res);
    } catch (error) {
      const coded = error instanceof AutopilotError ? error : wrapStoreError(error);
      options.onRejected?.(coded.code);
      sendError(res, coded);
    }
  });
  // Card button callbacks (card.action.trigger), verified like /chat/events: a click is stored
  // before the answer, and the answer goes out at once, inside Lark's 3-second window.
  router.post('/chat/cards', async (req, res) => {
    try {
      await handleCard(options, req, res);
    } catch (error) {
      const coded = error instanceof AutopilotError ? error : wrapStoreError(error);
      options.onRejected?.(coded.code);
      sendError(res, coded);
    }
  });
  return router;
}

async function handleCard(options: ChatRouteOptions, req: Request, res: Response): Promise<void> {
  const delivery = readCardDelivery(await verified(options, req), options.now());
  if (delivery.kind === 'challenge') {
    res.status(200).json({ challenge: delivery.challenge });
    return;
  }
  if (delivery.kind === 'ignored') {
    res.status(200).json({ ok: true, ignored: delivery.why });
    return;
  }
  const event = delivery.event;
  let inserted: boolean;
  try {
    ({ inserted } = await options.eventLog.append(event, options.now()));
  } catch (error) {
    throw wrapStoreError(error);
  }
  options.onStored(event, inserted);
  res.status(200).json({
    ok: true,
    eventId: event.id,
    ...(inserted ? {} : { duplicate: true }),
    toast: { type: 'info', content: inserted ? 'Received' : 'Already received' },
  });
}

async function verified(options: ChatRouteOptions, req: Request): Promise<unknown> {
  requireJson(req);
  const raw = await readBody(req, options.bodyLimitBytes);
  return verifyLarkDelivery(
    { headers: req.headers, body: raw },
    {
      verificationToken: options.verificationToken,
      encryptKey: options.encryptKey,
      now: options.now(),
      timestampToleranceMs: options.timestampToleranceMs,
    },
  );
}

async function handle(options: ChatRouteOptions, req: Request, res: Response): Promise<void> {
  const delivery = readLarkDelivery(await verified(options, req));
  if (delivery.kind === 'challenge') {
    res.status(200).json({ challenge: delivery.challenge });
    return;
  }
  if (delivery.kind === 'ignored') {
    res.status(200).json({ ok: true, ignored: delivery.why });
    return;
  }
  const outcome = await storeCommand(options, delivery.message);
  res.status(200).json({ ok: true, ...outcome });
}

async function storeCommand(
  options: ChatRouteOptions,
  message: ChatMessage,
): Promise<{ command: string | null; eventId?: string; duplicate?: boolean; refused?: string }> {
  const catalog = options.catalog();
  const reading = readChatMessage(catalog, message);
  if (reading.kind === 'unknown') {
    options.replier?.send(message.messageId, helpText(catalog, message.chatId, message.text), 'help');
    return { command: null };
  }
  if (reading.kind === 'denied') {
    options.replier?.send(message.messageId, deniedText(reading.name, reading.why), 'denied');
    return { command: reading.name, refused: `${reading.why}_not_allowed` };
  }
  const event = toEvent(options, message, reading, catalog);
  let inserted: boolean;
  try {
    ({ inserted } = await options.eventLog.append(event, options.now()));
  } catch (error) {
    throw wrapStoreError(error);
  }
  options.onStored(event, inserted);
  return { command: reading.name, eventId: event.id, ...(inserted ? {} : { duplicate: true }) };
}

/** An id the API cannot take is refused (400) and the sender told in the thread, like a refusal. */
function toEvent(
  options: ChatRouteOptions,
  message: ChatMessage,
  reading: Parameters<typeof chatCommandEvent>[1],
  catalog: CommandCatalog,
): Event {
  try {
    return chatCommandEvent(message, reading, catalog, options.now());
  } catch (error) {
    if (isAutopilotError(error, 'AP_ID_INVALID')) {
      options.replier?.send(message.messageId, `"${reading.name}" not run: ${error.message}`, 'invalid');
    }
    throw error;
  }
}
