import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { AutopilotError, isAutopilotError } from '../../errors.ts';

/** The one shape of an error answer: `{ error: { code, message } }` with the catalogue's status. */
export function sendError(res: Response, error: AutopilotError): void {
  res.status(error.status).json({ error: { code: error.code, message: error.message } });
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
    res
      .status(status)
      .json({ error: { code, message: status >= 500 ? 'internal error' : String(error.message) } });
  };
}

export function wrapStoreError(error: unknown): AutopilotError {
  if (isAutopilotError(error)) return error;
  return new AutopilotError('AP_STORE', 'the event could not be stored; retry later', undefined, {
    cause: error,
  });
}
