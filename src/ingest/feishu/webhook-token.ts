import { asObject, asString } from './read.ts';

/** Node's IncomingHttpHeaders, a plain record, or a fetch `Headers`. */
export type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

/** The legacy format delivers the token in this HTTP header (webhooks.md §1). */
export const LEGACY_TOKEN_HEADER = 'x-plug-in-token';

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof headers.get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The token a delivery claims, for the route to compare with its configured secret:
 * `header.token` in the new format, the `X-Plug-In-Token` HTTP header in the legacy one.
 * Returns undefined when there is none. Never log the result.
 */
export function extractWebhookToken(body: unknown, headers: HeaderBag): string | undefined {
  const fromBody = asString(asObject(asObject(body)?.header)?.token);
  return fromBody ?? asString(header(headers, LEGACY_TOKEN_HEADER));
}
