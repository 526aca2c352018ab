/**
 * Tolerant readers for webhook payloads. Feishu's payload shapes are only partly documented
 * (see feishu-project-api/webhooks.md §4), so every reader accepts the variants seen in the
 * wild and returns `undefined` instead of throwing on anything unexpected.
 */

export type Obj = Record<string, unknown>;

export function asObject(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Ids arrive as numbers, strings, bigints or lossless-json numbers (`{isLosslessNumber, value}`);
 * they can exceed 2^53, so the engine keeps them as strings.
 */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return value.toString();
  const lossless = asObject(value);
  if (lossless?.isLosslessNumber === true && typeof lossless.value === 'string') return lossless.value;
  return undefined;
}

/** A number, or a numeric string / lossless number. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const text = asId(value);
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Epoch milliseconds; 10-digit second timestamps are scaled up, zero means "unset". */
export function asMillis(value: unknown): number | undefined {
  const n = asNumber(value);
  if (n === undefined || n <= 0) return undefined;
  return n < 1e12 ? n * 1000 : n;
}

/** The first of `keys` that `read` accepts. */
export function pick<T>(
  source: Obj | undefined,
  keys: readonly string[],
  read: (v: unknown) => T | undefined,
) {
  if (!source) return undefined;
  for (const key of keys) {
    const value = read(source[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

export function pickString(source: Obj | undefined, ...keys: string[]): string | undefined {
  return pick(source, keys, asString);
}

export function pickId(source: Obj | undefined, ...keys: string[]): string | undefined {
  return pick(source, keys, asId);
}

export function pickObject(source: Obj | undefined, ...keys: string[]): Obj | undefined {
  return pick(source, keys, asObject);
}

/** Present (even when null): used to read "from" values where null is a meaningful old value. */
export function pickPresent(source: Obj | undefined, ...keys: string[]): { value: unknown } | undefined {
  if (!source) return undefined;
  for (const key of keys) if (key in source) return { value: source[key] };
  return undefined;
}

/** Drops undefined properties so changes print and compare cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
