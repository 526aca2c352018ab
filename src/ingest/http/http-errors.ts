import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { AutopilotError, isAutopilotError } from '../../errors.ts';

/**
 * The one shape of an error answer: `{ error: { code, message } }` with the catalogue's status.
 * Plain node:http, so servers beside express (the metrics listener) answer the same way.
 */
export function sendError(res: ServerResponse, error: AutopilotError): void {
  writeJson(res, error.status, { error: { code: error.code, message: error.message } });
}

export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Last route of a server: an unknown method or path answers the documented JSON error, not HTML. */
export function notFound(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  sendError(res, new AutopilotError('AP_NOT_FOUND', `no route ${req.method ?? 'GET'} ${path}`));
}

/** Last express handler: coded errors answer with their status; anything else is a 500 and logged. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (isAutopilotError(error)) {
      sendError(res, error);
      return;
    }
    // express's own body/parse errors carry a status; keep them client errors.
    const status = typeof error?.status === 'number' && error.status < 500 ? error.status : 500;
    if (status >= 500) log.error({ err: error }, 'unhandled error in request');
    const code = status >= 500 ? 'AP_INTERNAL' : 'AP_BAD_REQUEST';
    writeJson(res, status, {
      error: { code, message: status >= 500 ? 'internal error' : String(error.message) },
    });
  };
}

export function wrapStoreError(error: unknown): AutopilotError {
  if (isAutopilotError(error)) return error;
  return new AutopilotError('AP_STORE', 'the event could not be stored; retry later', undefined, {
    cause: error,
  });
}
