/**
 * A raw TCP connection to an HTTP server, for tests of how the server treats slow, silent or
 * surplus clients: what it sent, and when it closed the connection, without timing anything.
 */
import { connect, type Socket } from 'node:net';

export interface SocketProbe {
  socket: Socket;
  /** Everything the server sent, once the connection is closed (by either side). */
  closed: Promise<string>;
  /** Resolves once what the server sent matches; rejects if the connection closes first. */
  received(pattern: RegExp): Promise<string>;
}

export function openSocket(url: string): Promise<SocketProbe> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('error', () => {}); // a reset is one way of being closed
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  const received = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => (pattern.test(text) ? resolve(text) : waiters.push(check));
      void closed.then(() =>
        pattern.test(text) ? resolve(text) : reject(new Error(`closed after: ${text}`)),
      );
      check();
    });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, closed, received }));
    socket.once('error', reject);
  });
}

/** Writes `filler` every `everyMs` for as long as the connection is open (a trickled body). */
export function trickle(probe: SocketProbe, filler = ' ', everyMs = 20): void {
  const timer = setInterval(() => {
    if (probe.socket.writable) probe.socket.write(filler);
  }, everyMs);
  void probe.closed.then(() => clearInterval(timer));
}

export const HEALTH_REQUEST = 'GET /healthz HTTP/1.1\r\nHost: engine\r\n\r\n';
