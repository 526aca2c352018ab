import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { traceIdOf } from '../ops/trace-ids.ts';

/** Header and field names whose values are never logged. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-plugin-token"]',
  'req.headers["x-plug-in-token"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'headers["x-plugin-token"]',
  '*.token',
  '*.secret',
  '*.pluginSecret',
  '*.plugin_secret',
  '*.appSecret',
  '*.app_secret',
  '*.adminToken',
  '*.webhookTokens',
  '*.encryptKey',
  '*.password',
];

export interface LoggerOptions {
  level?: string;
  /** Secret values to scrub from every log line, wherever they appear (config secrets). */
  secrets?: readonly string[];
  destination?: NodeJS.WritableStream;
  /**
   * Lines about an event (those with an `eventId`) carry its `trace_id`, as exported with the
   * spans: on when tracing is. @defaultValue false
   */
  traceIds?: boolean;
}

/**
 * pino with two layers of protection: known secret fields are redacted by path, and every known
 * secret value is replaced wherever it shows up in a line (an error message that echoes a token).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const scrub = secrets.length === 0 ? undefined : makeScrubber(secrets);
  const destination = options.destination ?? process.stdout;
  const stream = scrub
    ? { write: (line: string) => destination.write(scrub(line)) }
    : (destination as unknown as { write(line: string): void });
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // pid and host on every line: several engines behind one load balancer log to one place.
      base: { service: 'fp-autopilot', pid: process.pid, hostname: hostname() },
      ...(options.traceIds ? { mixin: traceIdMixin } : {}),
    },
    stream,
  );
}

function traceIdMixin(fields: object): Record<string, string> {
  const eventId = (fields as { eventId?: unknown }).eventId;
  return typeof eventId === 'string' ? { trace_id: traceIdOf(eventId) } : {};
}

export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    variants.add(secret);
    // JSON-escaped form, as it appears inside a serialized log line.
    variants.add(JSON.stringify(secret).slice(1, -1));
  }
  const sorted = [...variants].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const secret of sorted) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
}
