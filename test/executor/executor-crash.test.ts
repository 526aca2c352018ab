/**
 * kill -9 of an engine process in the middle of its runs, then a restart on the same data dir:
 * nothing lost, no effect applied twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { commentRuns, startSimFixture, type SimFixture } from './support/sim-fixture.ts';

const CHILD = fileURLToPath(new URL('./support/engine-child.ts', import.meta.url));
let fx: SimFixture | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startEngine(fixture: SimFixture, dataDir: string): ChildProcess {
  const { pluginId, pluginSecret, userKey } = fixture.sim.credentials;
  const proc = spawn(
    process.execPath,
    [CHILD, '--data', dataDir, '--sim', fixture.sim.baseUrl, '--qps', '400', '--lease-ms', '600'],
    {
      env: {
        ...process.env,
        SIM_PLUGIN_ID: pluginId,
        SIM_PLUGIN_SECRET: pluginSecret,
        SIM_USER_KEY: userKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return proc;
}

function exited(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

it('loses nothing and applies nothing twice when the engine is killed with SIGKILL mid-run', async () => {
  fx = await startSimFixture({ rateLimits: false, chaos: { latencyMs: 5 } });
  dir = mkdtempSync(join(tmpdir(), 'ap-exec-crash-'));
  const runs = commentRuns(fx.sim.credentials.projectKey, fx.workItems, 150, { actionsPerRun: 3, lanes: 30 });
  const total = runs.length * 3;
  const seed = await openSqliteStores({ path: join(dir, 'autopilot.db') });
  await seed.runs.enqueue(runs, Date.now());
  await seed.close();

  child = startEngine(fx, dir);
  const firstExit = exited(child);
  await expect
    .poll(() => fx?.sim.effects().total ?? 0, { timeout: 20_000, interval: 5 })
    .toBeGreaterThan(total / 4);
  child.kill('SIGKILL');
  expect(await firstExit).toEqual({ code: null, signal: 'SIGKILL' });
  const appliedBeforeKill = fx.sim.effects().total;
  expect(appliedBeforeKill).toBeLessThan(total);

  child = startEngine(fx, dir);
  expect((await exited(child)).code).toBe(0);

  const effects = fx.sim.effects();
  const stores = await openSqliteStores({ path: join(dir, 'autopilot.db') });
  const records = await stores.runs.list({ limit: 10_000 });
  await stores.close();
  expect(records.map((r) => r.state).filter((s) => s !== 'succeeded')).toEqual([]);
  for (const record of records) {
    for (const action of record.run.actions) expect(effects.by_key[action.idempotencyKey]).toBe(1);
  }
  expect(effects.total).toBe(total);
  expect(fx.sim.state.comments.filter((c) => c.content.startsWith('lane '))).toHaveLength(total);
});
