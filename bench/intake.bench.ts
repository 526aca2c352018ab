/**
 * Webhook intake: POST /webhooks/feishu on the running engine (content-type and size checks,
 * constant-time token check, JSON parse, normalization, dedupe, a durable SQLite append with
 * synchronous=FULL, the 202) beside a bare node:http server that reads the body, parses the JSON
 * and answers 202. Same machine, same load generator (a child process, closed loop with
 * CONNECTIONS clients), same bodies; the two servers alternate in ROUNDS short phases and each
 * keeps its best phase, so CPU stolen by other processes in bursts colours neither. Each side's CPU
 * time per request is printed too (its ratio does not depend on the machine's other load).
 *
 * Run alone with `npx node bench/intake.bench.ts`. Writes bench/results/intake.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.ts';
import { startEngine } from '../src/engine/start-engine.ts';
import { createLogger } from '../src/log/logger.ts';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const GENERATOR = fileURLToPath(new URL('./support/load-generator.ts', import.meta.url));

interface Phase {
  /** CPU time of this process (both servers live here) from the phase's start until it is done. */
  cpuMs?: number;
  count: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A Feishu Project WorkitemUpdateEvent of ordinary size (~1 KB), the token filled in later. */
function template(token: string): string {
  return JSON.stringify({
    header: {
      event_type: 'WorkitemUpdateEvent',
      token,
      uuid: 'bench-__SEQ__',
      operator: '7400000000000000002',
    },
    payload: {
      id: 6437110004,
      name: 'Checkout returns HTTP 500 for EU cards',
      project_key: '66a1b2c3d4e5f60718293a4b',
      project_simple_name: 'demo',
      work_item_type_key: 'issue',
      updated_at: 1763600000000,
      updated_by: '7400000000000000002',
      changed_fields: [
        {
          field_key: 'priority',
          field_type_key: 'select',
          before: { label: 'P1', value: 'P1' },
          after: { label: 'P0', value: 'P0' },
        },
      ],
      fields: [
        { field_key: 'priority', field_value: { label: 'P0', value: 'P0' } },
        {
          field_key: 'description',
          field_value: 'Steps: pay with an EU card on the checkout page. '.repeat(6),
        },
      ],
    },
  });
}

function load(url: string, templateFile: string): Promise<Phase> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [GENERATOR, url, String(PHASE_MS), String(CONNECTIONS), templateFile],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Phase) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

async function bareServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { header?: { uuid?: string } };
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, eventId: body.header?.uuid, duplicate: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/feishu`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'autopilot-intake-bench-'));
mkdirSync(join(dir, 'rules'));
const config = loadConfig({
  env: {
    HOST: '127.0.0.1',
    PORT: '0',
    AUTOPILOT_DATA: join(dir, 'data'),
    AUTOPILOT_RULES: join(dir, 'rules'),
  },
});
const engine = await startEngine({
  config,
  log: createLogger({ level: 'warn', destination: process.stderr }),
});
const token = engine.simulator?.credentials.webhookToken as string;
const templateFile = join(dir, 'body.json');
writeFileSync(templateFile, template(token));
const bare = await bareServer();

const phases: { engine: Phase[]; bare: Phase[] } = { engine: [], bare: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first so neither always gets the warmer (or quieter) slot.
    const order = round % 2 === 0 ? (['bare', 'engine'] as const) : (['engine', 'bare'] as const);
    for (const side of order) {
      const url = side === 'bare' ? bare.url : `${engine.url}/webhooks/feishu`;
      const cpuBefore = process.cpuUsage();
      const phase = await load(url, templateFile);
      // Let the event processor catch up so the next phase starts from the same state; the
      // processing of what the phase stored is the engine's CPU too.
      if (side === 'engine') await engine.idle();
      const cpu = process.cpuUsage(cpuBefore);
      phases[side].push({ ...phase, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  }
} finally {
  await bare.close();
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
}

const rate = (p: Phase) => (p.count / p.elapsedMs) * 1000;
/** CPU per answered request over all phases: other processes' load does not change it. */
const cpuUsPerRequest = (list: Phase[]) =>
  (list.reduce((sum, p) => sum + (p.cpuMs ?? 0), 0) * 1000) / list.reduce((sum, p) => sum + p.count, 0);
const best = (list: Phase[]) => list.reduce((a, b) => (rate(b) > rate(a) ? b : a));
const row = (name: string, list: Phase[]) => {
  const top = best(list);
  const non2xx = list.reduce(
    (sum, p) =>
      sum + Object.entries(p.statuses).reduce((s, [code, n]) => s + (code.startsWith('2') ? 0 : n), 0),
    0,
  );
  return {
    server: name,
    bestReqPerSec: Math.round(rate(top)),
    phasesReqPerSec: list.map((p) => Math.round(rate(p))).join(' / '),
    p50Ms: Number(top.p50Ms.toFixed(2)),
    p99Ms: Number(top.p99Ms.toFixed(2)),
    maxMs: Number(top.maxMs.toFixed(1)),
    cpuUsPerReq: Math.round(cpuUsPerRequest(list)),
    non2xx,
  };
};
const rows = [
  row('engine POST /webhooks/feishu', phases.engine),
  row('bare node:http + JSON.parse', phases.bare),
];
const ratio = Number(((rows[0]?.bestReqPerSec ?? 0) / (rows[1]?.bestReqPerSec ?? 1)).toFixed(3));
// The throughput one core would give each side, their CPU per request inverted: on a machine
// shared with other work the req/s ratio drifts with how much CPU each phase got.
const cpuRatio = Number(((rows[1]?.cpuUsPerReq ?? 0) / (rows[0]?.cpuUsPerReq ?? 1)).toFixed(3));
console.table(rows);
console.log(`engine / bare = ${ratio} (${CONNECTIONS} connections, ${ROUNDS} x ${PHASE_MS} ms phases each)`);
console.log(`engine / bare by CPU per request = ${cpuRatio}`);
const result = {
  benchmark: 'intake',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  load: loadavg(),
  phaseMs: PHASE_MS,
  rounds: ROUNDS,
  connections: CONNECTIONS,
  rows,
  ratio,
  cpuRatio,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/intake.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
