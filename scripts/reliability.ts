/**
 * `npm run test:reliability`: the reliability and security suite against the real engine
 * process. Quick mode (the default, for CI) keeps every scenario to a bounded load; long mode
 * (`RELIABILITY_MODE=long`) runs the full loads and the 30-minute soak. Prints the table and,
 * with `--write-docs`, writes it to docs/reliability.md. Exits 1 when any scenario failed.
 */
import { cpus } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { runApiFaults } from '../test/reliability/api-faults.ts';
import { runCrashes } from '../test/reliability/crashes.ts';
import { runDeliveries } from '../test/reliability/deliveries.ts';
import { runFuzzRequests, runFuzzRuleFiles } from '../test/reliability/fuzz.ts';
import { runMissedWebhooks } from '../test/reliability/missed-webhooks.ts';
import { runAutomationLoops } from '../test/reliability/automation-loops.ts';
import { runParkedWaits } from '../test/reliability/parked-waits.ts';
import { runPoison } from '../test/reliability/poison.ts';
import { runSecurity } from '../test/reliability/security.ts';
import { runSoak } from '../test/reliability/soak.ts';
import type { Row } from '../test/reliability/support/figures.ts';

const mode = process.env.RELIABILITY_MODE === 'long' ? 'long' : 'quick';
const long = mode === 'long';
const only = process.env.RELIABILITY_ONLY?.split(',').map((s) => s.trim());
const writeDocs = process.argv.includes('--write-docs');

const SCENARIOS: Array<[string, () => Promise<Row>]> = [
  ['crashes', () => runCrashes(long ? { kills: 50, rate: 100 } : { kills: 10, rate: 50 })],
  [
    'faults',
    () => runApiFaults(long ? { actions: 2000, drainMs: 900_000 } : { actions: 300, drainMs: 300_000 }),
  ],
  [
    'deliveries',
    () => runDeliveries(long ? { events: 1000, concurrency: 64 } : { events: 300, concurrency: 32 }),
  ],
  [
    'fuzz-http',
    () =>
      runFuzzRequests(
        long ? { requestsPerRoute: 10_000, ruleFiles: 0 } : { requestsPerRoute: 2000, ruleFiles: 0 },
      ),
  ],
  [
    'fuzz-rules',
    () =>
      runFuzzRuleFiles(
        long ? { requestsPerRoute: 0, ruleFiles: 5000 } : { requestsPerRoute: 0, ruleFiles: 1000 },
      ),
  ],
  ['security', () => runSecurity()],
  [
    'missed-webhooks',
    () =>
      runMissedWebhooks(
        long
          ? { changes: 5000, rate: 12, delayMs: 60_000, intervalMs: 60_000, settleMs: 90_000 }
          : { changes: 48, rate: 12, delayMs: 1000, intervalMs: 4000, settleMs: 3000 },
      ),
  ],
  ['automation-loops', () => runAutomationLoops({ loops: 20 })],
  [
    'parked-waits',
    () =>
      runParkedWaits(
        long
          ? { runs: 1000, rate: 8, minWaitMs: 1000, maxWaitMs: 60_000, kills: 20 }
          : { runs: 100, rate: 10, minWaitMs: 1000, maxWaitMs: 10_000, kills: 3 },
      ),
  ],
  ['poison', () => runPoison(long ? { stored: 20, maxClaims: 5 } : { stored: 3, maxClaims: 3 })],
];
if (long) {
  const minutes = Number(process.env.RELIABILITY_SOAK_MINUTES ?? 30);
  SCENARIOS.push(['soak', () => runSoak({ minutes, rate: 50 })]);
}

const rows: Row[] = [];
const started = Date.now();
for (const [name, run] of SCENARIOS) {
  if (only && !only.includes(name)) continue;
  const t0 = Date.now();
  process.stdout.write(`▶ ${name} …\n`);
  let row: Row;
  try {
    row = await run();
  } catch (error) {
    row = {
      test: name,
      load: '—',
      faults: '—',
      badInputs: '—',
      lost: NaN,
      appliedTwice: NaN,
      notes: [],
      failures: [`threw: ${(error as Error).stack ?? String(error)}`],
    };
  }
  row.notes.push(`took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  rows.push(row);
  process.stdout.write(
    `${row.failures.length === 0 ? '✔' : '✘'} ${name}\n${[...row.notes, ...row.failures.map((f) => `FAIL ${f}`)].map((l) => `    ${l}`).join('\n')}\n`,
  );
}

const command = `${long ? 'RELIABILITY_MODE=long ' : ''}npm run test:reliability`;
const table = renderTable(rows);
process.stdout.write(`\n${table}\n`);
if (writeDocs) {
  // With RELIABILITY_ONLY the rows of the scenarios run now replace theirs in the last full run.
  const json = new URL('../docs/reliability.json', import.meta.url);
  const previous: { rows: Row[]; commands: string[] } =
    only && existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : { rows: [], commands: [] };
  const merged = [...previous.rows.map((old) => rows.find((r) => r.test === old.test) ?? old)];
  for (const row of rows) if (!merged.includes(row)) merged.push(row);
  const ran = `${only ? `RELIABILITY_ONLY=${only.join(',')} ` : ''}${command} -- --write-docs (${new Date().toISOString()})`;
  const commands = [...(only ? previous.commands : []), ran];
  writeFileSync(json, `${JSON.stringify({ rows: merged, commands }, null, 2)}\n`);
  // Formatted with the project's Prettier settings, so `npm run lint` accepts the written page.
  const file = new URL('../docs/reliability.md', import.meta.url);
  const options = (await resolveConfig(file)) ?? {};
  const page = renderDocs(merged, renderTable(merged), commands);
  writeFileSync(file, await format(page, { ...options, parser: 'markdown' }));
}
const failed = rows.filter((r) => r.failures.length > 0);
process.stdout.write(
  `${failed.length === 0 ? 'all passed' : `${failed.length} failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
process.exitCode = failed.length === 0 ? 0 : 1;

function renderTable(list: Row[]): string {
  const lines = [
    '| test | load | faults | bad inputs | lost | applied twice | result |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...list.map(
      (r) =>
        `| ${[r.test, r.load, r.faults, r.badInputs, r.lost, r.appliedTwice, r.failures.length === 0 ? 'pass' : 'FAIL'].join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}

function renderDocs(list: Row[], rendered: string, commands: string[]): string {
  const details = list
    .map(
      (r) =>
        `### ${r.test}\n\n${[...r.notes, ...r.failures.map((f) => `**FAIL** ${f}`)].map((n) => `- ${n}`).join('\n')}`,
    )
    .join('\n\n');
  return `# Reliability and security figures

The last run of the reliability suite (\`test/reliability/\`, runner \`scripts/reliability.ts\`).
It runs the real engine process (\`node src/cli/main.ts serve\`, configured only by environment
variables) against the simulator, and counts effects in the simulator's state. How each
scenario works and what "lost" and "applied twice" mean: see the end of this page.

- Produced by: ${commands.map((c) => `\`${c.replace(/ \(.*\)$/, '')}\` (${/\((.*)\)$/.exec(c)?.[1] ?? ''})`).join('; then ')}
- Machine: Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), shared with other jobs

${rendered}

## Details of this run

${details}

## What each scenario does

- **crashes**: webhooks arrive at a steady rate while the engine is killed with SIGKILL at
  random moments (0.5–2.5 s after it became healthy) and restarted on the same data. Deliveries
  that fail during the outage are sent again, as Feishu Project retries (so are the ones a
  restarted engine answers 408 because it could not read them within \`server.headersTimeoutMs\`
  while catching up; any other status fails the scenario). One event in a few is on
  an issue and gets a comment carrying its id. *Lost*: an event answered 2xx that the engine does
  not have as processed, or whose comment never appeared. *Applied twice*: an event with more than
  one comment. Every run must end \`succeeded\`.
- **API faults**: the simulator's chaos (seeded) answers 50006, HTML 5xx pages, applies writes and
  then drops the connection, and delays answers. Each event plans two comments. *Lost*: an action
  neither applied nor part of a dead-lettered run; every dead letter must carry its reason.
- **duplicates and reordering**: each webhook is sent 1–5 times, all copies shuffled and sent
  concurrently. *Lost*/*applied twice* per event; the comments on each work item must appear in
  the order of that work item's runs in the queue (the lane's FIFO, i.e. the engine's event order).
- **fuzzing**: fast-check requests with wrong methods, content types, encodings (including
  broken gzip and brotli), random bytes, hostile JSON (\`__proto__\`, deep nesting, huge numbers,
  oversized strings), bad signatures and tokens, and random admin paths, 16 at a time. Every answer
  must be 2xx, 400, 401, 404, 413 or 415, and the engine must stay up. Generated rule files go
  through \`autopilot check --json\`: exit 0 or 1 only, every diagnostic with file, line and column,
  and \`Object.prototype\` unchanged in the process that ran them.
- **security corpus**: prototype paths in templates; catastrophic regexes (timed on re2js, the
  fastest of three timings per match); YAML alias, merge, depth and size bombs; bodies that claim
  4 GiB, gzip bombs and endless chunked bodies on every intake route; six canary secrets (plugin
  secret, webhook token, admin token, signed-webhook secret, Lark secret and verification token)
  searched for in the engine's logs, every admin API answer, /metrics, every table of its SQLite
  store and the dead letters; every admin route without a valid bearer token; the \`http\` action
  aimed at loopback, private, CGNAT, link-local and metadata addresses and their encoded forms
  (with all of them allow-listed), counting connections on a local listener; and a redirect to
  loopback (in process, since the engine has no trusted target to redirect from).
- **parked waits**: each event's run parks on \`wait_until\` for 1–60 s (10 s in quick mode; the
  event carries its due time) and then comments once, while the engine is killed with SIGKILL
  at times spread over the waits and restarted. Events start at a rate whose comments stay under
  the Open API's 15/s. A run *resumes* at its last \`run.woken\` before its comment write; it must
  resume within 1 s of its due time, or within 1 s of the recovery (the restarted engine
  answering /healthz; negative: it resumed before the probe saw it) when the engine was down in
  the second after its due time; the comment may then wait for the limiter, 1 s plus 1/15 s per
  comment written meanwhile, counted from the recovery when the engine was killed between the
  resumption and the write. *Lost*: an event with no applied comment write in the simulator's
  request log. *Applied twice*: an event with more than one applied write or comment.
- **poison events and runs**: events and runs whose processing throws every time (a chat command
  and a \`for_each\` step stored in shapes this engine does not expect, as an older engine or a
  bug could store them) are written to the store before the engine starts, and a manual run is
  asked for on each poison run's work item at once. Then a run is asked for while the simulator
  answers slowly, and the engine is killed with SIGKILL each time that run is in flight,
  \`maxClaims\` times (config \`events.maxClaims\`, \`executor.maxClaims\`). Every poison event
  and run must be dead-lettered with \`AP_POISON\` after exactly \`maxClaims\` claims with its last
  error, the runs behind them must succeed, the run in flight at every kill must be dead-lettered
  by the next process without being run, its comment applied at most once; that process must log
  one \`run dead-lettered\` line and count \`autopilot_poison_total{kind="run"}\` 1.
- **soak** (long mode): a steady load; every 10 s, resident memory from \`/proc/<pid>/status\`
  split into anonymous, file-backed and shared memory, and from /metrics the V8 heap after the
  last major GC, the young generation's size, external memory and the event-loop delay p99; the
  slopes are fitted after the first fifth of the run. The engine runs with the Node flags of the
  Dockerfile and \`npm start\` (\`--max-semi-space-size=16\`, src/ops/serve-node-flags.ts): without
  them V8's young generation grows 32 → 128 MiB in steps under this load and RSS follows it.
`;
}
