/**
 * Verifying one delivery from the Lark/Feishu Open Platform (event subscriptions, and card
 * callbacks, which Lark encrypts and signs the same way). Pure: the clock comes in as `now`.
 *
 * - No verification token configured: every delivery is refused.
 * - An encrypt key configured: the body must be `{"encrypt": …}`, and must carry a fresh
 *   `X-Lark-Signature`; a plaintext body, a missing or wrong signature, or a timestamp outside
 *   the tolerance is 401. The one exception is Lark's own `url_verification` challenge, which
 *   Lark sends encrypted (so only a holder of the key could make it) and may send unsigned.
 * - The verification token inside the (decrypted) body is compared in constant time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AutopilotError } from '../../errors.ts';
import { parseJsonBody } from '../http/parse-json.ts';
import { tokenMatches } from '../http/token-match.ts';
import { decryptLarkPayload, signatureMatches } from './lark-crypto.ts';

export interface LarkVerification {
  /** LARK_VERIFICATION_TOKEN; without one every delivery is refused. */
  verificationToken: string | undefined;
  /** LARK_ENCRYPT_KEY: when set, deliveries must be encrypted and signed. */
  encryptKey: string | undefined;
  now: number;
  /** How far the signed timestamp may be from `now` (`intake.timestampToleranceMs`). */
  timestampToleranceMs: number;
}

export interface LarkRequest {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (the signature covers these bytes). */
  body: Buffer;
}

type Obj = Record<string, unknown>;

/** Returns the delivery's JSON body, decrypted; throws AP_UNAUTHORIZED or AP_BAD_REQUEST. */
export function verifyLarkDelivery(request: LarkRequest, check: LarkVerification): unknown {
  if (!check.verificationToken) {
    throw unauthorized('the chat bot is not configured: set LARK_VERIFICATION_TOKEN');
  }
  const parsed = parseJsonBody(request.body);
  const body = check.encryptKey ? openSealed(request, parsed, check.encryptKey, check) : openPlain(parsed);
  if (!tokenMatches(tokenOf(body), [check.verificationToken])) {
    throw unauthorized('verification token is missing or does not match');
  }
  return body;
}

function openSealed(
  request: LarkRequest,
  parsed: unknown,
  encryptKey: string,
  check: LarkVerification,
): unknown {
  const encrypted = (parsed as Obj | null)?.encrypt;
  if (typeof encrypted !== 'string') {
    throw unauthorized('LARK_ENCRYPT_KEY is set: a delivery must be encrypted ({"encrypt": …})');
  }
  const signature = header(request.headers, 'x-lark-signature');
  if (signature !== undefined) {
    // Checked before decrypting, so only a holder of the key learns why a body does not decrypt.
    checkSignature(request, signature, encryptKey, check);
    return parseJsonBody(Buffer.from(decryptLarkPayload(encrypted, encryptKey), 'utf8'));
  }
  // Unsigned: only a challenge may pass. Every other outcome, a body that does not decrypt
  // included, is the same 401: different answers would make a padding oracle of AES-CBC.
  const challenge = unsignedChallenge(encrypted, encryptKey);
  if (challenge === undefined) {
    throw unauthorized(
      'X-Lark-Signature is missing: with LARK_ENCRYPT_KEY set every delivery must be signed',
    );
  }
  return challenge;
}

function unsignedChallenge(encrypted: string, encryptKey: string): unknown {
  try {
    const body = parseJsonBody(Buffer.from(decryptLarkPayload(encrypted, encryptKey), 'utf8'));
    return (body as Obj | null)?.type === 'url_verification' ? body : undefined;
  } catch (error) {
    if (error instanceof AutopilotError) return undefined;
    throw error;
  }
}

function openPlain(parsed: unknown): unknown {
  if ((parsed as Obj | null)?.encrypt !== undefined) {
    throw new AutopilotError('AP_BAD_REQUEST', 'the body is encrypted but LARK_ENCRYPT_KEY is not set');
  }
  return parsed;
}

function checkSignature(
  request: LarkRequest,
  signature: string,
  encryptKey: string,
  check: LarkVerification,
): void {
  const timestamp = header(request.headers, 'x-lark-request-timestamp') ?? '';
  const nonce = header(request.headers, 'x-lark-request-nonce') ?? '';
  if (!signatureMatches(signature, { timestamp, nonce, body: request.body }, encryptKey)) {
    throw unauthorized('X-Lark-Signature does not match the body and encrypt key');
  }
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isFinite(seconds) || Math.abs(check.now - seconds * 1000) > check.timestampToleranceMs) {
    throw unauthorized('X-Lark-Request-Timestamp is missing or too far from now');
  }
}

/** v2.0 events carry the token in `header`, the url_verification challenge at the top. */
function tokenOf(body: unknown): unknown {
  const root = body as Obj | null;
  const inHeader = (root?.header as Obj | undefined)?.token;
  return typeof root?.header === 'object' && root.header !== null ? inHeader : root?.token;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unauthorized(message: string): AutopilotError {
  return new AutopilotError('AP_UNAUTHORIZED', message);
}
