import { AutopilotError } from '../../errors.ts';
import { parseJson } from '../../openapi/json.ts';

/**
 * Parses a webhook body without losing big integer ids (the same parser as API answers: ids
 * become strings). An empty or malformed body is the client's error.
 */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw new AutopilotError('AP_BAD_REQUEST', 'body is empty; a JSON document is expected');
  try {
    return parseJson(text);
  } catch (error) {
    throw new AutopilotError('AP_BAD_REQUEST', `body is not valid JSON: ${(error as Error).message}`);
  }
}
