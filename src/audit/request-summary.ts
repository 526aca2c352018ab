/**
 * What the audit keeps of a request: enough to tell what was asked, never a secret. Calls carry
 * no token (the client adds headers), but bodies may hold user-provided values whose keys say
 * they are credentials; those are masked, and long bodies are cut.
 */
import type { ApiCall } from '../plan/run.ts';

const SECRET_KEY = /token|secret|password|passwd|authorization|cookie|api[-_]?key/i;
const MAX_BODY_CHARS = 500;

export interface RequestSummary {
  operation: string;
  method: string;
  path: string;
  write: boolean;
  query?: Record<string, string>;
  /** The body as JSON, secrets masked, cut at 500 characters. */
  body?: string;
}

export function summarizeRequest(call: ApiCall): RequestSummary {
  const summary: RequestSummary = {
    operation: call.operation,
    method: call.method,
    path: call.path,
    write: call.write,
  };
  if (call.query) summary.query = maskSecrets(call.query) as Record<string, string>;
  if (call.body !== undefined) summary.body = cut(JSON.stringify(maskSecrets(call.body)) ?? '');
  return summary;
}

export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : maskSecrets(v)]),
  );
}

function cut(text: string): string {
  return text.length <= MAX_BODY_CHARS ? text : `${text.slice(0, MAX_BODY_CHARS)}… (${text.length} chars)`;
}
