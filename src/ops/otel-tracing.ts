/**
 * The OpenTelemetry side of src/ops/tracing.ts, loaded only when an OTLP endpoint is configured.
 * Spans are made after the fact from what the engine records (start and end times are known
 * then), with ids from src/ops/trace-ids.ts so that parents found in another process or after a
 * restart still link up.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  RandomIdGenerator,
  TracerProvider,
  type IdGenerator,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { Event } from '../events/event.ts';
import type { AuditRecord } from '../store/ports.ts';
import { ENGINE_VERSION } from './build-info.ts';
import { spanIdOf, traceIdOf } from './trace-ids.ts';
import type { Tracing } from './tracing.ts';

export interface OtelTracingOptions {
  /** Full URL of the OTLP/HTTP traces endpoint. */
  url: string;
  /** `name=value` pairs sent with every export (a collector's API key). */
  headers: readonly string[];
  serviceName: string;
  profile: string;
  log: Logger;
  now: () => number;
}

/** Time an export or the final flush may take: a collector that hangs must not hold a shutdown. */
const EXPORT_TIMEOUT_MS = 10_000;
const FAILURE_LOG_INTERVAL_MS = 60_000;
const GOOD_OUTCOMES = new Set(['ok', 'already_applied']);

export function createOtelTracing(options: OtelTracingOptions): Tracing {
  const ids = new ChosenIds();
  const exporter = loggingFailures(
    new OTLPTraceExporter({
      url: options.url,
      headers: headerMap(options.headers),
      timeoutMillis: EXPORT_TIMEOUT_MS,
    }),
    options.log,
    options.now,
  );
  const provider = new TracerProvider({
    idGenerator: ids,
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': ENGINE_VERSION,
      'service.instance.id': `${process.pid}`,
      'autopilot.profile': options.profile,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  const tracer = provider.getTracer('fp-autopilot', ENGINE_VERSION);

  /** One finished span whose ids and parent are known beforehand. */
  function emit(span: SpanSpec): void {
    const traceId = traceIdOf(span.eventId);
    const parent = span.parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: span.parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    ids.next = { traceId, spanId: span.spanId };
    let started;
    try {
      started = tracer.startSpan(
        span.name,
        {
          kind: span.kind ?? SpanKind.INTERNAL,
          startTime: new Date(span.start),
          attributes: span.attributes,
        },
        parent,
      );
    } finally {
      ids.next = undefined;
    }
    if (span.error) started.setStatus({ code: SpanStatusCode.ERROR, message: span.error });
    started.end(new Date(Math.max(span.end, span.start)));
  }

  return {
    enabled: true,
    eventStored(event) {
      const at = options.now();
      emit({
        name: 'event.stored',
        eventId: event.id,
        spanId: spanIdOf('stored', event.id),
        kind: SpanKind.SERVER,
        start: at,
        end: at,
        attributes: eventAttributes(event),
      });
    },
    async matched(event, process) {
      const start = options.now();
      let failure: unknown;
      try {
        const runs = await process();
        emit({
          name: 'event.matched',
          eventId: event.id,
          spanId: spanIdOf('matched', event.id),
          parentSpanId: spanIdOf('stored', event.id),
          start,
          end: options.now(),
          attributes: {
            ...eventAttributes(event),
            'autopilot.runs': runs.length,
            'autopilot.rule.ids': runs.map((run) => run.ruleId),
          },
        });
        return runs;
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        // A failed attempt gets an id of its own: the deterministic one belongs to the attempt
        // that planned the runs, which the runs' spans point at.
        if (failure !== undefined) {
          emit({
            name: 'event.matched',
            eventId: event.id,
            parentSpanId: spanIdOf('stored', event.id),
            start,
            end: options.now(),
            attributes: eventAttributes(event),
            error: (failure as Error)?.message ?? String(failure),
          });
        }
      }
    },
    audit(store) {
      return {
        async record(entries) {
          await store.record(entries);
          for (const entry of entries) {
            const span = spanOfRecord(entry);
            if (span) emit(span);
          }
        },
        query: (q) => store.query(q),
        purge: (olderThan) => store.purge(olderThan),
      };
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}

interface SpanSpec {
  name: string;
  eventId: string;
  /** Absent: a random one. */
  spanId?: string;
  parentSpanId?: string;
  kind?: SpanKind;
  start: number;
  end: number;
  attributes: Attributes;
  error?: string;
}

/** The run's own span when it ends, and one span per API attempt. */
function spanOfRecord(entry: AuditRecord): SpanSpec | undefined {
  if (!entry.eventId || !entry.runId) return undefined;
  const detail = entry.detail ?? {};
  const base = {
    'autopilot.event.id': entry.eventId,
    'autopilot.run.id': entry.runId,
    'autopilot.rule.id': entry.ruleId ?? '',
  };
  if (entry.kind === 'run.succeeded' || entry.kind === 'run.dead_lettered') {
    const error = detail.error as { code?: string; message?: string } | undefined;
    const state = entry.kind === 'run.dead_lettered' ? 'dead' : String(detail.state ?? 'succeeded');
    return {
      name: 'run',
      eventId: entry.eventId,
      spanId: spanIdOf('run', entry.runId),
      parentSpanId: spanIdOf('matched', entry.eventId),
      kind: SpanKind.CONSUMER,
      start: typeof detail.createdAt === 'number' ? detail.createdAt : entry.at,
      end: entry.at,
      attributes: {
        ...base,
        'autopilot.run.state': state,
        ...(error?.code ? { 'autopilot.error.code': error.code } : {}),
      },
      error: error ? `${error.code ?? 'error'}: ${error.message ?? ''}` : undefined,
    };
  }
  if (entry.kind === 'action.attempted') {
    const request = (detail.request ?? {}) as { operation?: string; method?: string };
    const outcome = (detail.outcome ?? {}) as {
      class?: string;
      errCode?: number;
      errMsg?: string;
      httpStatus?: number;
    };
    const duration = typeof detail.durationMs === 'number' ? detail.durationMs : 0;
    const operation = request.operation ?? 'unknown';
    return {
      name: `api ${operation}`,
      eventId: entry.eventId,
      parentSpanId: spanIdOf('run', entry.runId),
      kind: SpanKind.CLIENT,
      start: entry.at - duration,
      end: entry.at,
      attributes: {
        ...base,
        'autopilot.operation': operation,
        'autopilot.action.index': entry.actionIndex ?? -1,
        'autopilot.attempt': Number(detail.attempt ?? 0),
        'autopilot.outcome': outcome.class ?? 'unknown',
        'autopilot.decision': String(detail.decision ?? ''),
        'autopilot.err_code': outcome.errCode ?? 0,
        ...(request.method ? { 'http.request.method': request.method } : {}),
        ...(outcome.httpStatus ? { 'http.response.status_code': outcome.httpStatus } : {}),
      },
      error: GOOD_OUTCOMES.has(outcome.class ?? '')
        ? undefined
        : `${outcome.class}: ${outcome.errCode ?? ''} ${outcome.errMsg ?? ''}`.trim(),
    };
  }
  return undefined;
}

function eventAttributes(event: Event): Attributes {
  return {
    'autopilot.event.id': event.id,
    'autopilot.event.source': event.source,
    'autopilot.event.type': event.type,
    ...(event.workItem ? { 'autopilot.work_item.id': event.workItem.id } : {}),
    ...(event.projectKey ? { 'autopilot.project': event.projectKey } : {}),
  };
}

/**
 * Span ids chosen by the caller for the one span being started (startSpan is synchronous, so
 * nothing else can start a span in between); random ones otherwise.
 */
class ChosenIds implements IdGenerator {
  next: { traceId: string; spanId?: string } | undefined;
  readonly #random = new RandomIdGenerator();

  generateTraceId(): string {
    return this.next?.traceId ?? this.#random.generateTraceId();
  }

  generateSpanId(): string {
    return this.next?.spanId ?? this.#random.generateSpanId();
  }
}

function headerMap(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/** A collector that is down is an operator's concern: say so, at most once a minute. */
function loggingFailures(exporter: SpanExporter, log: Logger, now: () => number): SpanExporter {
  let lastLogged = -Infinity;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        // 0 is ExportResultCode.SUCCESS.
        if (result.code !== 0 && now() - lastLogged >= FAILURE_LOG_INTERVAL_MS) {
          lastLogged = now();
          log.warn({ err: result.error, spans: spans.length }, 'trace export failed; spans are dropped');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
