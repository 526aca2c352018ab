/**
 * The engine's HTTP server with its connection limits: a client that sends its headers too slowly
 * (or nothing at all), trickles its body, or keeps an idle connection open is cut off, and
 * connections beyond the cap are closed as they arrive, so slow or greedy clients cannot hold the
 * process's sockets and memory.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

export interface ConnectionLimits {
  /** Time to receive a request's headers, from the connection or the end of the previous request. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body; answered 408, then closed. */
  requestTimeoutMs: number;
  /** How long a kept-alive connection may sit idle between requests. */
  idleTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  limits: ConnectionLimits;
  /** A connection was closed on arrival because `maxConnections` were open. */
  onDropped?: () => void;
}

export function listenHttp(handler: RequestListener, options: HttpServerOptions): Promise<Server> {
  const { limits } = options;
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // Node checks the two request timeouts on this interval (30 s by default), which would let a
      // slow client overstay them by that much.
      connectionsCheckingInterval: checkingInterval(limits),
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => options.onDropped?.());
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** A quarter of the shorter request timeout, between 10 ms and 1 s. */
function checkingInterval(limits: ConnectionLimits): number {
  const shorter = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return Math.min(1000, Math.max(10, Math.floor(shorter / 4)));
}
