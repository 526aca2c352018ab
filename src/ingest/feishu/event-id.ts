import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so two deliveries of the same body hash alike whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([key, v]) => key !== 'token' && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? 'null';
}

/**
 * The uuid of a delivery that carries none (legacy format): a hash of the body, so a
 * re-delivery of the same body is recognised as a duplicate. Any `token` key is left out so
 * the id never depends on (or leaks anything about) the secret.
 */
export function bodyHashId(body: unknown): string {
  return `body-${createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 32)}`;
}
