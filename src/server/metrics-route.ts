import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { AutopilotError } from '../errors.ts';
import { notFound, sendError } from '../ingest/http/http-errors.ts';
import { hasBearer, refuseUnauthorized } from './bearer-auth.ts';

/**
 * GET /metrics in the Prometheus text format, behind a bearer token when one is configured.
 * Plain node:http: served by the main app, or alone on the metrics listener.
 */
export function metricsHandler(registry: Registry, token: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (token !== undefined && !hasBearer(req, token)) {
      refuseUnauthorized(res, '/metrics needs a valid bearer token');
      return;
    }
    const text = await registry.metrics();
    res.statusCode = 200;
    res.setHeader('Content-Type', registry.contentType);
    res.end(text);
  };
}

/** The whole request listener of the metrics port: `/metrics` and nothing else. */
export function metricsListener(registry: Registry, token: string | undefined) {
  const handle = metricsHandler(registry, token);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendError(res, new AutopilotError('AP_INTERNAL', 'internal error'));
        else res.destroy();
      });
    } else {
      notFound(req, res);
    }
  };
}
