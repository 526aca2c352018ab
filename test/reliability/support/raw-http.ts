/** Requests with exactly the bytes and headers a fuzzer chose (fetch would fix them up). */
import { Agent, request } from 'node:http';

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** The last connection failure, for the report. */
export let lastError: Error | undefined;

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** The answer's status, or 0 when the connection failed (a crash, or the server cut it). */
export function send(baseUrl: string, req: RawRequest, timeoutMs = 15_000): Promise<number> {
  const url = new URL(req.path, baseUrl);
  return new Promise((resolve) => {
    const outgoing = request(
      url,
      {
        method: req.method,
        // Node sends GET and DELETE bodies unframed unless told their length.
        headers: req.body ? { ...req.headers, 'content-length': String(req.body.length) } : req.headers,
        agent,
        timeout: timeoutMs,
      },
      (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
        answer.on('error', () => resolve(answer.statusCode ?? 0));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', (error) => {
      lastError = error;
      resolve(0);
    });
    outgoing.end(req.body);
  });
}
