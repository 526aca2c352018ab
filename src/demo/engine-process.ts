/**
 * The real engine, as an operator runs it: `node --max-semi-space-size=16 src/cli/main.ts serve`
 * (SERVE_NODE_FLAGS, as the Dockerfile and `npm start` run it) in its own process,
 * configured only by environment variables, on a fixed port so it can be killed and restarted
 * in place. Its stdout and stderr are kept whole, to search for leaked secrets. Used by the
 * reliability suite and by the demo's approval that survives a kill -9.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SERVE_NODE_FLAGS } from '../ops/serve-node-flags.ts';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

export interface EngineProcess {
  url: string;
  pid: number;
  /** Everything the process wrote (stdout and stderr) since it started. */
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
  kill9(): Promise<void>;
  /** SIGTERM, then wait for a clean exit. */
  stop(): Promise<string>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export async function startEngineProcess(env: Record<string, string>, port: number): Promise<EngineProcess> {
  const child: ChildProcess = spawn(process.execPath, [...SERVE_NODE_FLAGS, MAIN, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      AUTOPILOT_QUIET: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString()));
  const exited = new Promise<string>((done) =>
    child.once('exit', (code, signal) => done(signal ?? String(code))),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, exited, () => chunks.join(''));
  return {
    url,
    pid: child.pid as number,
    output: () => chunks.join(''),
    exited,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function waitHealthy(url: string, exited: Promise<string>, output: () => string): Promise<void> {
  let gone: string | undefined;
  void exited.then((how) => (gone = how));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone !== undefined) throw new Error(`engine exited (${gone}) before it was healthy:\n${output()}`);
    try {
      const answer = await fetch(`${url}/healthz`);
      if (answer.ok) return;
    } catch {
      // Not listening yet: the process is still starting.
    }
    if (Date.now() > deadline) throw new Error(`engine not healthy after 60 s:\n${output()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Resident memory of a process, in KiB (Linux). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}
