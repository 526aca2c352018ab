/**
 * Child process of the multi-process suite: claims runs and events from the shared stores until
 * there is nothing left, printing `run <id>` / `event <id>` for each claim and `order <id>` when a
 * run was claimed before the previous run of its lane finished.
 *
 * Prints `ready` once the stores are open and waits for a line on stdin before claiming.
 *
 * argv: <opener module URL> <export name> <JSON config> <owner> <lanes>
 */
import { writeSync } from 'node:fs';
import type { Stores } from '../../../src/store/ports.ts';

const IDLE_ROUNDS = 50;

async function main(): Promise<void> {
  const [moduleUrl, exportName, config, owner, lanes] = process.argv.slice(2);
  const opener = (await import(moduleUrl!)) as Record<string, (config: unknown) => Promise<Stores>>;
  const stores = await opener[exportName!]!(JSON.parse(config!));
  // Start together with the other workers: the parent answers `ready` with a line on stdin.
  writeSync(1, 'ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  for (let idle = 0; idle < IDLE_ROUNDS;) {
    const runs = await stores.runs.claim(owner!, 4, 60_000, Date.now());
    const events = await stores.events.claimUnprocessed(owner!, 4, 60_000, Date.now());
    if (runs.length + events.length === 0) {
      idle++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    idle = 0;
    // Hold the leases a moment, as a worker calling the API would, so the workers' claims overlap.
    await new Promise((resolve) => setTimeout(resolve, 2));
    for (const record of runs) {
      writeSync(1, `run ${record.run.id}\n`);
      const previous = Number(record.run.id.replace('mp-run-', '')) - Number(lanes);
      const before = previous >= 0 ? await stores.runs.get(`mp-run-${previous}`) : undefined;
      if (before && before.state !== 'succeeded') writeSync(1, `order ${record.run.id}\n`);
      await stores.runs.complete(record.run.id, owner!, 'succeeded', Date.now());
    }
    for (const stored of events) {
      writeSync(1, `event ${stored.event.id}\n`);
      await stores.events.markProcessed(stored.event.id, Date.now());
    }
  }
  await stores.close();
}

await main();
