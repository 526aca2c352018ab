/**
 * The Node floor is stated once in src/cli/main.cjs and once in package.json `engines`; on an
 * older Node both entry points say which Node they need instead of printing a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const gate = readFileSync(new URL('../../src/cli/main.cjs', import.meta.url), 'utf8');
const FLOOR = (/const FLOOR_MAJOR = (\d+);\nconst FLOOR_MINOR = (\d+);/.exec(gate) ?? [])
  .slice(1)
  .map(Number);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};

/** Debian's Node on this machine, when it is older than the floor (it is 20 here and in CI). */
const SYSTEM_NODE = '/usr/bin/node';
function olderSystemNode(): string | undefined {
  if (!existsSync(SYSTEM_NODE)) return undefined;
  const version = spawnSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim().slice(1);
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const older = major < (FLOOR[0] ?? 0) || (major === FLOOR[0] && minor < (FLOOR[1] ?? 0));
  return older ? version : undefined;
}
const OLD = olderSystemNode();

describe('the Node floor', () => {
  it('is the same in the entry gate and in package.json engines', () => {
    expect(FLOOR).toEqual([22, 18]);
    expect(pkg.engines.node).toBe(`>=${FLOOR.join('.')}`);
  });

  it('guards src/cli/main.ts too: it is a link to the gate', () => {
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    expect(lstatSync(main).isSymbolicLink()).toBe(true);
    expect(readlinkSync(main)).toBe('main.cjs');
  });

  it('lets a new enough Node through, by both entry points', () => {
    for (const entry of ['bin/autopilot.js', 'src/cli/main.ts']) {
      const run = spawnSync(process.execPath, [entry, '--version'], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status, entry).toBe(0);
      expect(run.stdout).toMatch(/^fp-autopilot \d+\.\d+\.\d+ \(node /);
    }
  });

  it.skipIf(OLD === undefined)(`says which Node it needs on an older one (system Node ${OLD})`, () => {
    for (const entry of ['bin/autopilot.js', 'src/cli/main.ts']) {
      const run = spawnSync(SYSTEM_NODE, [entry, 'check', 'rules'], { cwd: ROOT, encoding: 'utf8' });
      expect(run.status, entry).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(
        `fp-autopilot needs Node.js 22.18 or newer (Node 24 recommended); this is Node ${OLD}.`,
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
