/** Starts and stops executor processes (./executor-process.ts) for the multi-process test and bench. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExecutorProcessSettings } from './executor-process.ts';

const ENTRY = fileURLToPath(new URL('./executor-process.ts', import.meta.url));

export interface ProcessSummary {
  owner: string;
  finished: number;
  released: number;
  errors: string[];
}

export interface ExecutorProcess {
  child: ChildProcess;
  /** Graceful stop (SIGTERM): resolves with the process's own summary. */
  stop(): Promise<ProcessSummary>;
  /** SIGKILL: a crash, nothing released. */
  kill(): Promise<void>;
}

export async function startExecutorProcess(settings: ExecutorProcessSettings): Promise<ExecutorProcess> {
  const child = spawn(process.execPath, [ENTRY, JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const summary = new Promise<ProcessSummary>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as ProcessSummary);
    });
    void exited.then((code) =>
      reject(new Error(`${settings.owner} exited (${code}) without a summary: ${stderr}`)),
    );
  });
  summary.catch(() => undefined); // observed by stop(); a killed process never has one
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => line === 'ready' && resolve());
    void exited.then((code) =>
      reject(new Error(`${settings.owner} exited (${code}) before ready: ${stderr}`)),
    );
  });
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      return summary;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
