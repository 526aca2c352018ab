/**
 * `POST /chat/events`: the Lark/Feishu bot's event subscription. Checks the request signature
 * (when an encrypt key is set and Lark signed the request), decrypts `{"encrypt": ...}`,
 * checks the verification token in constant time (401), answers the url_verification
 * challenge, and turns a text message into a `chat.command` event stored in the event log
 * before answering 200. An unknown command gets the help text, a refused chat or sender a
 * refusal, both as replies in the thread, sent after the answer; neither is stored, so
 * neither can run anything.
 */
import express, { type Request, type Response, type Router } from 'express';
import { AutopilotError, isAutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import type { ChatReplier } from '../../outbound/chat-replier.ts';
import type { EventLog } from '../../store/ports.ts';
import { sendError, wrapStoreError } from '../http/http-errors.ts';
import { parseJsonBody } from '../http/parse-json.ts';
import { readBody, requireJson } from '../http/read-body.ts';
import { tokenMatches } from '../http/token-match.ts';
import { chatCommandEvent } from './chat-command-event.ts';
import { deniedText, helpText, readCommand, type CommandCatalog } from './command-catalog.ts';
import { decryptLarkPayload, signatureMatches } from './lark-crypto.ts';
import { readLarkDelivery, type ChatMessage } from './lark-delivery.ts';

export interface ChatRouteOptions {
  eventLog: EventLog;
  now: () => number;
  bodyLimitBytes: number;
  /** How far a signed request's timestamp may be from now. */
  timestampToleranceMs: number;
  /** LARK_VERIFICATION_TOKEN; without one every delivery is refused. */
  verificationToken?: string;
  /** LARK_ENCRYPT_KEY: decrypts `encrypt` bodies and checks X-Lark-Signature. */
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
  return router;
}

async function handle(options: ChatRouteOptions, req: Request, res: Response): Promise<void> {
  requireJson(req);
  const raw = await readBody(req, options.bodyLimitBytes);
  if (!options.verificationToken) {
    throw new AutopilotError(
      'AP_UNAUTHORIZED',
      'the chat bot is not configured: set LARK_VERIFICATION_TOKEN',
    );
  }
  checkSignature(options, req, raw);
  const delivery = readLarkDelivery(decrypt(options, parseJsonBody(raw)));
  if (!tokenMatches(delivery.token, [options.verificationToken])) {
    throw new AutopilotError('AP_UNAUTHORIZED', 'verification token is missing or does not match');
  }
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
  const reading = readCommand(catalog, message.text, message);
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

function checkSignature(options: ChatRouteOptions, req: Request, body: Buffer): void {
  const signature = req.headers['x-lark-signature'];
  if (!options.encryptKey || typeof signature !== 'string') return;
  const timestamp = String(req.headers['x-lark-request-timestamp'] ?? '');
  const nonce = String(req.headers['x-lark-request-nonce'] ?? '');
  if (!signatureMatches(signature, { timestamp, nonce, body }, options.encryptKey)) {
    throw new AutopilotError('AP_UNAUTHORIZED', 'X-Lark-Signature does not match the body and encrypt key');
  }
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(options.now() - seconds * 1000) > options.timestampToleranceMs) {
    throw new AutopilotError('AP_UNAUTHORIZED', 'X-Lark-Request-Timestamp is missing or too far from now');
  }
}

function decrypt(options: ChatRouteOptions, body: unknown): unknown {
  const encrypted = (body as { encrypt?: unknown } | null)?.encrypt;
  if (encrypted === undefined) return body;
  if (typeof encrypted !== 'string') throw new AutopilotError('AP_BAD_REQUEST', '`encrypt` must be a string');
  if (!options.encryptKey) {
    throw new AutopilotError('AP_BAD_REQUEST', 'the body is encrypted but LARK_ENCRYPT_KEY is not set');
  }
  return parseJsonBody(Buffer.from(decryptLarkPayload(encrypted, options.encryptKey), 'utf8'));
}
