/**
 * `npm run demo`: the engine and the built-in simulator in one process, a scripted scenario of
 * people working in the demo space, a redelivered webhook and the engine's own changes coming
 * back as webhooks (the loop attempt); then a table of events → rules → API effects. Exits 0
 * when every step got the rules it expected, 1 otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../config/load-config.ts';
import { startEngine, type RunningEngine } from '../engine/start-engine.ts';
import { createLogger } from '../log/logger.ts';
import { OpenApiClient } from '../openapi/client.ts';
import type { ApiCall } from '../plan/run.ts';
import { USERS } from '../simulator/model/seed-config.ts';
import { runApprovalPhase } from './approval-phase.ts';
import { renderReport, summarize } from './report.ts';
import { SCENARIO } from './scenario.ts';
import { demoClock, TRIGGER_SCENARIO, type TriggerContext } from './triggers-scenario.ts';

export async function runDemo(out: NodeJS.WritableStream, rulesDir = 'rules'): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'autopilot-demo-'));
  const logLines: string[] = [];
  const config = loadConfig({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      AUTOPILOT_DATA: dataDir,
      AUTOPILOT_RULES: rulesDir,
      LOG_LEVEL: 'warn',
    },
  });
  const log = createLogger({ level: 'warn', destination: collect(logLines) });
  const clock = demoClock();
  const engine = await startEngine({ config, log, now: clock.now });
  const sim = engine.simulator;
  if (!sim) throw new Error('the demo runs on the built-in simulator');
  const clients = new Map<string, OpenApiClient>();
  const ctx: TriggerContext = {
    engine,
    clock,
    sim,
    ids: {},
    as: (user) => {
      const existing = clients.get(user);
      if (existing) return existing;
      const { pluginId, pluginSecret } = sim.credentials;
      const client = new OpenApiClient({
        baseUrl: sim.baseUrl,
        pluginId,
        pluginSecret,
        userKey: USERS[user],
      });
      clients.set(user, client);
      return client;
    },
    call: async (client: OpenApiClient, call: ApiCall) => {
      const outcome = await client.call(call);
      if (outcome.class !== 'ok')
        throw new Error(`${call.operation} failed: ${outcome.errCode} ${outcome.errMsg}`);
      return outcome.data;
    },
  };
  out.write(`fp-autopilot demo: engine ${engine.url}, simulator ${sim.baseUrl}, rules from ${rulesDir}/\n\n`);
  try {
    const stepEvents: Array<{ title: string; expect: string[]; eventIds: string[] }> = [];
    for (const step of [...SCENARIO, ...TRIGGER_SCENARIO]) {
      const before = new Set((await stored(engine)).map((e) => e.id));
      out.write(`→ ${step.title}\n`);
      await step.run(ctx);
      await settle(engine);
      const after = await stored(engine);
      stepEvents.push({ ...step, eventIds: after.filter((e) => !before.has(e.id)).map((e) => e.id) });
    }
    out.write('→ Feishu redelivers the first webhook\n');
    const redelivery = await redeliver(engine, stepEvents[0]?.eventIds[0]);
    await settle(engine);
    const summary = await summarize(engine, stepEvents, redelivery, USERS.bot);
    out.write(`\n${renderReport(summary)}\n`);
    if (logLines.length > 0) out.write(`\nengine warnings:\n${logLines.join('')}`);
    out.write('\n→ an approval that survives a kill -9 (the engine in a process of its own)\n');
    const approval = await runApprovalPhase();
    out.write(`${approval.lines.join('\n')}\n\n${approval.ok ? 'approval OK' : 'approval FAILED'}\n`);
    return summary.ok && approval.ok ? 0 : 1;
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Webhooks are pushed after each change and the engine's own writes push more: wait until quiet. */
async function settle(engine: RunningEngine): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const delivered = engine.simulator?.deliveries().length ?? 0;
    await engine.simulator?.webhooksIdle();
    await engine.idle();
    await engine.simulator?.webhooksIdle();
    if ((engine.simulator?.deliveries().length ?? 0) === delivered) return;
  }
}

async function stored(engine: RunningEngine) {
  const records = await engine.stores.audit.query({
    kind: ['rule.matched', 'rule.not_matched', 'loop_stopped'],
    limit: 100_000,
  });
  const ids = [...new Set(records.map((r) => r.eventId).filter((id): id is string => id !== undefined))];
  return ids.map((id) => ({ id }));
}

/** Posts a webhook with an id the engine already stored, as Feishu does when it retries a delivery. */
async function redeliver(
  engine: RunningEngine,
  eventId: string | undefined,
): Promise<{ eventId?: string; status: number; duplicate: boolean }> {
  const original = eventId ? await engine.stores.events.get(eventId) : undefined;
  if (!original || !engine.simulator) return { status: 0, duplicate: false };
  const body = {
    header: {
      event_type: 'WorkitemCreateEvent',
      token: engine.simulator.credentials.webhookToken,
      uuid: original.event.id,
      operator: original.event.operator,
    },
    payload: original.event.payload,
  };
  const res = await fetch(`${engine.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { duplicate?: boolean };
  return { eventId, status: res.status, duplicate: answer.duplicate === true };
}

function collect(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
}

if (import.meta.main) {
  process.exitCode = await runDemo(process.stdout, process.argv[2]);
}
