/**
 * The two checks Lark's event subscription offers when an encrypt key is set: the body comes as
 * `{"encrypt": "<base64>"}` (AES-256-CBC, key = SHA-256 of the encrypt key, the first 16 bytes
 * of the decoded data are the IV, PKCS#7 padding), and each request is signed with
 * `X-Lark-Signature` = hex SHA-256 of timestamp + nonce + encrypt key + raw body.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AutopilotError } from '../../errors.ts';

const IV_BYTES = 16;

function keyOf(encryptKey: string): Buffer {
  return createHash('sha256').update(encryptKey, 'utf8').digest();
}

/** The plaintext of an `encrypt` field; AP_BAD_REQUEST when it is not ours or is damaged. */
export function decryptLarkPayload(encrypted: string, encryptKey: string): string {
  const data = Buffer.from(encrypted, 'base64');
  if (data.length <= IV_BYTES || (data.length - IV_BYTES) % 16 !== 0) {
    throw new AutopilotError(
      'AP_BAD_REQUEST',
      'encrypted payload is not valid: wrong length for AES-256-CBC',
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-cbc', keyOf(encryptKey), data.subarray(0, IV_BYTES));
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new AutopilotError(
      'AP_BAD_REQUEST',
      'encrypted payload could not be decrypted: check LARK_ENCRYPT_KEY against the app settings',
    );
  }
}

/** What Lark does, for tests and the demo: a fresh random IV before the ciphertext. */
export function encryptLarkPayload(
  plaintext: string,
  encryptKey: string,
  iv = randomBytes(IV_BYTES),
): string {
  const cipher = createCipheriv('aes-256-cbc', keyOf(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export interface SignatureParts {
  timestamp: string;
  nonce: string;
  body: Buffer;
}

export function larkSignature(parts: SignatureParts, encryptKey: string): string {
  return createHash('sha256')
    .update(parts.timestamp, 'utf8')
    .update(parts.nonce, 'utf8')
    .update(encryptKey, 'utf8')
    .update(parts.body)
    .digest('hex');
}

/** Constant-time comparison of the presented signature with the expected one. */
export function signatureMatches(presented: string, parts: SignatureParts, encryptKey: string): boolean {
  const expected = Buffer.from(larkSignature(parts, encryptKey), 'utf8');
  const given = Buffer.from(presented.trim().toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
