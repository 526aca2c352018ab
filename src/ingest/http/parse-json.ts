import { AutopilotError } from '../../errors.ts';
import { parseJson } from '../../openapi/json.ts';

/**
 * Deepest nesting of arrays and objects a webhook body may have. Real payloads stay under 10;
 * far deeper documents parse, but storing them (JSON.stringify) and matching them recurse once
 * per level and overflow the stack, which turned a client's bad body into a 500.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * Parses a webhook body without losing big integer ids (the same parser as API answers: ids
 * become strings). An empty, malformed or too deeply nested body is the client's error.
 */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw new AutopilotError('AP_BAD_REQUEST', 'body is empty; a JSON document is expected');
  if (nestingDepth(text) > MAX_BODY_DEPTH) {
    throw new AutopilotError('AP_BAD_REQUEST', `body is nested deeper than ${MAX_BODY_DEPTH} levels`);
  }
  try {
    return parseJson(text);
  } catch (error) {
    throw new AutopilotError('AP_BAD_REQUEST', `body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Deepest bracket nesting outside strings, found in one pass without parsing. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}
