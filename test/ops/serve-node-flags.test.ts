/**
 * #16.1: the engine's long-running process caps V8's young generation. The Dockerfile, `npm start`
 * and the engine process the reliability suite measures run it with the same flags, and the flag
 * does cap the new space (without it, a steady survival rate grows it to 128 MiB on Node 24).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVE_NODE_FLAGS } from '../../src/ops/serve-node-flags.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Allocates with survivors (a ring of live objects) and prints the largest new space seen, in MiB. */
const GROW_NEW_SPACE = `
const v8 = require('node:v8');
const ring = new Array(20000);
let largest = 0;
for (let i = 0; i < 3_000_000; i++) {
  ring[i % ring.length] = { text: 'x'.repeat(50) + i, pair: [i, i + 1] };
  if (i % 10000 === 0) {
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    largest = Math.max(largest, space.space_size);
  }
}
process.stdout.write(String(largest / 2 ** 20));
`;

function largestNewSpaceMiB(flags: readonly string[]): number {
  return Number(execFileSync(process.execPath, [...flags, '-e', GROW_NEW_SPACE], { encoding: 'utf8' }));
}

describe('the serve process Node flags', () => {
  it('are the Dockerfile ENTRYPOINT and npm start, before the entry', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', ...SERVE_NODE_FLAGS, 'src/cli/main.ts']);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(['node', ...SERVE_NODE_FLAGS, 'src/cli/main.ts', 'serve'].join(' '));
    expect(read('README.md')).toContain(`node ${SERVE_NODE_FLAGS.join(' ')} src/cli/main.ts serve`);
  });

  it('keep the young generation at 32 MiB where a larger cap (Node 24 defaults to 64 MiB) lets it grow past', () => {
    expect(largestNewSpaceMiB(SERVE_NODE_FLAGS)).toBeLessThanOrEqual(32);
    // The same load grows it further when allowed (the default's cap depends on the machine's memory).
    expect(largestNewSpaceMiB(['--max-semi-space-size=64'])).toBeGreaterThan(32);
  }, 60_000);
});
