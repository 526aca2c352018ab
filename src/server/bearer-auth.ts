import type { IncomingMessage, ServerResponse } from 'node:http';
import { AutopilotError } from '../errors.ts';
import { sendError } from '../ingest/http/http-errors.ts';
import { tokenMatches } from '../ingest/http/token-match.ts';

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  return tokenMatches(header.startsWith('Bearer ') ? header.slice(7) : undefined, [token]);
}

/** 401 with the challenge a client needs to know which scheme to send. */
export function refuseUnauthorized(res: ServerResponse, message: string): void {
  res.setHeader('WWW-Authenticate', 'Bearer');
  sendError(res, new AutopilotError('AP_UNAUTHORIZED', message));
}

/** Express middleware: the next handlers run only with the bearer token. */
export function requireBearer(token: string, message: string) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (hasBearer(req, token)) next();
    else refuseUnauthorized(res, message);
  };
}
