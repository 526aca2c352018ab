/**
 * Crash durability: a child process writes through every port and is killed with SIGKILL right
 * after a write resolved; reopening must find everything that was acknowledged.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Stores } from '../../../src/store/ports.ts';
import { CRASH_OWNER, crashEventId, crashRunId } from './crash-writer.ts';
import { openTarget, type ProcessTarget } from './harness.ts';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const ACKS_BEFORE_KILL = 40;

export function describeCrashDurability(name: string, target: ProcessTarget): void {
  describe(`crash durability: ${name}`, () => {
    it('keeps every acknowledged write after a SIGKILL', async () => {
      const { config, cleanup } = await target.prepare();
      try {
        const { lastAck, signal } = await runWriterUntilKilled(target, config);
        expect(signal).toBe('SIGKILL');
        expect(lastAck).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL - 1);
        const stores = await openTarget(target, config);
        try {
          await expectAcknowledged(stores, lastAck);
        } finally {
          await stores.close();
        }
      } finally {
        await cleanup();
      }
    });
  });
}

async function expectAcknowledged(stores: Stores, lastAck: number): Promise<void> {
  expect(await stores.state.get<number>('crash:last')).toBeGreaterThanOrEqual(lastAck);
  for (let i = 0; i <= lastAck; i++) {
    expect((await stores.events.get(crashEventId(i)))?.processedAt, `event ${i}`).toBeDefined();
    const run = await stores.runs.get(crashRunId(i));
    expect(run, `run ${i}`).toMatchObject({ state: 'succeeded', nextAction: 1 });
    expect(run?.results[0]?.data).toEqual({ i });
    expect(await stores.audit.query({ runId: crashRunId(i) }), `audit ${i}`).toHaveLength(1);
  }
  // Whatever the writer was doing when killed left a consistent queue: nothing is leased to a
  // dead worker forever, the lane still moves once its lease expires.
  const unfinished = await stores.runs.list({ state: ['queued', 'running'] });
  expect(unfinished.length).toBeLessThanOrEqual(1);
  for (const record of unfinished) expect(record.leaseOwner ?? CRASH_OWNER).toBe(CRASH_OWNER);
}

function runWriterUntilKilled(
  target: ProcessTarget,
  config: unknown,
): Promise<{ lastAck: number; signal: NodeJS.Signals | null }> {
  const moduleUrl = pathToFileURL(target.modulePath).href;
  const child = spawn(process.execPath, [WRITER, moduleUrl, target.exportName, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lastAck = -1;
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) lastAck = Math.max(lastAck, Number(line.replace('ack ', '')));
    if (lastAck >= ACKS_BEFORE_KILL - 1) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code ?? signal}: ${stderr}`));
      else resolve({ lastAck, signal });
    });
  });
}
