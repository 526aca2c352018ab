/**
 * The engine's HTTP listeners: the app (webhooks, chat, admin API, dashboard, and `/metrics`
 * unless it has a port of its own) and, when `metrics.port` is set, a listener serving only
 * `/metrics`. Both are observed (request durations, access log) and keep the server limits.
 */
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { AutopilotError } from '../errors.ts';
import type { Metrics } from '../ops/metrics.ts';
import { observeHttp } from '../server/http-observer.ts';
import { listenHttp } from '../server/http-server.ts';
import { metricsListener } from '../server/metrics-route.ts';

export interface EngineListeners {
  url: string;
  /** Where `/metrics` answers: `url`, or the metrics port's own address. */
  metricsUrl: string;
  close(): Promise<void>;
}

export async function listenEngine(
  app: RequestListener,
  deps: {
    config: Readonly<Config>;
    metrics: Pick<Metrics, 'httpDuration' | 'connectionsDropped' | 'registry'>;
    log: Logger;
  },
): Promise<EngineListeners> {
  const { config, metrics } = deps;
  const observed = { duration: metrics.httpDuration, log: deps.log };
  const listen = (handler: RequestListener, host: string, port: number, settings: ListenSettings) =>
    listenHttp(observeHttp(handler, observed), {
      host,
      port,
      limits: config.server,
      onDropped: () => metrics.connectionsDropped.inc(),
    }).catch((error: unknown) => {
      throw listenError(error, host, port, settings);
    });
  const server = await listen(app, config.host, config.port, { host: 'HOST', port: 'PORT' });
  const metricsHost = config.metrics.host ?? config.host;
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : await listen(
          metricsListener(metrics.registry, config.metrics.token),
          metricsHost,
          config.metrics.port,
          { host: 'METRICS_HOST', port: 'METRICS_PORT' },
        ).catch((error: unknown) => {
          server.close();
          throw error;
        });
  const url = urlOf(server, config.host);
  return {
    url,
    metricsUrl: metricsServer ? urlOf(metricsServer, metricsHost) : url,
    async close() {
      await closeServer(server);
      if (metricsServer) await closeServer(metricsServer);
    },
  };
}

/** The variables that set a listener's address, for the message that says which to change. */
interface ListenSettings {
  host: string;
  port: string;
}

const LISTEN_REFUSALS: Record<string, { why: string; change: keyof ListenSettings }> = {
  EADDRINUSE: { why: 'the port is in use', change: 'port' },
  EACCES: { why: 'the port is not permitted to this user', change: 'port' },
  EADDRNOTAVAIL: { why: 'the address is not one of this machine', change: 'host' },
};

/** An operator's problem, said as one (AP_LISTEN, exit 1), not an internal error with a stack. */
function listenError(error: unknown, host: string, port: number, settings: ListenSettings): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  const refusal = code === undefined ? undefined : LISTEN_REFUSALS[code];
  if (refusal === undefined) return error;
  const message = `cannot listen on ${host}:${port}: ${refusal.why} (${code}); choose another with ${settings[refusal.change]}`;
  return new AutopilotError('AP_LISTEN', message, { host, port }, { cause: error });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}
