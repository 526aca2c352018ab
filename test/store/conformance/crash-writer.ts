/**
 * Child process of the crash-durability suite: opens the stores through the adapter's opener,
 * then writes through every port in a loop and prints `ack <i>` after each step's promises
 * resolved, until the parent kills it with SIGKILL.
 *
 * argv: <opener module URL> <export name> <JSON config>
 */
import { writeSync } from 'node:fs';
import type { Stores } from '../../../src/store/ports.ts';
import { buildEvent, buildRun } from './harness.ts';

export const CRASH_T0 = Date.UTC(2026, 0, 1);
export const CRASH_OWNER = 'crash-writer';

export function crashEventId(i: number): string {
  return `crash-event-${i}`;
}

export function crashRunId(i: number): string {
  return `crash-run-${i}`;
}

async function main(): Promise<void> {
  const [moduleUrl, exportName, config] = process.argv.slice(2);
  const opener = (await import(moduleUrl!)) as Record<string, (config: unknown) => Promise<Stores>>;
  const stores = await opener[exportName!]!(JSON.parse(config!));
  for (let i = 0; ; i++) {
    const now = CRASH_T0 + i;
    const runId = crashRunId(i);
    await stores.events.append(buildEvent({ id: crashEventId(i), payload: { i } }), now);
    await stores.runs.enqueue([buildRun({ id: runId, eventId: crashEventId(i), lane: 'crash' })], now);
    const [claimed] = await stores.runs.claim(CRASH_OWNER, 1, 60_000, now);
    if (claimed?.run.id !== runId) throw new Error(`expected to claim ${runId}, got ${claimed?.run.id}`);
    await stores.runs.checkpoint(
      runId,
      CRASH_OWNER,
      { index: 0, outcome: 'done', data: { i }, finishedAt: now },
      now,
    );
    await stores.runs.complete(runId, CRASH_OWNER, 'succeeded', now);
    await stores.events.markProcessed(crashEventId(i), now);
    await stores.audit.record([{ at: now, kind: 'run.succeeded', runId, eventId: crashEventId(i) }]);
    await stores.state.set('crash:last', i);
    writeSync(1, `ack ${i}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replaceAll('\\', '/'))) await main();
