/**
 * Several engine processes on the same stores: two child processes claim from one queue and one
 * event log at once; no run or event is handed to both, none is lost, lanes keep their order.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEvent, buildRun, openTarget, type ProcessTarget } from './harness.ts';

const WORKER = fileURLToPath(new URL('./claim-worker.ts', import.meta.url));
const VAR_WORKER = fileURLToPath(new URL('./var-worker.ts', import.meta.url));
/** Increments each worker makes of its own, and ops both workers apply (each must count once). */
const OWN_INCREMENTS = 150;
const SHARED_OPS = 50;
const RUNS = 240;
const EVENTS = 60;
const LANES = 12;

export function describeMultiProcessClaims(name: string, target: ProcessTarget): void {
  describe(`multi-process claims: ${name}`, () => {
    it('never hands one run or event to two processes and loses none', async () => {
      const { config, cleanup } = await target.prepare();
      try {
        const stores = await openTarget(target, config);
        const now = Date.now();
        const runs = Array.from({ length: RUNS }, (_, i) =>
          buildRun({ id: `mp-run-${i}`, lane: `lane-${i % LANES}` }),
        );
        await stores.runs.enqueue(runs, now);
        for (let i = 0; i < EVENTS; i++) await stores.events.append(buildEvent({ id: `mp-event-${i}` }), now);
        await stores.close();

        const workers = ['p1', 'p2'].map((owner) => spawnWorker(target, config, owner));
        await Promise.race([
          Promise.all(workers.map((worker) => worker.ready)),
          ...workers.map((w) => w.done),
        ]);
        for (const worker of workers) worker.start();
        const outputs = await Promise.all(workers.map((worker) => worker.done));
        const lines = outputs.flat();
        const claimedRuns = lines.filter((line) => line.startsWith('run ')).map((line) => line.slice(4));
        const claimedEvents = lines.filter((line) => line.startsWith('event ')).map((line) => line.slice(6));
        expect(lines.filter((line) => line.startsWith('order '))).toEqual([]);
        expect(claimedRuns).toHaveLength(RUNS);
        expect(new Set(claimedRuns).size).toBe(RUNS);
        expect(claimedEvents).toHaveLength(EVENTS);
        expect(new Set(claimedEvents).size).toBe(EVENTS);

        const after = await openTarget(target, config);
        expect(await after.runs.stats(Date.now())).toMatchObject({ depth: 0, dead: 0 });
        expect(await after.events.pendingCount()).toBe(0);
        await after.close();
      } finally {
        await cleanup();
      }
    });
  });
}

/**
 * Two processes incrementing one variable at once: every increment of each counted, and the ops
 * both apply (a step retried by another process after a crash) counted once.
 */
export function describeMultiProcessVars(name: string, target: ProcessTarget): void {
  describe(`multi-process variables: ${name}`, () => {
    it('adds up every increment of two processes exactly, each op once', async () => {
      const { config, cleanup } = await target.prepare();
      try {
        const extra = [String(OWN_INCREMENTS), String(SHARED_OPS)];
        const workers = ['p1', 'p2'].map((owner) => spawnWorker(target, config, owner, VAR_WORKER, extra));
        await Promise.race([
          Promise.all(workers.map((worker) => worker.ready)),
          ...workers.map((w) => w.done),
        ]);
        for (const worker of workers) worker.start();
        const outputs = await Promise.all(workers.map((worker) => worker.done));
        const fresh = outputs.flat().filter((line) => line.startsWith('value '));
        const total = 2 * OWN_INCREMENTS + SHARED_OPS;
        // Every value from 1 to the total was the answer of exactly one applied increment.
        expect(fresh.map((line) => Number(line.slice(6))).sort((a, b) => a - b)).toEqual(
          Array.from({ length: total }, (_, i) => i + 1),
        );
        expect(outputs.flat().filter((line) => line.startsWith('repeated '))).toHaveLength(SHARED_OPS);
        const after = await openTarget(target, config);
        expect(await after.state.get('var:space:mp:hits')).toBe(total);
        await after.close();
      } finally {
        await cleanup();
      }
    });
  });
}

interface Worker {
  ready: Promise<void>;
  done: Promise<string[]>;
  start(): void;
}

function spawnWorker(
  target: ProcessTarget,
  config: unknown,
  owner: string,
  worker = WORKER,
  extra: string[] = [String(LANES)],
): Worker {
  const args = [
    worker,
    pathToFileURL(target.modulePath).href,
    target.exportName,
    JSON.stringify(config),
    owner,
  ];
  const child = spawn(process.execPath, [...args, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout.split('\n').filter((line) => line && line !== 'ready'));
      else reject(new Error(`worker ${owner} exited with ${code ?? signal}: ${stderr}`));
    });
  });
  return { ready, done, start: () => child.stdin.end('go\n') };
}
