/**
 * Keeps the values of `{{secrets.*}}` out of everything the executor keeps: the answers of the
 * calls that carried them (a server echoing its Authorization header), step results, run errors
 * and dead letters, and audit records (and so the traces and logs fed from them). Each value is
 * replaced by `***` wherever it appears in a text, as written, JSON-escaped or URL-encoded.
 */
import { AutopilotError } from '../errors.ts';
import type { ApiCaller } from '../openapi/types.ts';
import type { AuditStore } from '../store/ports.ts';

export const SECRET_MASK = '***';

export interface SecretRedactor {
  /** A copy of a value with every secret replaced; values without a secret come back as they are. */
  redact<T>(value: T): T;
  /** Whether a secret appears anywhere in the value (a call that carries one). */
  carries(value: unknown): boolean;
}

/** The redaction of these secret values, or undefined when there is none to hide. */
export function secretRedactor(secrets: Iterable<string>): SecretRedactor | undefined {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    variants.add(secret);
    variants.add(JSON.stringify(secret).slice(1, -1));
    variants.add(encodeURIComponent(secret));
  }
  if (variants.size === 0) return undefined;
  // Longest first: a secret that contains another is replaced whole.
  const ordered = [...variants].sort((a, b) => b.length - a.length);
  const text = (value: string): string => {
    let out = value;
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object' || !isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [text(key), walk(item)]));
  };
  const found = (value: unknown): boolean => {
    if (typeof value === 'string') return ordered.some((secret) => value.includes(secret));
    if (Array.isArray(value)) return value.some(found);
    if (value === null || typeof value !== 'object') return false;
    return Object.entries(value).some(([key, item]) => found(key) || found(item));
  };
  return { redact: <T>(value: T) => walk(value) as T, carries: found };
}

/**
 * The answers of the calls that carry a secret (in a header or the body), redacted before anyone
 * reads them; other calls cannot echo one and are passed through untouched.
 */
export function redactingCaller(api: ApiCaller, secrets: SecretRedactor): ApiCaller {
  return {
    async call(call, options) {
      if (!secrets.carries(call)) return api.call(call, options);
      try {
        return secrets.redact(await api.call(call, options));
      } catch (error) {
        throw redactedError(error, secrets);
      }
    },
    dropToken: () => api.dropToken(),
    tokenKey: () => api.tokenKey(),
  };
}

/** Every audit record, redacted before it is stored (or traced, logged, shown live). */
export function redactingAudit(store: AuditStore, secrets: SecretRedactor): AuditStore {
  return {
    record: (entries) => store.record(secrets.redact(entries)),
    query: (q) => store.query(q),
    purge: (olderThan) => store.purge(olderThan),
  };
}

/**
 * The same error with the secrets out of its message and details (the executor keeps a thrown
 * error's message as the run's error); code and name stay, for the retry policy.
 */
export function redactedError(error: unknown, secrets: SecretRedactor): unknown {
  if (!(error instanceof Error)) return secrets.redact(error);
  if (error instanceof AutopilotError) {
    const details = error.details && secrets.redact({ ...error.details });
    return new AutopilotError(error.code, secrets.redact(error.message), details);
  }
  const copy = new Error(secrets.redact(error.message));
  copy.name = error.name;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
