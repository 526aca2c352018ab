/**
 * /_sim/lark/: what tests and demos look at and steer on the Lark side. The messages the app
 * sent, the card callback target, a simulated click on a card's button, and the callbacks
 * pushed (each can be pushed again with the same event id, as Lark retries).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { SimCore } from '../http/core.ts';
import { click, ClickError, pushCallback } from './card-click.ts';

function jsonBody(req: Request): Record<string, unknown> {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) return {};
  const parsed: unknown = JSON.parse(req.body.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ClickError('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function guarded(handler: (req: Request, res: Response) => Promise<void> | void) {
  return (req: Request, res: Response) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => res.status(400).json({ error: (error as Error).message }));
  };
}

function text(body: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = body[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw new ClickError(`${key} must be a non-empty string`);
  return value;
}

export function mountLarkInspection(router: Router, core: SimCore): void {
  const lark = express.Router();
  lark.get('/messages', (req, res) => {
    const chat = typeof req.query.chat_id === 'string' ? req.query.chat_id : undefined;
    res.json(core.lark.list().filter((m) => chat === undefined || m.chat_id === chat));
  });
  lark.get('/messages/:id', (req, res) => {
    const message = core.lark.messages.get(req.params.id);
    if (message) res.json(message);
    else res.status(404).json({ error: `no message ${req.params.id}` });
  });
  lark.get('/callback', (_req, res) => {
    res.json(core.lark.callback ?? null);
  });
  lark.post(
    '/callback',
    guarded((req, res) => {
      const body = jsonBody(req);
      const url = text(body, 'url', true) as string;
      if (!/^https?:\/\//.test(url)) throw new ClickError('url must be an http(s) URL');
      const encrypt = text(body, 'encrypt_key', false);
      core.lark.callback = {
        url,
        verification_token: text(body, 'verification_token', true) as string,
        ...(encrypt ? { encrypt_key: encrypt } : {}),
      };
      res.status(201).json(core.lark.callback);
    }),
  );
  lark.post(
    '/click',
    guarded(async (req, res) => {
      const body = jsonBody(req);
      const delivery = await click(core, {
        message_id: text(body, 'message_id', true) as string,
        user: text(body, 'user', true) as string,
        ...(body.button === undefined ? {} : { button: text(body, 'button', true) as string }),
      });
      res.json(delivery);
    }),
  );
  lark.get('/callbacks', (_req, res) => {
    res.json(core.lark.callbacks);
  });
  lark.post(
    '/callbacks/:id/redeliver',
    guarded(async (req, res) => {
      const first = core.lark.callbacks.find((c) => c.id === req.params.id);
      if (!first) {
        res.status(404).json({ error: `no callback ${String(req.params.id)}` });
        return;
      }
      res.json(await pushCallback(core, first.body));
    }),
  );
  router.use('/_sim/lark', lark);
}
