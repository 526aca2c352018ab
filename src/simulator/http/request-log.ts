/** Every request the simulator answered, with secrets redacted, for /_sim/requests and tests. */
import { redactToken } from './tokens.ts';

export interface RequestRecord {
  seq: number;
  time: number;
  method: string;
  path: string;
  /** Catalogue id of the matched operation (e.g. `workItem.create`), or `lark.*`. */
  route: string;
  headers: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
  err_code?: number;
  err_msg?: string;
  /** `answered`, or the chaos fault that replaced the answer. */
  outcome: 'answered' | 'reset' | 'lost' | 'http5xx' | 'error50006';
  idempotency_key?: string;
  duration_ms: number;
}

export interface RequestFilter {
  route?: string;
  method?: string;
  path?: string;
  err_code?: number;
  outcome?: string;
  since_seq?: number;
}

const SECRET_HEADERS = new Set(['x-plugin-token', 'authorization', 'x-plug-in-token']);
const SECRET_BODY_KEYS = new Set(['plugin_secret', 'app_secret', 'refresh_token', 'code']);

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (!SECRET_HEADERS.has(name)) out[name] = text;
    else out[name] = text.startsWith('Bearer ') ? `Bearer ${redactToken(text.slice(7))}` : redactToken(text);
  }
  return out;
}

export function redactBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [
      k,
      SECRET_BODY_KEYS.has(k) && typeof v === 'string' ? redactToken(v) : v,
    ]),
  );
}

/** Keeps the most recent records only, so long benchmark runs do not grow without bound. */
export class RequestLog {
  private records: RequestRecord[] = [];
  private seq = 0;
  private readonly max: number;

  constructor(max = 100_000) {
    this.max = max;
  }

  add(record: Omit<RequestRecord, 'seq'>): RequestRecord {
    this.seq += 1;
    const full = { seq: this.seq, ...record };
    this.records.push(full);
    if (this.records.length > this.max) this.records.splice(0, this.records.length - this.max);
    return full;
  }

  list(filter: RequestFilter = {}): RequestRecord[] {
    return this.records.filter(
      (r) =>
        (filter.route === undefined || r.route === filter.route) &&
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.path === undefined || r.path.startsWith(filter.path)) &&
        (filter.err_code === undefined || r.err_code === filter.err_code) &&
        (filter.outcome === undefined || r.outcome === filter.outcome) &&
        (filter.since_seq === undefined || r.seq > filter.since_seq),
    );
  }

  clear(): void {
    this.records = [];
  }
}
