import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Event } from '../events/event.ts';
import type { Run } from '../plan/run.ts';
import type { AuditStore } from '../store/ports.ts';

/**
 * OpenTelemetry spans for one event's story: `event.stored` → `event.matched` → `run` → one
 * `api <operation>` span per API attempt. Off unless an OTLP endpoint is configured; off, every
 * method is free and nothing of OpenTelemetry is loaded.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** A delivery was stored for the first time (redeliveries add nothing). */
  eventStored(event: Event): void;
  /** Times matching and planning of one stored event. */
  matched(event: Event, process: () => Promise<Run[]>): Promise<Run[]>;
  /** Runs and attempts become spans as their audit records are written. */
  audit(store: AuditStore): AuditStore;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

export const NO_TRACING: Tracing = {
  enabled: false,
  eventStored: () => {},
  matched: (_event, process) => process(),
  audit: (store) => store,
  shutdown: async () => {},
};

/** Where spans go: the traces endpoint, or the OTLP base endpoint + `/v1/traces`. */
export function tracesUrl(tracing: Config['tracing']): string | undefined {
  if (tracing.tracesEndpoint) return tracing.tracesEndpoint;
  if (tracing.endpoint) return `${tracing.endpoint.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

export async function startTracing(
  config: Readonly<Config>,
  log: Logger,
  now: () => number,
): Promise<Tracing> {
  const url = tracesUrl(config.tracing);
  if (url === undefined) return NO_TRACING;
  const { createOtelTracing } = await import('./otel-tracing.ts');
  return createOtelTracing({
    url,
    headers: config.tracing.headers,
    serviceName: config.tracing.serviceName,
    profile: config.profile,
    log,
    now,
  });
}
