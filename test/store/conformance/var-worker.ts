/**
 * Child process of the multi-process variables suite: increments `var:space:mp:hits` with ops of
 * its own (`<owner>-<i>`) and ops every worker applies (`shared-<i>`), interleaved, printing
 * `value <n>` for each applied increment and `repeated <n>` for an op applied before.
 *
 * Prints `ready` once the stores are open and waits for a line on stdin before incrementing.
 *
 * argv: <opener module URL> <export name> <JSON config> <owner> <own increments> <shared ops>
 */
import { writeSync } from 'node:fs';
import type { Stores } from '../../../src/store/ports.ts';

async function main(): Promise<void> {
  const [moduleUrl, exportName, config, owner, own, shared] = process.argv.slice(2);
  const opener = (await import(moduleUrl!)) as Record<string, (config: unknown) => Promise<Stores>>;
  const stores = await opener[exportName!]!(JSON.parse(config!));
  writeSync(1, 'ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  const ops = [
    ...Array.from({ length: Number(own) }, (_, i) => `${owner}-${i}`),
    ...Array.from({ length: Number(shared) }, (_, i) => `shared-${i}`),
  ];
  // Own and shared ops interleaved, a few at a time, so both processes contend for the same ops.
  ops.sort((a, b) => (a.split('-')[1]! < b.split('-')[1]! ? -1 : 1));
  for (let i = 0; i < ops.length; i += 4) {
    const batch = ops.slice(i, i + 4);
    const updates = await Promise.all(
      batch.map((op) => stores.state.updateVar('var:space:mp:hits', { kind: 'increment', by: 1 }, op)),
    );
    for (const update of updates)
      writeSync(1, `${update.repeated ? 'repeated' : 'value'} ${String(update.value)}\n`);
  }
  await stores.close();
}

await main();
