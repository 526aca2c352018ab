import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { AutopilotError } from '../../errors.ts';

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Reads a request body as bytes, decompressing it first, and refuses it as soon as the
 * *decompressed* size passes `limit` — a small gzip bomb never inflates past the limit in memory.
 * The compressed stream is capped at the same limit too.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const makeDecoder = encoding === 'identity' || encoding === '' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && encoding !== '' && !makeDecoder) {
    throw new AutopilotError('AP_UNSUPPORTED_MEDIA_TYPE', `content-encoding '${encoding}' is not supported`);
  }
  if (!makeDecoder) return readPlain(req, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  let compressed = 0;
  const source = req.pipe(makeDecoder());
  req.on('data', (chunk: Buffer) => {
    compressed += chunk.length;
    if (compressed > limit) source.destroy(tooLarge(limit));
  });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof AutopilotError) throw error;
    throw unreadable(error as Error);
  } finally {
    req.unpipe();
  }
  return Buffer.concat(chunks, size);
}

/**
 * An uncompressed body, read with plain listeners: the async iterator costs several promises and
 * an end-of-stream watcher per request, on the intake's hot path (bench/intake.bench.ts). Past
 * the limit the rest is no longer kept; the caller drains it.
 */
function readPlain(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: AutopilotError | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(undefined);
    const onError = (error: Error) => settle(unreadable(error));
    // The client went away before the end of its body.
    const onClose = () => settle(unreadable(new Error('Premature close')));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function unreadable(error: Error): AutopilotError {
  return new AutopilotError('AP_BAD_REQUEST', `body could not be read: ${error.message}`);
}

function tooLarge(limit: number): AutopilotError {
  return new AutopilotError(
    'AP_PAYLOAD_TOO_LARGE',
    `body is larger than ${limit} bytes (after decompression)`,
  );
}

/** JSON only: `application/json` or `application/<x>+json`, with any charset. */
export function requireJson(req: IncomingMessage): void {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (!type || !/^application\/([a-z0-9.+-]+\+)?json$/.test(type)) {
    throw new AutopilotError(
      'AP_UNSUPPORTED_MEDIA_TYPE',
      `content-type must be application/json, got '${type || 'none'}'`,
    );
  }
}
