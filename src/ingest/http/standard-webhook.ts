import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verification of Standard Webhooks signatures: the signed content is
 * `${webhook-id}.${webhook-timestamp}.${raw body}`, HMAC-SHA256, base64, sent as
 * `webhook-signature: v1,<sig> [v1,<sig> …]`. Secrets `whsec_<base64>` are decoded; other
 * secrets are used as raw bytes. Pure: the clock is passed in.
 */
export type SignatureCheck =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

export interface SignedHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

export function verifyStandardWebhook(
  headers: SignedHeaders,
  body: Buffer,
  secrets: readonly string[],
  nowMs: number,
  toleranceMs: number,
): SignatureCheck {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing_headers' };
  const seconds = Number(timestamp);
  if (Math.abs(nowMs - seconds * 1000) > toleranceMs) return { ok: false, reason: 'stale_timestamp' };
  const offered = signature
    .split(' ')
    .map((part) => part.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value as string, 'base64'));
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  for (const secret of secrets) {
    const expected = createHmac('sha256', secretKey(secret)).update(content).digest();
    if (
      offered.some(
        (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
      )
    ) {
      return { ok: true, id, timestamp: seconds };
    }
  }
  return { ok: false, reason: 'bad_signature' };
}

export function signStandardWebhook(
  id: string,
  timestampSeconds: number,
  body: string | Buffer,
  secret: string,
): string {
  const content = Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`), Buffer.from(body)]);
  return `v1,${createHmac('sha256', secretKey(secret)).update(content).digest('base64')}`;
}

function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
}
