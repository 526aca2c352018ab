import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { PROBE_ROUTES, routeLabel } from './route-label.ts';

export interface HttpObserverDeps {
  /** `autopilot_http_request_duration_seconds`. */
  duration: Histogram<'route' | 'method' | 'status'>;
  log: Logger;
}

/** Query parameters whose values never reach the log (a sender may put a token in the URL). */
const SECRET_PARAM = /token|secret|key|sig|pass|auth|credential/i;
const MAX_LOGGED_URL = 2_000;

/**
 * Wraps a server's request listener: every request, whichever handler answers it, is timed into
 * the duration histogram and written as one access log line (method, redacted URL, route,
 * status, duration; never a body or a header value). Probes and scrapes log at `debug`.
 */
export function observeHttp(listener: RequestListener, deps: HttpObserverDeps): RequestListener {
  return (req, res) => {
    const started = process.hrtime.bigint();
    // Read now: by the time the answer is closed the socket may be gone.
    const remoteAddress = req.socket.remoteAddress;
    res.once('close', () => {
      try {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const route = routeLabel(path);
        const method = knownMethod(req.method);
        deps.duration.observe({ route, method, status: String(res.statusCode) }, seconds);
        accessLog(deps.log, req, res, { route, method, seconds, remoteAddress });
      } catch (error) {
        // Observing a request must never take the server down with it.
        deps.log.error({ err: error }, 'request not observed');
      }
    });
    listener(req, res);
  };
}

interface Served {
  route: string;
  method: string;
  seconds: number;
  remoteAddress: string | undefined;
}

function accessLog(log: Logger, req: IncomingMessage, res: ServerResponse, served: Served): void {
  const { route, method, seconds, remoteAddress } = served;
  const level = PROBE_ROUTES.has(route) ? 'debug' : 'info';
  if (!log.isLevelEnabled(level)) return;
  const line = {
    req: {
      method,
      url: redactUrl(req.url ?? '/'),
      remoteAddress,
      userAgent: req.headers['user-agent']?.slice(0, 200),
    },
    res: { statusCode: res.statusCode },
    route,
    durationMs: Math.round(seconds * 1e6) / 1e3,
    // The client went away before the whole answer was written.
    ...(res.writableFinished ? {} : { aborted: true }),
  };
  log[level](line, 'request');
}

/** Methods outside the standard set share one label: a client cannot grow the label set. */
function knownMethod(method: string | undefined): string {
  const upper = (method ?? 'GET').toUpperCase();
  return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(upper) ? upper : 'OTHER';
}

export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  const clipped = (text: string) =>
    text.length > MAX_LOGGED_URL ? `${text.slice(0, MAX_LOGGED_URL)}…` : text;
  if (at === -1) return clipped(url);
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SECRET_PARAM.test(decodeSafely(key)) ? `${key}=[redacted]` : pair;
    })
    .join('&');
  return clipped(`${url.slice(0, at)}?${query}`);
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
