/**
 * A closed-loop HTTP load generator for the intake benchmark, run in its own process so it does
 * not share the server's event loop: `connections` clients each POST, await the answer, POST
 * again, for `durationMs`. Every body is the template with `__SEQ__` replaced by a fresh
 * number (so no two deliveries share an id). Prints one JSON line: count, non-2xx, latencies.
 *
 *   node bench/support/load-generator.ts <url> <durationMs> <connections> <body-template-file> [header:value]...
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const [url, durationArg, connectionsArg, templateFile, ...headerArgs] = process.argv.slice(2);
if (!url || !durationArg || !connectionsArg || !templateFile) {
  process.stderr.write('usage: load-generator.ts <url> <durationMs> <connections> <body-template-file>\n');
  process.exit(2);
}
const target = new URL(url);
const durationMs = Number(durationArg);
const connections = Number(connectionsArg);
const template = readFileSync(templateFile, 'utf8');
const headers: Record<string, string> = { 'content-type': 'application/json' };
for (const pair of headerArgs) {
  const at = pair.indexOf(':');
  headers[pair.slice(0, at)] = pair.slice(at + 1);
}
const pool = new Pool(target.origin, { connections, pipelining: 1 });
const latencies: number[] = [];
const statuses = new Map<number, number>();
let seq = 0;
const run = `${process.pid}-${Date.now()}`;
const deadline = performance.now() + durationMs;

async function client(): Promise<void> {
  while (performance.now() < deadline) {
    seq += 1;
    const body = template.replaceAll('__SEQ__', `${run}-${seq}`);
    const started = performance.now();
    const answer = await pool.request({ method: 'POST', path: target.pathname, headers, body });
    await answer.body.dump();
    latencies.push(performance.now() - started);
    statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: connections }, client));
const elapsedMs = performance.now() - started;
await pool.close();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({
    count: latencies.length,
    elapsedMs,
    statuses: Object.fromEntries(statuses),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.at(-1) ?? 0,
  })}\n`,
);
