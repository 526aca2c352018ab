import { isSafeNumber, parse } from 'lossless-json';
import { AutopilotError } from '../../errors.ts';

/**
 * JSON.parse that keeps integers beyond 2^53 exact by turning them into strings (Feishu ids can
 * have 19 digits). Other numbers stay numbers.
 */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw new AutopilotError('AP_BAD_REQUEST', 'body is empty; a JSON document is expected');
  try {
    return parse(text, null, (value: string) => (isSafeNumber(value) ? Number(value) : value));
  } catch (error) {
    throw new AutopilotError('AP_BAD_REQUEST', `body is not valid JSON: ${(error as Error).message}`);
  }
}
