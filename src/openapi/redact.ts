/**
 * Keeps tokens and secrets out of errors, logs and outcomes. Known secrets (the plugin secret,
 * cached tokens) are replaced wherever they appear; token-shaped strings (`p-…`, `u-…`, `v-…`
 * UUIDs, the shape of plugin, user and virtual tokens) are replaced even when not known.
 */

export const REDACTED = '[REDACTED]';

const TOKEN_SHAPE = /\b[puv]-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4,12}\b/gi;

/** Returns a copy of `value` with every secret replaced; non-string leaves are kept as they are. */
export function redact<T>(value: T, secrets: Iterable<string> = []): T {
  return redactValue(value, usable(secrets)) as T;
}

export function redactText(text: string, secrets: Iterable<string> = []): string {
  return replaceSecrets(text, usable(secrets));
}

function replaceSecrets(text: string, known: readonly string[]): string {
  let out = text;
  for (const secret of known) out = out.split(secret).join(REDACTED);
  return out.replace(TOKEN_SHAPE, REDACTED);
}

/** Longest first, so a secret containing another is replaced whole; very short strings are not secrets. */
function usable(secrets: Iterable<string>): string[] {
  return [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return replaceSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets));
  if (value === null || typeof value !== 'object' || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && typeof item === 'string' ? REDACTED : redactValue(item, secrets);
  }
  return out;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Fields whose value is a credential whatever it looks like (token endpoint answers, headers). */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase();
  return k === 'token' || k.endsWith('_token') || k.endsWith('secret') || k === 'x-plugin-token';
}
