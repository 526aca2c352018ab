/**
 * API calls per executed action in the demo scenario (src/demo/scenario.ts: people working in
 * the simulator's demo space with the example rules in rules/). Every request the engine made
 * (X-USER-KEY = the engine's user) is counted by operation, beside the actions the runs
 * executed. A read repeated with the same path and body is one a cache could have saved; those
 * are counted separately, as the figure to drive down.
 *
 * Run alone with `npx node bench/demo-calls.bench.ts`. Writes bench/results/demo-calls.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.ts';
import { SCENARIO, type ScenarioContext } from '../src/demo/scenario.ts';
import { startEngine, type RunningEngine } from '../src/engine/start-engine.ts';
import { createLogger } from '../src/log/logger.ts';
import { getOperation } from '../src/openapi/catalogue.ts';
import { OpenApiClient } from '../src/openapi/client.ts';
import { USERS } from '../src/simulator/index.ts';

const RULES = fileURLToPath(new URL('../rules/', import.meta.url));

async function settle(engine: RunningEngine): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const delivered = engine.simulator?.deliveries().length ?? 0;
    await engine.simulator?.webhooksIdle();
    await engine.idle();
    await engine.simulator?.webhooksIdle();
    if ((engine.simulator?.deliveries().length ?? 0) === delivered) return;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'autopilot-demo-calls-'));
const config = loadConfig({
  env: { HOST: '127.0.0.1', PORT: '0', AUTOPILOT_DATA: join(dir, 'data'), AUTOPILOT_RULES: RULES },
});
const engine = await startEngine({
  config,
  log: createLogger({ level: 'warn', destination: process.stderr }),
});
const sim = engine.simulator;
if (!sim) throw new Error('the demo runs on the built-in simulator');
const clients = new Map<string, OpenApiClient>();
const ctx: ScenarioContext = {
  sim,
  ids: {},
  as: (user) => {
    const client =
      clients.get(user) ??
      new OpenApiClient({
        baseUrl: sim.baseUrl,
        pluginId: sim.credentials.pluginId,
        pluginSecret: sim.credentials.pluginSecret,
        userKey: USERS[user],
      });
    clients.set(user, client);
    return client;
  },
  call: async (client, call) => {
    const outcome = await client.call(call);
    if (outcome.class !== 'ok')
      throw new Error(`${call.operation} failed: ${outcome.errCode} ${outcome.errMsg}`);
    return outcome.data;
  },
};
try {
  for (const step of SCENARIO) {
    await step.run(ctx);
    await settle(engine);
  }
  const engineRequests = sim
    .requests()
    .filter((r) => r.headers['x-user-key'] === USERS.bot && !r.route.startsWith('auth.'));
  const runs = await engine.stores.runs.list({ limit: 10_000 });
  const executed = runs.flatMap((r) =>
    r.results.filter((x) => x.outcome === 'done' || x.outcome === 'already_applied').map(() => r),
  ).length;
  const actionTypes = new Map<string, number>();
  for (const record of runs) {
    for (const result of record.results) {
      const type = record.run.actions[result.index]?.type ?? 'unknown';
      if (result.outcome === 'done' || result.outcome === 'already_applied')
        actionTypes.set(type, (actionTypes.get(type) ?? 0) + 1);
    }
  }

  // A read is a repeat when the same read was made before and no write happened since (any write
  // may change what it returns): exactly what a cache would have answered.
  const byOperation = new Map<string, { calls: number; repeats: number; write: boolean }>();
  let readsSinceWrite = new Set<string>();
  for (const request of engineRequests) {
    const write = getOperation(request.route).write;
    const row = byOperation.get(request.route) ?? { calls: 0, repeats: 0, write };
    const key = `${request.method} ${request.path} ${JSON.stringify(request.query)} ${JSON.stringify(request.body)}`;
    if (write) readsSinceWrite = new Set();
    else if (readsSinceWrite.has(key)) row.repeats += 1;
    else readsSinceWrite.add(key);
    row.calls += 1;
    byOperation.set(request.route, row);
  }
  const rows = [...byOperation]
    .sort(([, a], [, b]) => b.calls - a.calls)
    .map(([operation, row]) => ({
      operation,
      kind: row.write ? 'write' : 'read',
      calls: row.calls,
      perAction: Number((row.calls / executed).toFixed(2)),
      repeatReads: row.repeats,
    }));
  const reads = rows.filter((r) => r.kind === 'read').reduce((s, r) => s + r.calls, 0);
  const writes = rows.filter((r) => r.kind === 'write').reduce((s, r) => s + r.calls, 0);
  const repeats = rows.reduce((s, r) => s + r.repeatReads, 0);
  console.table(rows);
  const summary = {
    executedActions: executed,
    actionTypes: Object.fromEntries(actionTypes),
    runs: runs.length,
    calls: reads + writes,
    callsPerAction: Number(((reads + writes) / executed).toFixed(2)),
    readsPerAction: Number((reads / executed).toFixed(2)),
    writesPerAction: Number((writes / executed).toFixed(2)),
    repeatReads: repeats,
  };
  console.log(summary);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/demo-calls.json', import.meta.url),
    JSON.stringify(
      { benchmark: 'demo-calls', node: process.version, cpu: cpus()[0]?.model ?? 'unknown', summary, rows },
      null,
      2,
    ) + '\n',
  );
} finally {
  await Promise.all([...clients.values()].map((c) => c.close()));
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
}
