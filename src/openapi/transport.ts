/**
 * One HTTP exchange with undici. Never rejects: whatever happens is returned as a RawAnswer
 * for classifyOutcome.
 */
import type { Dispatcher } from 'undici';
import type { RawAnswer } from './classify.ts';
import type { EnvelopeKind } from './operation.ts';

export interface Exchange {
  origin: string;
  /** Path and query string. */
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  envelope: EnvelopeKind;
}

/** Answers larger than this are cut off and reported instead of being buffered. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function exchange(dispatcher: Dispatcher, request: Exchange): Promise<RawAnswer> {
  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal,
      headersTimeout: request.headersTimeoutMs,
      bodyTimeout: request.bodyTimeoutMs,
    });
  } catch (error) {
    return { kind: 'network', error };
  }
  const { bytes, error } = await readBody(response.body);
  const answer: RawAnswer = {
    kind: 'http',
    status: response.statusCode,
    headers: response.headers,
    body: bytes.toString('utf8'),
    envelope: request.envelope,
  };
  if (request.envelope === 'binary-or-standard') answer.bytes = bytes;
  if (error !== undefined) answer.bodyError = error;
  return answer;
}

async function readBody(body: Dispatcher.ResponseData['body']): Promise<{ bytes: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_BODY_BYTES) {
        body.destroy();
        // undici's name for this condition, beside the other network error names (UND_ERR_SOCKET, …)
        // the answer keeps: not one of our AP_ codes, which the engine reports as an error's code.
        return { bytes: Buffer.alloc(0), error: { code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE' } };
      }
      chunks.push(buffer);
    }
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
  return { bytes: Buffer.concat(chunks) };
}
