/** `autopilot serve` in child processes, in the cluster profile, for the multi-engine test. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export interface EngineProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL: a crash; nothing is handed back. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<void>;
  /** What the process wrote to stderr (start-up failures). */
  stderr(): string;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A rules dir and a config file shared by the engines; removed by `cleanup`. */
export function engineFiles(rules: Record<string, string>, configYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-cluster-engines-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(rules)) writeFileSync(join(rulesDir, name), text);
  const configFile = join(dir, 'autopilot.yaml');
  writeFileSync(configFile, configYaml);
  return { dir, rulesDir, configFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startEngineProcess(env: Record<string, string>): Promise<EngineProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`autopilot serve exited ${child.exitCode}: ${stderr}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), exited]);
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { url, child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM'), stderr: () => stderr };
}
