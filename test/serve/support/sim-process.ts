/** `autopilot sim --json` in a child process: a simulator the engine only knows by URL and env. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface SimProcess {
  baseUrl: string;
  pluginId: string;
  pluginSecret: string;
  userKey: string;
  projectKey: string;
  webhookToken: string;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export async function startSimProcess(): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'sim', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`autopilot sim exited ${code}: ${stderr}`)));
  });
  const summary = JSON.parse(line) as Omit<SimProcess, 'stop'>;
  return {
    ...summary,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
